"""Where the shared test data lives (``../shared/data`` next to the repository; see its README).

Tests that need it fail, naming the missing path, when it is absent: it is part of the test setup,
never a reason to skip.
"""

from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

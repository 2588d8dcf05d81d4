"""Browser tests: the app started exactly as `make run` starts it, driven by Debian chromium.

One app per test module (`assistant run --prebuilt` on a fresh data folder; a module that needs more
settings, such as a language model, starts its own through `start_app`), all on the one port the frontend
was built for at the start of the run, and one browser for the run; screenshots go to
`tests/e2e/artifacts/`. The fixtures live in ``tests/support/app.py`` (shared with ``tests/security``).
"""

from __future__ import annotations

from support.app import app_url, patient_expect, shot, start_app  # noqa: F401 - fixtures

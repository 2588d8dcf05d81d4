"""`assistant run --prebuilt` and `assistant web --prebuilt` refuse a frontend build that is missing or was made
for another URL (its pages would talk to a server that is not there), before anything starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", ["run", "web"])
def test_prebuilt_refuses_a_build_made_for_another_url(tmp_path: Path, command: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "DATABASE_URL"))}
    # No build is ever made for this URL: .web holds none, or one made for another port.
    env.update(ASSISTANT_DATA_DIR=str(tmp_path), ASSISTANT_PUBLIC_URL="http://never-built.invalid:9")
    result = subprocess.run([sys.executable, "-m", "assistant.cli", command, "--prebuilt"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "run `assistant build` with the same settings first" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "postgres").exists()  # refused before starting the database

"""The `assistant` command on the embedded database: accounts survive a restart, prod refuses weak secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _cli(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "DATABASE_URL"))}
    base.update(ASSISTANT_DATA_DIR=str(data_dir), **env)
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args], cwd=REPO, env=base, capture_output=True, text=True, timeout=120
    )


def test_accounts_survive_a_restart_of_the_embedded_database(tmp_path: Path) -> None:
    first = _cli(tmp_path, "create-admin", "--email", "Root@Example.org", ASSISTANT_ADMIN_PASSWORD="first-pass-1")
    assert first.returncode == 0, first.stderr
    assert "created superadmin root@example.org" in first.stdout
    # The process that started the server stopped it on exit.
    assert not (tmp_path / "postgres" / "postmaster.pid").exists()

    second = _cli(tmp_path, "create-admin", "--email", "root@example.org", ASSISTANT_ADMIN_PASSWORD="second-pass-2")
    assert second.returncode == 0, second.stderr
    assert "updated superadmin root@example.org" in second.stdout


def test_create_admin_reports_a_weak_password_without_a_traceback(tmp_path: Path) -> None:
    result = _cli(tmp_path, "create-admin", "--email", "root@example.org", ASSISTANT_ADMIN_PASSWORD="short")
    assert result.returncode == 1
    assert "too weak" in result.stdout
    assert "Traceback" not in result.stderr


def test_prod_mode_refuses_to_start_with_a_weak_secret(tmp_path: Path) -> None:
    result = _cli(tmp_path, "migrate", ASSISTANT_ENV="prod", ASSISTANT_JWT_SECRET="changeme")
    assert result.returncode == 2
    assert "ASSISTANT_JWT_SECRET" in result.stderr
    assert not (tmp_path / "postgres").exists()  # refused before touching the database

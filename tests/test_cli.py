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


def test_demo_creates_an_account_with_its_documents_ingested_and_an_answered_chat(tmp_path: Path) -> None:
    import psycopg
    from support.data import SHARED_DATA

    from assistant.core.db import start_embedded_postgres

    notes = tmp_path / "notes.txt"
    notes.write_text("Blood pressure 128/82 measured on 3 May. Keep salt intake below 5 g per day.\n")
    data = tmp_path / "data"
    pdf = SHARED_DATA / "pdfs" / "health" / "WHO_EMRO_Healthy-diet_2019.pdf"

    result = _cli(data, "demo", str(pdf), str(notes), ASSISTANT_DEMO_PASSWORD="demo-pass-123")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "WHO_EMRO_Healthy-diet_2019.pdf: ready, 20 pages" in result.stdout
    assert "demo ready: 2 of 2 documents ingested, one chat answered" in result.stdout
    assert "as demo@example.org with the password demo-pass-123" in result.stdout
    again = _cli(data, "demo", str(notes), ASSISTANT_DEMO_PASSWORD="demo-pass-123")
    assert again.returncode == 1 and "exists already; nothing was changed" in again.stdout

    with psycopg.connect(start_embedded_postgres(data)) as conn:
        assert conn.execute("SELECT count(*) FROM documents WHERE status = 'completed'").fetchone() == (2,)
        question, answer = conn.execute("SELECT m.content, m.citations FROM messages m ORDER BY m.seq").fetchall()
        assert question[0] == "What do my documents recommend for a healthy diet?"
        assert any(c["title"] == "WHO_EMRO_Healthy-diet_2019.pdf" and c["page"] for c in answer[1])


def test_demo_names_a_missing_file_without_touching_the_database(tmp_path: Path) -> None:
    result = _cli(tmp_path, "demo", str(tmp_path / "nowhere.pdf"))

    assert result.returncode == 2 and "no such file" in result.stdout
    assert not (tmp_path / "postgres").exists()


def test_run_with_an_unreachable_redis_is_a_clear_error_before_anything_starts(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _cli(tmp_path, "run", REFLEX_REDIS_URL=f"redis://127.0.0.1:{port}/0")
    assert result.returncode == 2
    assert f"Redis at REFLEX_REDIS_URL (redis://127.0.0.1:{port}/0) is unreachable" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "postgres").exists()  # refused before starting the database or the web app


def test_the_demo_shows_one_progress_bar_and_no_library_chatter(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# Diary\n\nThe blood pressure was 120 over 80 every morning this week.\n")
    result = _cli(tmp_path / "data", "demo", str(notes), ASSISTANT_DEMO_PASSWORD="demo-pass-123")
    assert result.returncode == 0, result.stderr
    assert "notes.md" in result.stderr and "100%" in result.stderr, "the bar reached the end"
    for chatter in ("Running upgrade", "fusion_base", "Fused ", "TracerWarning", "Loading weights", "Batches"):
        assert chatter not in result.stdout + result.stderr

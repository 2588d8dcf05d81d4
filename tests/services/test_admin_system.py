"""The System page's service on real PostgreSQL: versions, disk use of the data folder (bounded in time) and the
last errors from what every process stores; admins only. The Telegram health check (the worker and migration
checks run against real workers in ``tests/api/test_health.py``)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from importlib.metadata import version

import pytest

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.core.errors import Forbidden
from assistant.models import AppSetting, Document, Notification, Report, WorkerHeartbeat
from assistant.models.user import Role
from assistant.services.admin import system
from assistant.services.channels.config import TELEGRAM_KEY


def test_versions_name_the_app_the_database_and_the_libraries(db, make_user):
    admin = make_user(role=Role.ADMIN)
    with session_scope() as session:
        found = system.versions(session=session, actor=admin)
    assert found["assistant"] == version("assistant") and found["reflex"] == version("reflex")
    assert found["postgresql"].startswith("16.") and found["pgvector"].count(".") == 2
    assert set(system.LIBRARIES) <= set(found)


def test_disk_use_counts_each_folder_and_stops_in_time(db, make_user):
    admin = make_user(role=Role.ADMIN)
    folder = get_settings().resolved_data_dir / f"system-test-{uuid.uuid4().hex[:6]}"
    (folder / "inner").mkdir(parents=True)
    (folder / "a.bin").write_bytes(b"x" * 1000)
    (folder / "inner" / "b.bin").write_bytes(b"y" * 500)
    try:
        use = system.disk_use(actor=admin)
        [mine] = [f for f in use.folders if f.name == folder.name]
        assert (mine.bytes, mine.files, mine.partial) == (1500, 2, False)
        assert use.total_bytes >= use.free_bytes > 0
        assert use.folders == sorted(use.folders, key=lambda f: -f.bytes)
        # No time left: the walk stops at once and says its figures are lower bounds.
        hurried = system.disk_use(actor=admin, budget_seconds=0)
        assert [f for f in hurried.folders if f.name == folder.name][0].partial
    finally:
        for path in sorted(folder.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        folder.rmdir()


def test_last_errors_come_from_the_stored_rows_newest_first(db, make_user):
    admin = make_user(role=Role.ADMIN)
    owner = make_user()
    now = datetime.now(UTC)
    with session_scope() as session:
        session.add(Document(owner_id=owner.id, filename="scan.pdf", storage_name=uuid.uuid4().hex,
                             media_type="application/pdf", size_bytes=1, sha256=hashlib.sha256(b"x").hexdigest(),
                             status="failed", error_code="documents.unreadable", error_detail="no text layer",
                             updated_at=now - timedelta(minutes=3)))
        session.add(Notification(user_id=owner.id, type="reminder", channel="email", status="failed", title="Pills",
                                 last_error="SMTP 550 mailbox unavailable", updated_at=now - timedelta(minutes=2)))
        session.add(Report(owner_id=owner.id, kind="health_summary", title="Summary", status="failed",
                           error_code="reports.failed", error_detail="template error",
                           updated_at=now - timedelta(minutes=1)))
        session.add(Document(owner_id=owner.id, filename="fine.txt", storage_name=uuid.uuid4().hex,
                             media_type="text/plain", size_bytes=1, sha256=hashlib.sha256(b"y").hexdigest(),
                             status="completed"))
        session.add(WorkerHeartbeat(hostname="box", pid=4242, last_beat=now, services={
            "ingestion": {"state": "restarting", "restarts": 1, "last_error": "OperationalError: gone",
                          "leader_only": False},
            "scheduler": {"state": "running", "restarts": 0, "last_error": None, "leader_only": True}}))
    with session_scope() as session:
        records = system.last_errors(session=session, actor=admin)
    assert [(r.source, r.message) for r in records] == [
        ("worker", "OperationalError: gone"),
        ("report", "reports.failed template error"),
        ("notification", "SMTP 550 mailbox unavailable"),
        ("ingestion", "documents.unreadable no text layer"),
    ]
    assert records[0].subject == "box:4242 ingestion" and records[2].subject.startswith("email notification ")


def test_plain_users_are_refused(db, make_user):
    user = make_user()
    with session_scope() as session, pytest.raises(Forbidden):
        system.versions(session=session, actor=user)
    with session_scope() as session, pytest.raises(Forbidden):
        system.last_errors(session=session, actor=user)
    with pytest.raises(Forbidden):
        system.disk_use(actor=user)


def test_the_telegram_check_appears_once_a_bot_token_is_stored(db):
    assert "telegram" not in [check.name for check in system.check_health().checks]
    with session_scope() as session:
        session.add(AppSetting(key=TELEGRAM_KEY, value={"token": "encrypted-token", "bot_username": "bot"}))
    checks = {check.name: check for check in system.check_health().checks}
    assert (checks["telegram"].ok, checks["telegram"].detail) == (False, "bot service without a live leader")
    with session_scope() as session:
        session.add(WorkerHeartbeat(hostname="box", pid=7, is_leader=True, services={
            name: {"state": "running", "restarts": 0, "last_error": None, "leader_only": name != "ingestion"}
            for name in ("ingestion", "scheduler", "telegram")}))
    health = system.check_health()
    assert {check.name: check.ok for check in health.checks}["telegram"] is True
    assert [(w.hostname, w.is_leader, w.live) for w in health.workers] == [("box", True, True)]

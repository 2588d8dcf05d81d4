"""The supervisor in this process: a service that crashes in a loop is restarted with backoff, logged with
its reason and shown in the heartbeat, while ingestion beside it goes on completing documents."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from sqlmodel import select
from support.worker import queue_document

from assistant.core.db import session_scope
from assistant.models import Document, WorkerHeartbeat
from assistant.worker import supervisor
from assistant.worker.ingestion import run_ingestion
from assistant.worker.supervisor import Service, Supervisor


def _broken(stop: threading.Event) -> None:
    raise RuntimeError("the mail server said no")


def _status(document_id) -> str:
    with session_scope() as session:
        return session.get(Document, document_id).status


@pytest.fixture
def running(db, monkeypatch):
    """``running(services)`` starts a supervisor in a thread with 1-second beats; stopped afterwards."""
    monkeypatch.setattr(supervisor, "BEAT_SECONDS", 1.0)
    monkeypatch.setattr(supervisor, "BACKOFF_FIRST_SECONDS", 0.2)
    started: list[tuple[threading.Event, threading.Thread]] = []

    def _run(services: list[Service]) -> Supervisor:
        boss, stop = Supervisor(services), threading.Event()
        thread = threading.Thread(target=boss.run, args=(stop,), daemon=True)
        thread.start()
        started.append((stop, thread))
        return boss

    yield _run
    for stop, thread in started:
        stop.set()
        thread.join(timeout=60)


def test_a_crash_loop_is_restarted_with_backoff_and_ingestion_keeps_running(running, make_user, caplog):
    caplog.set_level(logging.INFO, logger="assistant.worker")
    boss = running([Service("ingestion", run_ingestion), Service("mailer", _broken)])
    deadline = time.monotonic() + 60
    while boss.status()["ingestion"]["state"] != "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    document_id = queue_document(make_user(), b"The pulse was regular. The blood pressure was normal.", "text/plain")
    while _status(document_id) != "completed" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _status(document_id) == "completed"
    while boss.status()["mailer"]["restarts"] < 3 and time.monotonic() < deadline:
        time.sleep(0.1)

    mailer = boss.status()["mailer"]
    assert mailer["restarts"] >= 3 and mailer["last_error"] == "RuntimeError: the mail server said no"
    assert boss.status()["ingestion"]["restarts"] == 0
    crashed = "service mailer crashed (RuntimeError: the mail server said no)"
    crashes = [r for r in caplog.records if crashed in r.message]
    assert len(crashes) >= 3 and crashes[0].exc_info is not None, "the log says why, with the traceback"
    waits = [float(r.message.split(" restarts in ")[1].split(" s")[0]) for r in caplog.records
             if r.message.startswith("service mailer restarts in")]
    assert waits[:3] == sorted(waits[:3]) and waits[0] < waits[2], "the wait grows between crashes"
    with session_scope() as session:
        [beat] = session.exec(select(WorkerHeartbeat).where(WorkerHeartbeat.id == boss.id))
    assert beat.services["mailer"]["last_error"] == "RuntimeError: the mail server said no"
    assert beat.services["ingestion"]["state"] == "running"


def test_service_names_must_be_unique():
    with pytest.raises(ValueError, match="unique"):
        Supervisor([Service("ingestion", run_ingestion), Service("ingestion", _broken)])

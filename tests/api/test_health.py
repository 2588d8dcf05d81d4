"""``GET /health`` over real PostgreSQL with real worker processes: 503 naming the worker and the scheduler
while none runs, 200 once one leads, 503 again when it dies (its heartbeat goes stale), 200 when a new one
is back (that one logging JSON lines); 503 naming the migrations when the database is behind the code."""

from __future__ import annotations

import json
import signal

import pytest
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import delete
from support.worker import Worker, wait_for, worker_environment

from assistant.api.app import create_api
from assistant.core.db import session_scope
from assistant.core.migrations import alembic_config
from assistant.models import WorkerHeartbeat
from assistant.services.admin.system import CHECKS, STALE_SECONDS, head_revisions


@pytest.fixture
def client(db):
    with TestClient(create_api()) as test_client:
        yield test_client


@pytest.fixture
def workers(database, tmp_path):
    env = worker_environment(database.url, database.data_dir)
    started: list[Worker] = []

    def _start(name: str, **extra: str) -> Worker:
        started.append(Worker(name, tmp_path, {**env, **extra}))
        return started[-1]

    yield _start, started
    for worker in started:
        worker.stop()
    with session_scope() as session:
        session.execute(delete(WorkerHeartbeat))


def answer(client: TestClient, status: int) -> bool:
    """Whether ``/health`` answers ``status`` now."""
    return client.get("/health").status_code == status


def test_health_follows_the_worker_and_the_migrations(client, workers):
    start, started = workers
    down = client.get("/health")
    assert down.status_code == 503
    body = down.json()
    assert body["status"] == "failing"
    # The embedding model's export is missing too unless this run's app tests made one (the worker makes it).
    assert body["failing"] in (["worker", "scheduler"], ["worker", "scheduler", "embeddings"])
    assert body["checks"]["database"]["ok"] and body["checks"]["migrations"]["ok"]
    assert body["checks"]["worker"]["detail"] == "no live worker"

    first = start("worker-a")
    wait_for(lambda: answer(client, 200), 90, "/health to turn 200 with a leading worker", started)
    healthy = client.get("/health").json()
    assert healthy["status"] == "ok" and healthy["failing"] == []
    assert list(healthy["checks"]) == [name for name in CHECKS if name != "telegram"]  # no bot token stored
    [worker] = healthy["workers"]
    assert worker["leader"] and worker["live"]
    assert worker["services"]["scheduler"] == worker["services"]["ingestion"] == "running"
    assert "hostname" not in worker and "pid" not in worker and str(first.process.pid) not in str(healthy)

    # Killed (no clean stop): its heartbeat row stays and goes stale.
    first.process.send_signal(signal.SIGKILL)
    wait_for(lambda: answer(client, 503), STALE_SECONDS + 10, "/health to turn 503 without a worker", started)
    stale = client.get("/health").json()
    assert stale["failing"] == ["worker", "scheduler"]
    assert stale["checks"]["worker"]["detail"] == "no live worker; 1 down"
    assert stale["workers"][0]["live"] is False

    second = start("worker-b", ASSISTANT_LOG_FORMAT="json")
    wait_for(lambda: answer(client, 200), 90, "/health to turn 200 with the new worker", started)
    assert client.get("/health").json()["checks"]["worker"]["detail"].startswith("1 live, 1 down")
    # That worker logs one JSON object per line (its ingestion may still be loading the model: wait for it).
    wait_for(lambda: "ingestion is listening for jobs" in second.output(), 90, "the new worker to listen", started)
    lines = [json.loads(line) for line in second.output().splitlines()]
    assert any(line["logger"] == "assistant.worker" and line["message"] == "worker started: ingestion"
               and line["level"] == "INFO" for line in lines)
    assert any(line["message"] == "ingestion is listening for jobs" for line in lines)

    # The database one revision behind the code.
    [head] = head_revisions()
    previous = ScriptDirectory.from_config(alembic_config("")).get_revision(head).down_revision
    with session_scope() as session:
        session.execute(text("UPDATE alembic_version SET version_num = :rev"), {"rev": previous})
    try:
        wait_for(lambda: answer(client, 503), 10, "/health to turn 503 with old migrations", started)
        behind = client.get("/health").json()
        assert behind["failing"] == ["migrations"]
        assert behind["checks"]["migrations"]["detail"].startswith(f"database at {previous}, code at {head}")
    finally:
        with session_scope() as session:
            session.execute(text("UPDATE alembic_version SET version_num = :rev"), {"rev": head})
    wait_for(lambda: answer(client, 200), 10, "/health to turn 200 at head again", started)

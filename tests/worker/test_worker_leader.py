"""Real worker processes under the supervisor: exactly one leads (its leader-only services run there and
its heartbeat says so); when it is killed, a standby takes the services over within seconds; SIGTERM stops
a worker cleanly and removes its heartbeat."""

from __future__ import annotations

import signal
import time

import pytest
from sqlmodel import select
from support.worker import Worker, wait_for, worker_environment

from assistant.core.db import session_scope
from assistant.models import WorkerHeartbeat


@pytest.fixture
def start_worker(database, tmp_path):
    env = worker_environment(database.url, database.data_dir)
    started: list[Worker] = []

    def _start(name: str) -> Worker:
        started.append(Worker(name, tmp_path, env))
        return started[-1]

    yield _start
    for worker in started:
        worker.stop()
    with session_scope() as session:
        for row in session.exec(select(WorkerHeartbeat)):
            session.delete(row)


def heartbeats(workers: list[Worker]) -> dict[int, WorkerHeartbeat]:
    """The heartbeat rows of ``workers`` by process id."""
    pids = {w.process.pid for w in workers}
    with session_scope() as session:
        return {row.pid: row for row in session.exec(select(WorkerHeartbeat)) if row.pid in pids}


def leading(workers: list[Worker]) -> list[Worker]:
    """The workers whose heartbeat says they lead with housekeeping running."""
    rows = heartbeats(workers)
    return [w for w in workers if (row := rows.get(w.process.pid)) is not None and row.is_leader
            and row.services["housekeeping"]["state"] == "running"]


def test_one_leader_and_its_services_move_to_the_standby_after_sigkill(start_worker):
    workers = [start_worker("worker-a"), start_worker("worker-b")]
    wait_for(lambda: len(heartbeats(workers)) == 2 and leading(workers), 60, "two heartbeats and a leader", workers)
    time.sleep(5)  # a few of the standby's 2-second lock retries: it must not lead as well
    rows = heartbeats(workers)
    [leader] = leading(workers)
    [standby] = [w for w in workers if w is not leader]
    assert not rows[standby.process.pid].is_leader
    assert rows[standby.process.pid].services["housekeeping"]["state"] == "standby"
    assert all(row.services["ingestion"]["state"] == "running" for row in rows.values()), "ingestion runs in both"

    leader.process.send_signal(signal.SIGKILL)
    leader.process.wait(timeout=10)
    killed_at = time.monotonic()
    wait_for(lambda: leading([standby]) == [standby], 10, "the standby to take the leader's services", workers)
    assert time.monotonic() - killed_at < 10
    assert "worker is the leader: housekeeping" in standby.output()


def test_worker_stops_cleanly_on_sigterm_and_removes_its_heartbeat(start_worker):
    worker = start_worker("worker-solo")
    wait_for(lambda: leading([worker]) == [worker], 60, "the worker to lead", [worker])
    worker.process.send_signal(signal.SIGTERM)
    assert worker.process.wait(timeout=40) == 0
    assert "worker stopping" in worker.output() and "worker stopped" in worker.output()
    assert heartbeats([worker]) == {}

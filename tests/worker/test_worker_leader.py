"""Two real worker processes: exactly one leads; when it is killed, the other takes over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.core.config import REPO_ROOT

LEADER_LINE = "worker is the leader"
STARTED_LINE = "worker started, waiting for leadership"


class Worker:
    """``python -m assistant.worker`` with its stderr (the log) going to a file we can poll."""

    def __init__(self, name: str, log_dir: Path, env: dict[str, str]) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "assistant.worker"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def is_leader(self) -> bool:
        return LEADER_LINE in self.output()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=10)
        finally:
            self._log.close()


def wait_for(condition, timeout: float, what: str, workers: list[Worker]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        for worker in workers:
            if worker.process.poll() is not None and worker.process.returncode not in (0, -signal.SIGKILL):
                pytest.fail(f"{worker.name} exited with {worker.process.returncode}:\n{worker.output()}")
        time.sleep(0.1)
    logs = "\n".join(f"--- {w.name}\n{w.output()}" for w in workers)
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{logs}")


@pytest.fixture
def start_worker(database, tmp_path):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database.url,
        ASSISTANT_DATA_DIR=str(database.data_dir),
        ASSISTANT_LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    started: list[Worker] = []

    def _start(name: str) -> Worker:
        worker = Worker(name, tmp_path, env)
        started.append(worker)
        return worker

    try:
        yield _start
    finally:
        for worker in started:
            worker.stop()


def test_one_leader_and_failover_after_sigkill(start_worker):
    workers = [start_worker("worker-a"), start_worker("worker-b")]

    wait_for(lambda: all(STARTED_LINE in w.output() for w in workers), 30, "both workers to start", workers)
    wait_for(lambda: any(w.is_leader() for w in workers), 15, "a leader", workers)
    # Give the other one a few of its 2-second retries to (wrongly) claim leadership too.
    time.sleep(5)
    leaders = [w for w in workers if w.is_leader()]
    assert len(leaders) == 1, "\n".join(w.output() for w in workers)
    [leader] = leaders
    [follower] = [w for w in workers if w is not leader]
    assert follower.process.poll() is None

    leader.process.send_signal(signal.SIGKILL)
    leader.process.wait(timeout=10)
    killed_at = time.monotonic()

    wait_for(follower.is_leader, 10, "the follower to take over", workers)
    assert time.monotonic() - killed_at < 10
    assert follower.output().count(LEADER_LINE) == 1


def test_worker_stops_cleanly_on_sigterm(start_worker):
    worker = start_worker("worker-solo")
    wait_for(worker.is_leader, 30, "the worker to lead", [worker])
    worker.process.send_signal(signal.SIGTERM)
    assert worker.process.wait(timeout=15) == 0
    assert "worker stopping" in worker.output()

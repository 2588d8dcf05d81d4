"""Real worker processes (``python -m assistant.worker``) for tests that need the ingestion as it runs in
production: its own process, woken by NOTIFY, with its log in a file."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from assistant.core.config import REPO_ROOT

#: What the worker logs once it takes jobs.
LISTENING = "ingestion is listening for jobs"


def worker_environment(database_url: str, data_dir: Path) -> dict[str, str]:
    """The environment of a worker on the test database and data folder (``tests/conftest.py``'s
    ``database`` fixture), logging at INFO."""
    return dict(os.environ, DATABASE_URL=database_url, ASSISTANT_DATA_DIR=str(data_dir), ASSISTANT_LOG_LEVEL="INFO",
                PYTHONUNBUFFERED="1", HF_HUB_OFFLINE="1")


class Worker:
    """``python -m assistant.worker`` with its log (stderr) in a file."""

    def __init__(self, name: str, log_dir: Path, env: dict[str, str]) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen([sys.executable, "-m", "assistant.worker"], cwd=REPO_ROOT, env=env,
                                        stdout=subprocess.DEVNULL, stderr=self._log, start_new_session=True)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self._log.close()


def wait_for(condition: Callable[[], bool], timeout: float, what: str, workers: list[Worker]) -> None:
    """Poll ``condition`` until it holds; fail with the workers' logs after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    logs = "\n".join(f"--- {w.name}\n{w.output()[-4000:]}" for w in workers)
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{logs}")


@contextmanager
def leading_worker(name: str, log_dir: Path, env: dict[str, str]) -> Iterator[Worker]:
    """A worker with the environment ``env`` whose scheduler runs (it leads); on leaving it is stopped and the
    heartbeat rows are deleted, so the next module's worker starts from none."""
    from sqlmodel import delete

    from assistant.core.db import session_scope
    from assistant.models import WorkerHeartbeat

    worker = Worker(name, log_dir, env)
    try:
        wait_for(lambda: "scheduler is running" in worker.output(), 60, "the scheduler to run", [worker])
        yield worker
    finally:
        worker.stop()
        with session_scope() as session:
            session.execute(delete(WorkerHeartbeat))


def queue_document(owner, data: bytes, media_type: str, filename: str = "upload") -> uuid.UUID:
    """What the upload service leaves for a worker: the file under a server name, a pending row, and
    ``NOTIFY document_jobs`` on commit. Returns the document's id."""
    from sqlalchemy import text

    from assistant.core.config import get_settings
    from assistant.core.db import session_scope
    from assistant.models import Document
    from assistant.services.rag.paths import JOBS_CHANNEL, document_path

    document = Document(owner_id=owner.id, filename=filename, storage_name=uuid.uuid4().hex, media_type=media_type,
                        size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    path = document_path(get_settings(), document.storage_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    with session_scope() as session:
        session.add(document)
        session.flush()
        session.execute(text("SELECT pg_notify(:channel, :id)"), {"channel": JOBS_CHANNEL, "id": str(document.id)})
    return document.id

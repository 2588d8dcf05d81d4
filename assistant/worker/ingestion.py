"""The ingestion service of every worker: run queued document jobs one at a time.

The loop is synchronous and runs in its service thread: embedding is CPU-bound, so one worker runs one
job at a time (a second at once would only halve the speed of both); more workers, on more cores or
machines, ingest more documents at once, each claiming its jobs with ``SKIP LOCKED``. It

* listens on ``document_jobs`` (:data:`~assistant.services.rag.paths.JOBS_CHANNEL`) on a dedicated
  autocommit psycopg connection, and wakes at once when an upload or a reindex notifies;
* after every wake, and at least every :data:`POLL_SECONDS` (or when the earliest lease of a running
  job runs out, if sooner), runs due jobs oldest first until none is left: new ones, and those whose
  worker died (expired lease), which start over;
* loads the embedding model once when it starts, so the first upload does not wait for it.

Notifications that arrive while a job runs are queued by PostgreSQL on the connection and only wake
the next scan; the scan itself decides what to run, so a lost or duplicate notification is harmless.
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg
from psycopg import sql

from assistant.core.db import database_url, libpq_url
from assistant.services.rag import embeddings, ingest
from assistant.services.rag.paths import JOBS_CHANNEL

log = logging.getLogger(__name__)

#: Longest sleep between two scans for due jobs, seconds (a missed notification waits this long).
POLL_SECONDS = 30.0
#: How often the wait checks whether the worker is stopping, seconds.
STOP_CHECK_SECONDS = 1.0


def run_ingestion(stop: threading.Event) -> None:
    """Run ingestion jobs until ``stop`` is set (see the module docstring).

    A job still running when ``stop`` is set goes back to ``pending`` at its next step (within one
    embedding batch, a few seconds).

    Raises:
        psycopg.OperationalError: the listening connection broke (the supervisor restarts the service).
    """
    embeddings.model()
    with psycopg.connect(libpq_url(database_url()), autocommit=True, application_name="assistant-ingestion") as conn:
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(JOBS_CHANNEL)))
        log.info("ingestion is listening for jobs")
        while not stop.is_set():
            ingest.fail_exhausted()
            while not stop.is_set() and ingest.run_next(stop=stop) is not None:
                pass
            _wait(conn, stop, _next_scan_in())


def _next_scan_in() -> float:
    """Seconds until the next scan: :data:`POLL_SECONDS`, or sooner when a running job's lease (perhaps
    that of a dead worker) is about to run out."""
    expiry = ingest.seconds_until_lease_expiry()
    return POLL_SECONDS if expiry is None else min(POLL_SECONDS, expiry + 0.5)


def _wait(conn: psycopg.Connection, stop: threading.Event, seconds: float) -> None:
    """Sleep up to ``seconds``, returning early on a ``document_jobs`` notification or on ``stop``."""
    deadline = time.monotonic() + seconds
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return
        for _ in conn.notifies(timeout=min(left, STOP_CHECK_SECONDS), stop_after=1):
            return

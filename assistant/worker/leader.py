"""Leader election through a PostgreSQL advisory lock.

See https://www.postgresql.org/docs/16/explicit-locking.html#ADVISORY-LOCKS: a session-level lock is
released when its connection closes, so a worker that dies (even by SIGKILL) hands over at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg

from assistant.core.db import libpq_url

log = logging.getLogger(__name__)

#: Advisory lock key of the worker leader (any fixed 64-bit number unique to this app).
WORKER_LOCK_KEY = 0x6173_7369_7374_0001


def try_acquire(conn: psycopg.Connection) -> bool:
    """Try once to take the leader lock on ``conn`` (autocommit). True when this connection holds it."""
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (WORKER_LOCK_KEY,)).fetchone()
    return row is not None and bool(row[0])


def run_as_leader(
    url: str,
    work: Callable[[threading.Event], None],
    stop: threading.Event,
    *,
    poll_seconds: float = 2.0,
) -> None:
    """Wait until this process holds the leader lock, then run ``work(stop)`` until ``stop`` is set.

    The lock connection is checked every ``poll_seconds``; if it breaks, leadership is given up,
    ``work`` is told to stop, and the loop competes for the lock again.

    Args:
        url: libpq or SQLAlchemy URL of the database.
        work: the leader's job; must return soon after its ``threading.Event`` argument is set.
        stop: set by the caller (e.g. on SIGTERM) to end everything.
        poll_seconds: how often to retry the lock and to check the connection.
    """
    while not stop.is_set():
        try:
            with psycopg.connect(libpq_url(url), autocommit=True, application_name="assistant-worker") as conn:
                if not try_acquire(conn):
                    stop.wait(poll_seconds)
                    continue
                lost = threading.Event()
                thread = threading.Thread(target=work, args=(lost,), name="leader-work", daemon=True)
                thread.start()
                try:
                    while not stop.is_set() and thread.is_alive():
                        stop.wait(poll_seconds)
                        conn.execute("SELECT 1")
                finally:
                    lost.set()
                    thread.join(timeout=30)
                if not thread.is_alive() and not stop.is_set():
                    log.error("leader work ended unexpectedly; releasing leadership")
        except psycopg.OperationalError as exc:
            log.warning("database connection lost (%s); retrying", exc)
            stop.wait(poll_seconds)

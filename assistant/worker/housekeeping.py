"""The leader's housekeeping: deletes what has outlived its use, every :data:`INTERVAL_SECONDS`.

* event payloads stored because they were too large for a NOTIFY (:func:`assistant.core.events.purge_stored_payloads`);
* heartbeat rows of workers that died without removing theirs, once older than :data:`DEAD_WORKER_KEPT`
  (until then an admin can see that a worker died and when);
* reports and data exports whose ``expires_at`` passed, rows and files
  (:func:`assistant.services.reports.jobs.purge_expired`).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlmodel import col, delete

from assistant.core import events
from assistant.core.db import affected_rows, session_scope
from assistant.models.base import utcnow
from assistant.models.platform import WorkerHeartbeat
from assistant.services.reports.jobs import purge_expired

log = logging.getLogger(__name__)

#: Seconds between two rounds.
INTERVAL_SECONDS = 600.0
#: How long the heartbeat row of a dead worker is kept.
DEAD_WORKER_KEPT = timedelta(days=1)


def run_housekeeping(stop: threading.Event) -> None:
    """Run :func:`tidy` now and every :data:`INTERVAL_SECONDS` until ``stop`` is set.

    Raises:
        sqlalchemy.exc.OperationalError: the database is unreachable (the supervisor restarts the service).
    """
    while not stop.is_set():
        tidy()
        stop.wait(INTERVAL_SECONDS)


def tidy() -> dict[str, int]:
    """One round; returns how many rows of each kind were deleted: ``{"event_payloads", "heartbeats", "reports"}``."""
    with session_scope() as session:
        payloads = events.purge_stored_payloads(session)
        dead = col(WorkerHeartbeat.last_beat) < utcnow() - DEAD_WORKER_KEPT
        heartbeats = affected_rows(session.execute(delete(WorkerHeartbeat).where(dead)))
    expired = purge_expired()
    if payloads or heartbeats or expired:
        log.info("housekeeping deleted %d stored event payloads, %d dead workers' heartbeats and %d expired reports",
                 payloads, heartbeats, expired)
    return {"event_payloads": payloads, "heartbeats": heartbeats, "reports": expired}

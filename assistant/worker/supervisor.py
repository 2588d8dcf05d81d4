"""The worker's supervisor: runs named services, restarts a crashed one with backoff, elects a leader for
the leader-only services, and writes a heartbeat row.

* A :class:`Service` is a blocking function ``run(stop)`` that works until its ``threading.Event`` is
  set. Services that may run in every worker process (ingestion: jobs are claimed with
  ``FOR UPDATE SKIP LOCKED``) start at once; ``leader_only`` ones (housekeeping now; the scheduler and
  the Telegram bot later) run only in the process holding the leader lock (:mod:`assistant.worker.leader`),
  and start in a standby within :data:`LOCK_POLL_SECONDS` of the leader's death.
* A service that raises, or returns while it should be running, is logged with the reason and started
  again after an exponential backoff (:data:`BACKOFF_FIRST_SECONDS` doubling up to
  :data:`BACKOFF_MAX_SECONDS`, reset once a run lasted :data:`STABLE_SECONDS`); the other services go on.
* Every :data:`BEAT_SECONDS` the process's ``worker_heartbeats`` row is updated (host, pid, leader or not,
  each service's state, restarts and last error); a clean stop deletes it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, delete

from assistant.core.db import database_url, session_scope
from assistant.models.base import utcnow
from assistant.models.platform import WorkerHeartbeat
from assistant.worker.leader import run_as_leader

log = logging.getLogger("assistant.worker")

#: Seconds between two heartbeats.
BEAT_SECONDS = 5.0
#: Seconds between two tries of the leader lock by a standby (and checks of the leader's connection).
LOCK_POLL_SECONDS = 2.0
#: First wait before restarting a crashed service, seconds; doubled after each crash in a row.
BACKOFF_FIRST_SECONDS = 1.0
#: Longest wait before a restart, seconds.
BACKOFF_MAX_SECONDS = 60.0
#: A run that lasted this long (seconds) resets the backoff.
STABLE_SECONDS = 60.0
#: Seconds a stopping service gets to return.
STOP_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Service:
    """A named background service: ``run(stop)`` blocks until ``stop`` is set (and returns soon after)."""

    name: str
    run: Callable[[threading.Event], None]
    leader_only: bool = False


class _Runner:
    """One service in its own thread, restarted with backoff until ``stop`` is set."""

    def __init__(self, service: Service, stop: threading.Event) -> None:
        self.service = service
        self.stop = stop
        self.state = "starting"
        self.restarts = 0
        self.last_error: str | None = None
        self.thread = threading.Thread(target=self._loop, name=f"service-{service.name}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def join(self) -> None:
        self.thread.join(timeout=STOP_TIMEOUT_SECONDS)
        if self.thread.is_alive():
            log.warning("service %s did not stop within %.0f s", self.service.name, STOP_TIMEOUT_SECONDS)

    def status(self) -> dict[str, Any]:
        return {"state": self.state, "restarts": self.restarts, "last_error": self.last_error,
                "leader_only": self.service.leader_only}

    def _loop(self) -> None:
        failures = 0
        while not self.stop.is_set():
            started = time.monotonic()
            self.state = "running"
            log.debug("service %s started", self.service.name)
            try:
                self.service.run(self.stop)
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                log.exception("service %s crashed (%s)", self.service.name, reason)
            else:
                if self.stop.is_set():
                    break
                reason = "returned while it should be running"
                log.error("service %s %s", self.service.name, reason)
            failures = 1 if time.monotonic() - started >= STABLE_SECONDS else failures + 1
            delay = min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** (failures - 1))
            self.state, self.last_error = "restarting", reason
            self.restarts += 1
            log.info("service %s restarts in %.1f s (restart %d)", self.service.name, delay, self.restarts)
            self.stop.wait(delay)
        self.state = "stopped"


class Supervisor:
    """Runs ``services`` in this process (module docstring) until :meth:`run`'s ``stop`` is set."""

    def __init__(self, services: Sequence[Service], *, url: str | None = None) -> None:
        names = [service.name for service in services]
        if len(set(names)) != len(names):
            raise ValueError(f"service names must be unique: {names}")
        self.services = list(services)
        self.url = url
        self.id = uuid.uuid4()
        self.is_leader = False
        self._runners: dict[str, _Runner] = {}
        self._beat_lock = threading.Lock()

    def status(self) -> dict[str, dict[str, Any]]:
        """Each service's state: ``{name: {"state", "restarts", "last_error", "leader_only"}}``; a
        leader-only service of a standby is ``"standby"``."""
        result = {}
        for service in self.services:
            runner = self._runners.get(service.name)
            result[service.name] = runner.status() if runner is not None else {
                "state": "standby", "restarts": 0, "last_error": None, "leader_only": service.leader_only}
        return result

    def run(self, stop: threading.Event) -> None:
        """Start the services, keep the heartbeat, and stop everything once ``stop`` is set."""
        url = self.url or database_url()
        everywhere = [service for service in self.services if not service.leader_only]
        leader_only = [service for service in self.services if service.leader_only]
        for service in everywhere:
            self._start(service, stop)
        log.info("worker started: %s", ", ".join(s.name for s in everywhere) or "no services")
        election: threading.Thread | None = None
        if leader_only:
            election = threading.Thread(
                target=run_as_leader, args=(url, self._lead(leader_only), stop),
                kwargs={"poll_seconds": LOCK_POLL_SECONDS}, name="leader-election", daemon=True)
            election.start()
        try:
            while not stop.is_set():
                self._beat()
                stop.wait(BEAT_SECONDS)
        finally:
            stop.set()
            for runner in list(self._runners.values()):
                runner.join()
            if election is not None:
                election.join(timeout=STOP_TIMEOUT_SECONDS)
            self._remove_heartbeat()
            log.info("worker stopped")

    def _start(self, service: Service, stop: threading.Event) -> _Runner:
        runner = _Runner(service, stop)
        self._runners[service.name] = runner
        runner.start()
        return runner

    def _lead(self, services: list[Service]) -> Callable[[threading.Event], None]:
        """The leader's work for :func:`run_as_leader`: run ``services`` until leadership is lost."""

        def lead(lost: threading.Event) -> None:
            self.is_leader = True
            log.info("worker is the leader: %s", ", ".join(s.name for s in services))
            runners = [self._start(service, lost) for service in services]
            self._beat()
            lost.wait()
            for runner in runners:
                runner.join()
                self._runners.pop(runner.service.name, None)
            self.is_leader = False
            self._beat()

        return lead

    def _beat(self) -> None:
        """Insert or update this process's heartbeat row (a failed write is logged and retried next beat)."""
        try:
            with self._beat_lock, session_scope() as session:
                row = session.get(WorkerHeartbeat, self.id)
                if row is None:
                    row = WorkerHeartbeat(id=self.id, hostname=socket.gethostname()[:255], pid=os.getpid())
                row.is_leader, row.services, row.last_beat = self.is_leader, self.status(), utcnow()
                session.add(row)
        except Exception:
            log.warning("could not write the worker heartbeat", exc_info=True)

    def _remove_heartbeat(self) -> None:
        try:
            with session_scope() as session:
                session.execute(delete(WorkerHeartbeat).where(col(WorkerHeartbeat.id) == self.id))
        except Exception:
            log.warning("could not remove the worker heartbeat", exc_info=True)

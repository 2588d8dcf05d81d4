"""The admin console's System page: the checks of ``GET /health`` with the workers' heartbeats (host, process,
services, last errors), versions, the data folder's disk use and the last errors. Every event re-checks the admin
role in the database; the checks and the database reads run on a worker thread, the disk walk (at most
:data:`~assistant.services.admin.system.DISK_WALK_SECONDS`) on another one after the transaction ended.

The checks' details and the errors' messages are the services' English diagnostics (as in the logs); labels
and headings are translated."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

import reflex as rx
from sqlmodel import Session

from assistant.core.i18n import format_datetime, format_number, format_size
from assistant.models import User
from assistant.models.user import Role
from assistant.services.admin import system
from assistant.ui.state.auth import AuthState, guarded

Rows = list[dict[str, str]]


def _workers(workers: list[system.WorkerState], language: str) -> Rows:
    return [{"host": f"{w.hostname} ({w.pid})", "leader": "1" if w.is_leader else "", "live": "1" if w.live else "",
             "age": format_number(w.age_seconds, language, digits=0),
             "services": ", ".join(f"{name}: {state}" for name, state in w.services.items()),
             "errors": "\n".join(f"{name}: {error}" for name, error in w.errors.items())} for w in workers]


def _read(session: Session, actor: User, language: str) -> tuple[bool, Rows, Rows, Rows, Rows, User]:
    """Health, workers, versions and last errors as shown, and the checked admin (for the disk walk)."""
    versions = system.versions(session=session, actor=actor)  # first: it checks the role
    health = system.check_health()
    zone = ZoneInfo(actor.timezone)
    checks = [{"name": check.name, "ok": "1" if check.ok else "", "detail": check.detail} for check in health.checks]
    errors = [{"when": format_datetime(record.at, language, zone, date="medium", time="medium"),
               "source": record.source, "subject": record.subject, "message": record.message}
              for record in system.last_errors(session=session, actor=actor)]
    return (health.ok, checks, _workers(health.workers, language),
            [{"name": name, "version": value} for name, value in versions.items()], errors, actor)


class SystemState(AuthState):
    """What the page shows: ``healthy``; ``checks`` (``name``, ``ok`` as ``"1"``/``""``, ``detail``); ``workers``
    (``host``, ``leader``, ``live``, ``age`` seconds, ``services``, ``errors``); ``versions`` (``name``,
    ``version``); ``disk`` (``name``, ``size``, ``files``, ``partial``) with ``disk_path`` and ``disk_free``;
    ``errors`` (``when``, ``source``, ``subject``, ``message``); ``loaded`` once the first read finished."""

    healthy: bool = False
    loaded: bool = False
    checks: Rows = []
    workers: Rows = []
    versions: Rows = []
    disk: Rows = []
    disk_path: str = ""
    disk_free: str = ""
    errors: Rows = []

    @rx.event
    @guarded
    async def load(self) -> None:
        """``on_load`` and the Refresh button: read everything again (skipped when the page's check found no
        session; a plain user is refused, not shown an empty page)."""
        if not self._role_shown(Role.USER):
            return
        language = self.lang

        def read(session: Session, actor: User) -> tuple[bool, Rows, Rows, Rows, Rows, User]:
            return _read(session, actor, language)

        self.healthy, self.checks, self.workers, self.versions, self.errors, admin = await self._run_as_user(
            read, minimum_role=Role.ADMIN)
        use = await asyncio.to_thread(system.disk_use, actor=admin)
        self.disk = [{"name": folder.name, "size": format_size(folder.bytes, language),
                      "files": format_number(folder.files, language), "partial": "1" if folder.partial else ""}
                     for folder in use.folders]
        self.disk_path = use.path
        self.disk_free = f"{format_size(use.free_bytes, language)} / {format_size(use.total_bytes, language)}"
        self.loaded = True

    @rx.var
    def failing(self) -> str:
        """The failed checks' names, comma-separated."""
        return ", ".join(row["name"] for row in self.checks if not row["ok"])

"""The instance's health (``GET /health``, the admin System page and the compose health check) and what the
System page adds: versions, disk use of the data folder and the last errors.

Each check of :func:`check_health` is one :class:`Check` (``ok`` and an English ``detail`` free of secrets):

* ``database``: a new connection (5 s connect and statement timeouts) answers ``SELECT 1``.
* ``migrations``: the ``alembic_version`` row equals the head revision(s) of ``alembic/versions``.
* ``worker``: at least one worker heartbeat younger than :data:`STALE_SECONDS` (three of the worker's 5-second
  beats); an older row is a worker that died (a clean stop deletes its row) and counts as down, and a live
  worker's service caught restarting after a crash fails the check.
* ``scheduler``: a live worker is the leader and its ``scheduler`` service runs.
* ``telegram`` (only when a bot token is stored): the leader's ``telegram`` service runs. The heartbeat says
  the service is up, not that Telegram accepted the token (the channel settings page tests that).
* ``embeddings``: the embedding model is *loadable*: its ONNX export is in the data folder, which every
  process (the worker's ingestion, the web process's searches) loads in well under a second. A process's
  memory cannot be seen from another one, so "loaded" is not claimed; the worker's ingestion loads the
  model when it starts, and a failure there shows as that service restarting (the ``worker`` check).

A check that needs the database is failed with "database unreachable" when the database is.
"""

from __future__ import annotations

import os
import platform
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import psycopg
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import Session, col, select

from assistant.core.config import get_settings
from assistant.core.db import database_url, libpq_url
from assistant.core.migrations import alembic_config
from assistant.models import Document, Notification, Report, User
from assistant.models.document import DocumentStatus
from assistant.models.notification import NotificationStatus
from assistant.models.platform import WorkerHeartbeat
from assistant.models.report import ReportStatus
from assistant.models.user import Role
from assistant.services.auth.permissions import require_role
from assistant.services.channels.config import TELEGRAM_KEY

#: A heartbeat older than this many seconds belongs to a worker that is down (three missed 5-second beats).
STALE_SECONDS = 15.0
#: Seconds the health check waits for the database to connect, and for each statement.
DB_TIMEOUT_SECONDS = 5
#: The checks in the order they are shown.
CHECKS = ("database", "migrations", "worker", "scheduler", "telegram", "embeddings")
#: Libraries whose versions the System page lists (distribution names).
LIBRARIES = ("reflex", "fastapi", "sqlmodel", "sqlalchemy", "alembic", "psycopg", "pydantic", "apscheduler",
             "aiogram", "openai", "anthropic", "onnxruntime", "transformers", "weasyprint")
#: Seconds the disk-use walk of the data folder may take; folders not reached are marked as partial.
DISK_WALK_SECONDS = 5.0
#: How many of the last errors the System page shows.
LAST_ERRORS = 20


@dataclass(frozen=True)
class Check:
    """One part of the health: ``name`` (one of :data:`CHECKS`), ``ok``, and ``detail`` (English, no secrets)."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class WorkerState:
    """A worker's last heartbeat: ``services`` maps each service name to its state (``running``, ``standby``,
    ``restarting``...), ``errors`` to its last error; ``age_seconds`` since its last beat; ``live`` when that
    is under :data:`STALE_SECONDS`."""

    hostname: str
    pid: int
    is_leader: bool
    live: bool
    age_seconds: float
    services: dict[str, str]
    errors: dict[str, str]


@dataclass(frozen=True)
class Health:
    """All checks (the ``telegram`` one only when a bot token is stored) and the workers' heartbeats;
    ``ok`` when every check is."""

    checks: list[Check]
    workers: list[WorkerState] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failing(self) -> list[str]:
        """The names of the failed checks."""
        return [check.name for check in self.checks if not check.ok]


def check_health(*, url: str | None = None) -> Health:
    """Run every check (module docstring) on one new connection; never raises for an unhealthy part.

    Args:
        url: the database (default: this process's, :func:`assistant.core.db.database_url`).

    Returns:
        The :class:`Health`; takes a few milliseconds when all is well, at most about
        :data:`DB_TIMEOUT_SECONDS` per step when the database hangs.
    """
    try:
        conn = psycopg.connect(libpq_url(url or database_url()), autocommit=True, connect_timeout=DB_TIMEOUT_SECONDS,
                               options=f"-c statement_timeout={DB_TIMEOUT_SECONDS * 1000}",
                               application_name="assistant-health")
    except psycopg.Error as exc:
        reason = f"database unreachable ({type(exc).__name__})"
        failed = [Check("database", False, reason)]
        failed += [Check(name, False, "database unreachable") for name in ("migrations", "worker", "scheduler")]
        return Health(failed + [_embeddings()])
    with conn:
        try:
            server = conn.execute("SHOW server_version").fetchone()
            checks = [Check("database", True, f"PostgreSQL {server[0] if server else '?'}"), _migrations(conn)]
            workers = _workers(conn)
            checks += _worker_checks(workers)
            telegram = _telegram(conn, workers)
        except psycopg.Error as exc:
            return Health([Check("database", False, f"database error ({type(exc).__name__})"), _embeddings()])
    if telegram is not None:
        checks.append(telegram)
    checks.append(_embeddings())
    return Health(checks, workers)


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """The head revision(s) of the repository's ``alembic/versions`` (read once per process)."""
    return frozenset(ScriptDirectory.from_config(alembic_config("")).get_heads())


def _migrations(conn: psycopg.Connection[Any]) -> Check:
    try:
        current = {row[0] for row in conn.execute("SELECT version_num FROM alembic_version").fetchall()}
    except psycopg.errors.UndefinedTable:
        return Check("migrations", False, "no migrations applied (run `assistant migrate`)")
    heads = head_revisions()
    if current == heads:
        return Check("migrations", True, f"at head {', '.join(sorted(heads))}")
    return Check("migrations", False, f"database at {', '.join(sorted(current)) or 'none'}, code at "
                                      f"{', '.join(sorted(heads))} (run `assistant migrate`)")


def _workers(conn: psycopg.Connection[Any]) -> list[WorkerState]:
    rows = conn.execute("SELECT hostname, pid, is_leader, services, extract(epoch FROM now() - last_beat) "
                        "FROM worker_heartbeats ORDER BY started_at").fetchall()
    workers = []
    for hostname, pid, is_leader, services, age in rows:
        services = services if isinstance(services, dict) else {}
        workers.append(WorkerState(
            hostname=hostname, pid=pid, is_leader=bool(is_leader), live=float(age) < STALE_SECONDS,
            age_seconds=round(float(age), 1),
            services={name: str(state.get("state", "?")) for name, state in services.items()},
            errors={name: str(state["last_error"]) for name, state in services.items() if state.get("last_error")}))
    return workers


def _worker_checks(workers: list[WorkerState]) -> list[Check]:
    live = [worker for worker in workers if worker.live]
    down = len(workers) - len(live)
    restarting = sorted({name for worker in live for name, state in worker.services.items() if state == "restarting"})
    summary = f"{len(live)} live" + (f", {down} down (no heartbeat for {STALE_SECONDS:.0f} s or more)" if down else "")
    if not live:
        worker = Check("worker", False, "no live worker" + (f"; {down} down" if down else ""))
    elif restarting:
        worker = Check("worker", False, f"{summary}; restarting after a crash: {', '.join(restarting)}")
    else:
        worker = Check("worker", True, summary)
    leader = next((w for w in live if w.is_leader), None)
    if leader is None:
        scheduler = Check("scheduler", False, "no live leader worker")
    elif leader.services.get("scheduler") != "running":
        scheduler = Check("scheduler", False, f"the leader's scheduler is {leader.services.get('scheduler', 'absent')}")
    else:
        scheduler = Check("scheduler", True, "running on the leader")
    return [worker, scheduler]


def _telegram(conn: psycopg.Connection[Any], workers: list[WorkerState]) -> Check | None:
    row = conn.execute("SELECT value -> 'token' FROM app_settings WHERE key = %s", (TELEGRAM_KEY,)).fetchone()
    if row is None or not row[0]:
        return None
    leader = next((w for w in workers if w.live and w.is_leader), None)
    state = leader.services.get("telegram", "absent") if leader is not None else "without a live leader"
    return Check("telegram", state == "running", f"bot service {state}")


def _embeddings() -> Check:
    from assistant.services.rag.embeddings import onnx_path

    try:
        path = onnx_path()
        size = path.stat().st_size
    except (OSError, ImportError) as exc:
        return Check("embeddings", False, f"model export missing ({type(exc).__name__}); the worker makes it "
                                          "when it starts")
    return Check("embeddings", size > 0, f"model export ready ({size // 1_000_000} MB)")


def versions(*, session: Session, actor: User) -> dict[str, str]:
    """The app's, Python's, PostgreSQL's, pgvector's and :data:`LIBRARIES`' versions (``"-"`` when absent).

    Raises:
        Forbidden: the actor is not an admin.
    """
    require_role(actor, Role.ADMIN)
    postgresql = session.execute(text("SHOW server_version")).scalar_one()
    pgvector = session.execute(text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")).scalar()
    found = {"assistant": _version("assistant"), "python": platform.python_version(),
             "postgresql": str(postgresql), "pgvector": str(pgvector or "-")}
    return found | {name: _version(name) for name in LIBRARIES}


def _version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "-"


@dataclass(frozen=True)
class FolderUse:
    """Bytes and files under one top-level entry of the data folder; ``partial`` when the walk ran out of
    time before finishing it (the figures are then lower bounds)."""

    name: str
    bytes: int
    files: int
    partial: bool


@dataclass(frozen=True)
class DiskUse:
    """The data folder: its path, each top-level entry's use (largest first), and the file system's total
    and free bytes."""

    path: str
    folders: list[FolderUse]
    total_bytes: int
    free_bytes: int


def disk_use(*, actor: User, budget_seconds: float = DISK_WALK_SECONDS) -> DiskUse:
    """Walk the data folder (without following links) for at most ``budget_seconds``. Blocking: call it off
    the event loop.

    Raises:
        Forbidden: the actor is not an admin.
    """
    require_role(actor, Role.ADMIN)
    root = get_settings().resolved_data_dir
    deadline = time.monotonic() + budget_seconds
    folders = []
    entries = sorted(root.iterdir()) if root.is_dir() else []
    for entry in entries:
        size, files, partial = _walk(entry, deadline)
        folders.append(FolderUse(entry.name, size, files, partial))
    usage = shutil.disk_usage(root if root.exists() else Path.cwd())
    return DiskUse(str(root), sorted(folders, key=lambda f: -f.bytes), usage.total, usage.free)


def _walk(path: Path, deadline: float) -> tuple[int, int, bool]:
    """Bytes and files under ``path``; True as the third when the deadline cut the walk short."""
    if not path.is_dir() or path.is_symlink():
        try:
            return path.lstat().st_size, 1, False
        except OSError:
            return 0, 0, False
    size = files = 0
    stack = [str(path)]
    while stack:
        if time.monotonic() > deadline:
            return size, files, True
        try:
            with os.scandir(stack.pop()) as listing:
                for item in listing:
                    if item.is_dir(follow_symlinks=False):
                        stack.append(item.path)
                    else:
                        size += item.stat(follow_symlinks=False).st_size
                        files += 1
        except OSError:
            continue
    return size, files, False


@dataclass(frozen=True)
class ErrorRecord:
    """One recent failure: when, where (``worker``, ``ingestion``, ``notification``, ``report``), the object
    it concerns (a worker ``host:pid service``, a document, notification or report id) and what went wrong."""

    at: datetime
    source: str
    subject: str
    message: str


def last_errors(*, session: Session, actor: User, limit: int = LAST_ERRORS) -> list[ErrorRecord]:
    """The newest ``limit`` failures, newest first, from what every process stores (not any one process's
    log): the workers' services' last errors (in their heartbeats), failed ingestion jobs, failed
    notification deliveries and failed reports.

    Raises:
        Forbidden: the actor is not an admin.
    """
    require_role(actor, Role.ADMIN)
    records: list[ErrorRecord] = []
    for beat in session.exec(select(WorkerHeartbeat)).all():
        for name, state in beat.services.items():
            if isinstance(state, dict) and state.get("last_error"):
                records.append(ErrorRecord(beat.last_beat, "worker", f"{beat.hostname}:{beat.pid} {name}",
                                           str(state["last_error"])))
    documents = session.exec(select(Document).where(Document.status == DocumentStatus.FAILED.value)
                             .order_by(col(Document.updated_at).desc()).limit(limit)).all()
    records += [ErrorRecord(d.updated_at, "ingestion", f"document {d.id}", f"{d.error_code} {d.error_detail}".strip())
                for d in documents]
    notes = session.exec(select(Notification).where(Notification.status == NotificationStatus.FAILED.value)
                         .order_by(col(Notification.updated_at).desc()).limit(limit)).all()
    records += [ErrorRecord(n.updated_at, "notification", f"{n.channel} notification {n.id}", n.last_error or "")
                for n in notes]
    reports = session.exec(select(Report).where(Report.status == ReportStatus.FAILED.value)
                           .order_by(col(Report.updated_at).desc()).limit(limit)).all()
    records += [ErrorRecord(r.updated_at, "report", f"{r.kind} {r.id}", f"{r.error_code} {r.error_detail}".strip())
                for r in reports]
    return sorted(records, key=lambda r: r.at, reverse=True)[:limit]


"""The jobs that build reports and data exports (:class:`~assistant.models.Report` rows), and the files they leave.

The web asks (:func:`request_report`: a ``queued`` row and the scheduler signal ``report:<id>``); the leader's
scheduler runs :func:`run_report` in its runs executor (:mod:`assistant.worker.reports`), which hands a
:class:`ReportJob` to the builder of the row's kind. A builder reads what it needs in short transactions of its
own, reports ``(stage, percent)`` through :meth:`ReportJob.progress` (stored on the row and published on the
event bus under the topic ``report`` to the owner's open tabs) and returns the file it wrote in its work folder.
The file is moved under ``<data_dir>/reports`` with a server-chosen name only if the row still exists and was not
cancelled, under the row's lock; a deleted or cancelled report stops at its next progress step and leaves no file.
A builder that raises marks the report ``failed`` with :class:`ReportFailed`'s i18n key, or
``reports.failed.render`` and the exception's text for anything else. Nothing else is ever lost: the report
is a new file, never a change to the user's data.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from assistant.core import events
from assistant.core.config import Settings, get_settings
from assistant.core.db import session_scope
from assistant.core.errors import InvalidInput, NotFound
from assistant.core.security import create_download_ticket
from assistant.models import OPEN_REPORT_STATUSES, Report, ReportKind, ReportStatus, User
from assistant.models.base import utcnow
from assistant.services.scheduler.signals import signal_scheduler

log = logging.getLogger(__name__)

#: The longest title, characters (the column's size).
MAX_TITLE_CHARS = 200
#: Least seconds between two stored progress reports of one job (the last one is always stored).
PROGRESS_INTERVAL_SECONDS = 0.5


class ReportCancelled(Exception):
    """The report was deleted or cancelled while its job ran: the builder stops, nothing is stored."""


class ReportFailed(Exception):
    """A builder's failure the user can understand: ``code`` is an i18n key, ``detail`` English for the log."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code
        self.detail = detail


@dataclass
class ReportJob:
    """What a builder gets: the row's ``report_id``, ``owner_id``, ``kind``, ``title``, ``params``, the owner's
    ``language`` and ``timezone``, and ``work_dir``, an empty folder of its own (deleted after the job) on the
    same file system as the reports folder."""

    report_id: uuid.UUID
    owner_id: uuid.UUID
    kind: str
    title: str
    params: dict[str, Any]
    language: str
    timezone: str
    work_dir: Path
    _last_report: float = field(default=0.0, repr=False)

    def progress(self, stage: str, percent: float, *, force: bool = False) -> None:
        """Store and publish ``stage`` (a short English word: ``collecting``, ``rendering``, ``packing``; the UI
        translates ``reports.stage.<stage>``) and ``percent`` (0-100), at most every
        :data:`PROGRESS_INTERVAL_SECONDS` unless ``force``.

        Raises:
            ReportCancelled: the report was deleted or cancelled meanwhile (checked on every stored report).
        """
        now = time.monotonic()
        if not force and now - self._last_report < PROGRESS_INTERVAL_SECONDS:
            return
        self._last_report = now
        with session_scope() as session:
            report = _locked(session, self.report_id)
            if report is None or report.cancel_requested or report.status != ReportStatus.RUNNING.value:
                raise ReportCancelled(str(self.report_id))
            report.stage, report.progress = stage[:32], max(0, min(100, round(percent)))
            session.add(report)
            _publish(session, report)


@dataclass(frozen=True)
class BuiltFile:
    """A builder's result: ``path`` (in its work folder), ``media_type``, ``extension`` (with the dot, for the
    stored and downloaded names), ``page_count`` (PDFs), ``keep_for`` (deleted this long after it is built; None:
    kept until the user deletes it)."""

    path: Path
    media_type: str
    extension: str
    page_count: int | None = None
    keep_for: timedelta | None = None


#: A builder: makes the file of one kind of report.
Builder = Callable[[ReportJob], BuiltFile]


def reports_dir(settings: Settings) -> Path:
    """``<data_dir>/reports``: every built report and export, named by the server."""
    return settings.resolved_data_dir / "reports"


def report_path(settings: Settings, storage_name: str) -> Path:
    """The stored file of a report.

    Raises:
        ValueError: ``storage_name`` is not a plain file name.
    """
    if not storage_name or "/" in storage_name or "\\" in storage_name or storage_name in (".", ".."):
        raise ValueError(f"bad storage name {storage_name!r}")
    return reports_dir(settings) / storage_name


def _locked(session: Session, report_id: uuid.UUID) -> Report | None:
    return session.exec(select(Report).where(Report.id == report_id).with_for_update()).first()


def _publish(session: Session, report: Report) -> None:
    events.publish([report.owner_id], "report", {
        "id": str(report.id), "kind": report.kind, "status": report.status, "progress": report.progress,
        "stage": report.stage, "chat_id": str(report.chat_id) if report.chat_id else None}, session=session)


def request_report(*, session: Session, user: User, kind: ReportKind, title: str, params: dict[str, Any],
                   chat_id: uuid.UUID | None = None) -> Report:
    """Queue a report of ``kind`` for ``user`` and signal the scheduler (both when ``session`` commits). A data
    export asked for while one is open returns the open one (one job, however often it is asked for).

    Raises:
        InvalidInput: ``reports.title_invalid`` for an empty title or one over :data:`MAX_TITLE_CHARS`.
    """
    title = " ".join(title.split())
    if not title or len(title) > MAX_TITLE_CHARS:
        raise InvalidInput("reports.title_invalid", limit=MAX_TITLE_CHARS)
    if kind == ReportKind.DATA_EXPORT:
        open_export = _open_export(session, user.id)
        if open_export is not None:
            return open_export
    report = Report(owner_id=user.id, kind=kind.value, title=title, params=params, chat_id=chat_id)
    try:
        with session.begin_nested():
            session.add(report)
            session.flush()
    except IntegrityError:  # another tab asked for an export at the same moment
        open_export = _open_export(session, user.id)
        if open_export is None:
            raise
        return open_export
    signal_scheduler(session, "report", report.id)
    _publish(session, report)
    return report


def _open_export(session: Session, user_id: uuid.UUID) -> Report | None:
    return session.exec(select(Report).where(Report.owner_id == user_id, Report.kind == ReportKind.DATA_EXPORT.value,
                                             col(Report.status).in_(OPEN_REPORT_STATUSES))).first()


def list_reports(*, session: Session, user: User, kind: ReportKind | None = None, limit: int = 200) -> list[Report]:
    """The user's reports, newest first (at most ``limit``), of one ``kind`` or all."""
    query = select(Report).where(Report.owner_id == user.id)
    if kind is not None:
        query = query.where(Report.kind == kind.value)
    return list(session.exec(query.order_by(col(Report.created_at).desc()).limit(limit)).all())


def get_report(*, session: Session, user: User, report_id: uuid.UUID) -> Report:
    """The user's report ``report_id``.

    Raises:
        NotFound: ``reports.not_found`` for a missing report or another user's.
    """
    report = session.get(Report, report_id)
    if report is None or report.owner_id != user.id:
        raise NotFound("reports.not_found")
    return report


def delete_report(*, session: Session, user: User, report_id: uuid.UUID, settings: Settings | None = None) -> None:
    """Delete the user's report and its file; a job still building it stops at its next step and stores nothing.

    Raises:
        NotFound: ``reports.not_found``.
    """
    report = get_report(session=session, user=user, report_id=report_id)
    storage_name = report.storage_name
    session.delete(report)
    session.flush()
    signal_scheduler(session, "report", report_id)
    events.publish([user.id], "report", {"id": str(report_id), "kind": report.kind, "status": "deleted",
                                         "progress": 0, "stage": "", "chat_id": None}, session=session)
    if storage_name:
        report_path(settings or get_settings(), storage_name).unlink(missing_ok=True)


def cancel_open_reports(*, session: Session, user_id: uuid.UUID) -> int:
    """Cancel every queued or running report of ``user_id`` (a running job stops at its next step and stores
    nothing); returns how many. Used before an account is deleted."""
    rows = session.exec(select(Report).where(Report.owner_id == user_id, col(Report.status).in_(OPEN_REPORT_STATUSES))
                        .with_for_update()).all()
    for report in rows:
        report.cancel_requested, report.status, report.finished_at = True, ReportStatus.CANCELLED.value, utcnow()
        session.add(report)
        signal_scheduler(session, "report", report.id)
    return len(rows)


def download_ticket(*, session: Session, user: User, report_id: uuid.UUID, login_session_id: uuid.UUID) -> str:
    """A one-minute ticket for the browser to fetch a completed report (``GET /api/v1/reports/{id}/file?ticket=…``),
    bound to ``user`` and their login session (:func:`assistant.core.security.create_download_ticket`).

    Raises:
        NotFound: ``reports.not_found`` (missing, another user's, or not completed).
    """
    report = get_report(session=session, user=user, report_id=report_id)
    if report.status != ReportStatus.COMPLETED.value or not report.storage_name:
        raise NotFound("reports.not_found")
    return create_download_ticket(user_id=user.id, session_id=login_session_id, resource_id=report.id)


def report_file(*, session: Session, user: User, report_id: uuid.UUID,
                settings: Settings | None = None) -> tuple[Path, str, str]:
    """A completed report's file: ``(path, download name, media type)``.

    Raises:
        NotFound: ``reports.not_found`` (missing, another user's, not completed, expired, or its file is gone).
    """
    report = get_report(session=session, user=user, report_id=report_id)
    if report.status != ReportStatus.COMPLETED.value or not report.storage_name or (
            report.expires_at is not None and report.expires_at <= utcnow()):
        raise NotFound("reports.not_found")
    path = report_path(settings or get_settings(), report.storage_name)
    if not path.is_file():
        raise NotFound("reports.not_found")
    return path, download_name(report), report.media_type


def download_name(report: Report) -> str:
    """The file name a download gets: the title's letters, digits, spaces, dots and dashes (any script), the
    creation date and the stored file's extension: ``Health summary 2026-12-02.pdf``."""
    safe = "".join(ch for ch in report.title if ch.isalnum() or ch in " .-_").strip(" .") or report.kind
    extension = Path(report.storage_name or "").suffix
    return f"{safe[:80]} {report.created_at:%Y-%m-%d}{extension}"


def run_report(report_id: uuid.UUID, builders: Mapping[str, Builder], *,
               settings: Settings | None = None) -> str | None:
    """The job: build the queued report ``report_id`` with the builder of its kind and store its file; returns
    the status it ended with, or None when it was not queued (deleted, cancelled, or run already).
    Never raises for a builder's failure (the row records it)."""
    settings = settings or get_settings()
    job = _start(report_id)
    if job is None:
        return None
    folder = reports_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="report-", dir=folder) as work:
        job.work_dir = Path(work)
        try:
            builder = builders[job.kind]
            built = builder(job)
            return _finish(job, built, settings)
        except ReportCancelled:
            log.info("report %s was cancelled or deleted while it was built", report_id)
            return ReportStatus.CANCELLED.value
        except ReportFailed as exc:
            return _fail(report_id, exc.code, exc.detail)
        except Exception as exc:
            log.exception("report %s failed", report_id)
            return _fail(report_id, "reports.failed.render", f"{type(exc).__name__}: {exc}")


def _start(report_id: uuid.UUID) -> ReportJob | None:
    with session_scope() as session:
        report = _locked(session, report_id)
        if report is None or report.status != ReportStatus.QUEUED.value or report.cancel_requested:
            return None
        owner = session.get(User, report.owner_id)
        if owner is None:
            return None
        report.status, report.started_at, report.stage, report.progress = (
            ReportStatus.RUNNING.value, utcnow(), "collecting", 0)
        session.add(report)
        _publish(session, report)
        return ReportJob(report_id=report.id, owner_id=report.owner_id, kind=report.kind, title=report.title,
                         params=dict(report.params), language=owner.language, timezone=owner.timezone,
                         work_dir=Path())


def _finish(job: ReportJob, built: BuiltFile, settings: Settings) -> str:
    storage_name = f"{secrets.token_hex(16)}{built.extension}"
    target = report_path(settings, storage_name)
    with session_scope() as session:
        report = _locked(session, job.report_id)
        if report is None or report.cancel_requested or report.status != ReportStatus.RUNNING.value:
            return ReportStatus.CANCELLED.value
        shutil.move(built.path, target)
        finished = utcnow()
        report.status, report.progress, report.stage, report.finished_at = (
            ReportStatus.COMPLETED.value, 100, "done", finished)
        report.storage_name, report.media_type, report.size_bytes, report.page_count = (
            storage_name, built.media_type, target.stat().st_size, built.page_count)
        report.expires_at = finished + built.keep_for if built.keep_for is not None else None
        session.add(report)
        _publish(session, report)
    return ReportStatus.COMPLETED.value


def _fail(report_id: uuid.UUID, code: str, detail: str) -> str:
    with session_scope() as session:
        report = _locked(session, report_id)
        if report is None or report.status != ReportStatus.RUNNING.value:
            return ReportStatus.CANCELLED.value
        report.status, report.error_code, report.error_detail, report.finished_at = (
            ReportStatus.FAILED.value, code[:100], detail[:1000], utcnow())
        session.add(report)
        _publish(session, report)
    return ReportStatus.FAILED.value


def queued_reports() -> list[tuple[uuid.UUID, datetime]]:
    """``(id, created_at)`` of every queued report, for the scheduler's reconciliation."""
    with session_scope() as session:
        return [(row[0], row[1]) for row in session.exec(
            select(Report.id, Report.created_at).where(Report.status == ReportStatus.QUEUED.value,
                                                       col(Report.cancel_requested).is_(False))).all()]


def is_queued(report_id: uuid.UUID) -> datetime | None:
    """The report's creation time if it waits for its job, else None."""
    with session_scope() as session:
        row = session.exec(select(Report.created_at).where(
            Report.id == report_id, Report.status == ReportStatus.QUEUED.value,
            col(Report.cancel_requested).is_(False))).first()
        return row


def fail_interrupted_reports() -> int:
    """Reports a dead worker left ``running``: marked failed (``reports.failed.interrupted``; the user may ask
    again); returns how many. Called when the scheduler starts, before any job of its own."""
    with session_scope() as session:
        stale = session.exec(select(Report).where(Report.status == ReportStatus.RUNNING.value).with_for_update()).all()
        for report in stale:
            report.status, report.error_code, report.finished_at = (
                ReportStatus.FAILED.value, "reports.failed.interrupted", utcnow())
            session.add(report)
            _publish(session, report)
    return len(stale)


def purge_expired(settings: Settings | None = None, now: datetime | None = None) -> int:
    """Delete the reports whose ``expires_at`` passed (rows and files); returns how many."""
    settings = settings or get_settings()
    with session_scope() as session:
        expired = session.exec(select(Report).where(col(Report.expires_at) <= (now or utcnow()))).all()
        names = [report.storage_name for report in expired if report.storage_name]
        for report in expired:
            session.delete(report)
    for name in names:
        report_path(settings, name).unlink(missing_ok=True)
    return len(expired)

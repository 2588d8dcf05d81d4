"""Export my data: a zip of everything the assistant holds about one user, built as a report job.

The web asks with :func:`request_data_export` (one open export per user: asking again returns it); the leader's
scheduler runs :func:`build_data_export` through :func:`assistant.services.reports.jobs.run_report`, and the zip
is kept :data:`KEEP_FOR` for the user to download from the Reports page.

Inside the zip (described to the user by ``README.txt``, in their language):

* one JSON file per entity (:data:`ENTITIES`): ``account.json`` is one object, every other file an array of
  objects, one per row, with the table's columns under their own names (times in ISO 8601, UTC);
* ``documents/``: the original files the user uploaded (also to shared collections), under their own names made
  safe for every file system and unique (``documents.json`` gives each row's ``file``);
* ``reports/``: the completed PDF reports (``reports.json`` gives each row's ``file``).

What is left out on purpose: secrets (the password hash, refresh-token hashes and login-session ids, one-time
codes), what is derived from the rest and rebuilt at will (document chunks, page texts and embeddings, memory
embeddings, the context assembled for each answer), other users' documents in shared collections, and earlier
data exports. Every query filters by the owner.

Memory stays bounded whatever the account's size: rows are read through a server-side cursor
:data:`BATCH_ROWS` at a time and written as they come into the zip (deflated, ZIP64), files are copied in
pieces. Progress: ``collecting`` 0-60 % over the entities, ``packing`` 60-100 % over the files.
"""

from __future__ import annotations

import io
import json
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel, col

from assistant.core.config import Settings, get_settings
from assistant.core.db import session_scope
from assistant.core.i18n import translate
from assistant.models import (
    Agent,
    AuthSession,
    Chat,
    Collection,
    CollectionGrant,
    ContextFile,
    ContextFileVersion,
    DeliveryPreferences,
    Document,
    Group,
    GroupMember,
    MemoryChange,
    MemoryEntry,
    Message,
    Notification,
    NotificationDelivery,
    Reminder,
    ReminderProposal,
    Report,
    ReportKind,
    ReportStatus,
    Skill,
    Task,
    TaskRun,
    TelegramLink,
    User,
)
from assistant.models.base import utcnow
from assistant.services.rag.paths import document_path
from assistant.services.reports import jobs
from assistant.services.reports.jobs import BuiltFile, ReportJob

#: How long a built export can be downloaded.
KEEP_FOR = timedelta(hours=24)
#: Rows read from the database per round trip.
BATCH_ROWS = 500
#: The longest file name (characters) given to a document or report inside the zip.
MAX_NAME_CHARS = 120
#: Share of the progress bar the entities take; the files take the rest.
COLLECTING_PERCENT = 60

#: A query of any columns.
AnySelect = Select[*tuple[Any, ...]]
Query = Callable[[uuid.UUID], AnySelect]


def request_data_export(*, session: Session, user: User) -> Report:
    """Queue an export of all of ``user``'s data (titled in their language), or return the one already open
    (:func:`assistant.services.reports.jobs.request_report`); the scheduler is signalled when ``session``
    commits."""
    return jobs.request_report(session=session, user=user, kind=ReportKind.DATA_EXPORT,
                               title=translate("account.data.export_title", user.language), params={})


def _columns(model: type[SQLModel], *exclude: str) -> list[Any]:
    return [column for column in model.__table__.columns  # type: ignore[attr-defined]
            if column.name not in exclude]


def _rows(model: type[SQLModel], where: ColumnElement[bool], *exclude: str, order: tuple[Any, ...] = ()) -> AnySelect:
    return select(*_columns(model, *exclude)).where(where).order_by(*order)


def _messages(user_id: uuid.UUID) -> AnySelect:
    return (select(*_columns(Message, "context")).join(Chat, col(Chat.id) == col(Message.chat_id))
            .where(col(Chat.user_id) == user_id).order_by(col(Message.chat_id), col(Message.seq)))


def _deliveries(user_id: uuid.UUID) -> AnySelect:
    return (select(*_columns(NotificationDelivery))
            .join(Notification, col(Notification.id) == col(NotificationDelivery.notification_id))
            .where(col(Notification.user_id) == user_id)
            .order_by(col(NotificationDelivery.created_at), col(NotificationDelivery.id)))


def _personal_context(user_id: uuid.UUID) -> AnySelect:
    return (select(col(ContextFileVersion.version), col(ContextFileVersion.content), col(ContextFileVersion.created_at))
            .join(ContextFile, col(ContextFile.id) == col(ContextFileVersion.file_id))
            .where(col(ContextFile.owner_id) == user_id).order_by(col(ContextFileVersion.version)))


def _grants(user_id: uuid.UUID) -> AnySelect:
    return (select(col(CollectionGrant.collection_id), col(Collection.name).label("collection_name"),
                   col(CollectionGrant.created_at))
            .join(Collection, col(Collection.id) == col(CollectionGrant.collection_id))
            .where(col(CollectionGrant.user_id) == user_id).order_by(col(Collection.name)))


def _groups(user_id: uuid.UUID) -> AnySelect:
    return (select(col(Group.name).label("group_name"), col(GroupMember.created_at))
            .join(Group, col(Group.id) == col(GroupMember.group_id))
            .where(col(GroupMember.user_id) == user_id).order_by(col(Group.name)))


def _login_sessions(user_id: uuid.UUID) -> AnySelect:
    """The devices signed in, without the session's id (half of its refresh token) or the token's hash."""
    return (select(col(AuthSession.device_info), col(AuthSession.client_address), col(AuthSession.created_at),
                   col(AuthSession.last_used_at), col(AuthSession.expires_at), col(AuthSession.revoked_at))
            .where(col(AuthSession.user_id) == user_id).order_by(col(AuthSession.created_at)))


#: The JSON files of the zip besides ``account.json``, ``documents.json`` and ``reports.json``: name -> query.
ENTITIES: dict[str, Query] = {
    "login_sessions": _login_sessions,
    "delivery_preferences": lambda u: _rows(DeliveryPreferences, col(DeliveryPreferences.user_id) == u),
    "telegram_link": lambda u: _rows(TelegramLink, col(TelegramLink.user_id) == u),
    "collection_grants": _grants,
    "groups": _groups,
    "personal_context": _personal_context,
    "skills": lambda u: _rows(Skill, col(Skill.owner_id) == u, order=(col(Skill.position), col(Skill.id))),
    "agents": lambda u: _rows(Agent, col(Agent.owner_id) == u, order=(col(Agent.created_at), col(Agent.id))),
    "chats": lambda u: _rows(Chat, col(Chat.user_id) == u, order=(col(Chat.created_at), col(Chat.id))),
    "messages": _messages,
    "memories": lambda u: _rows(MemoryEntry, col(MemoryEntry.user_id) == u, "embedding", "lexemes",
                                order=(col(MemoryEntry.created_at), col(MemoryEntry.id))),
    "memory_changes": lambda u: _rows(MemoryChange, col(MemoryChange.user_id) == u,
                                      order=(col(MemoryChange.created_at), col(MemoryChange.id))),
    "tasks": lambda u: _rows(Task, col(Task.user_id) == u, order=(col(Task.created_at), col(Task.id))),
    "task_runs": lambda u: _rows(TaskRun, col(TaskRun.user_id) == u, order=(col(TaskRun.created_at), col(TaskRun.id))),
    "reminders": lambda u: _rows(Reminder, col(Reminder.user_id) == u,
                                 order=(col(Reminder.created_at), col(Reminder.id))),
    "reminder_proposals": lambda u: _rows(ReminderProposal, col(ReminderProposal.user_id) == u,
                                          order=(col(ReminderProposal.created_at), col(ReminderProposal.id))),
    "notifications": lambda u: _rows(Notification, col(Notification.user_id) == u,
                                     order=(col(Notification.created_at), col(Notification.id))),
    "notification_deliveries": _deliveries,
}


@dataclass(frozen=True)
class _File:
    """A file to copy into the zip: where it is stored and its name inside."""

    source: Path
    arcname: str


def _plain(value: Any) -> Any:
    """JSON for what ``json`` does not know: times and dates in ISO 8601, UUIDs and the rest as text."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _dumps(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, default=_plain)


def safe_name(name: str, taken: set[str]) -> str:
    """``name`` as a file name every system accepts: letters and digits of any script, spaces, dots, dashes,
    underscores and brackets kept, anything else ``_``, at most :data:`MAX_NAME_CHARS` characters; made unique
    among ``taken`` (compared case-insensitively, then added to it) with `` (2)``, `` (3)``... before the
    extension."""
    clean = "".join(ch if ch.isalnum() or ch in " .-_()" else "_" for ch in unicodedata.normalize("NFC", name))
    clean = clean.strip(" .") or "file"
    path = Path(clean)
    suffix = path.suffix if len(path.suffix) <= 10 and path.suffix[1:].isalnum() else ""
    stem = clean[: len(clean) - len(suffix)][: MAX_NAME_CHARS - len(suffix)].rstrip(" .") or "file"
    candidate, number = f"{stem}{suffix}", 1
    while candidate.casefold() in taken:
        number += 1
        candidate = f"{stem} ({number}){suffix}"
    taken.add(candidate.casefold())
    return candidate


class _Writer:
    """The zip being written and the job's progress over it."""

    def __init__(self, archive: zipfile.ZipFile, job: ReportJob, steps: int) -> None:
        self.archive, self.job, self.steps, self.done = archive, job, steps, 0

    def _percent(self) -> float:
        return COLLECTING_PERCENT * self.done / max(1, self.steps)

    def write_array(self, name: str, rows: Iterator[dict[str, Any]]) -> None:
        """``<name>.json``: a JSON array written row by row; progress (and the cancellation check) every
        :data:`BATCH_ROWS` rows."""
        self.job.progress("collecting", self._percent())
        with io.TextIOWrapper(self.archive.open(f"{name}.json", "w", force_zip64=True), encoding="utf-8") as out:
            out.write("[")
            for count, row in enumerate(rows):
                out.write(",\n" if count else "\n")
                out.write(_dumps(row))
                if count and count % BATCH_ROWS == 0:
                    self.job.progress("collecting", self._percent())
            out.write("\n]\n")
        self.done += 1


def _stream(query: AnySelect) -> Iterator[dict[str, Any]]:
    """The rows of ``query`` as dicts, fetched :data:`BATCH_ROWS` at a time through a server-side cursor."""
    with session_scope() as session:
        for row in session.execute(query.execution_options(yield_per=BATCH_ROWS)).mappings():
            yield dict(row)


#: The account's columns in ``account.json``: named one by one, so that a secret column added to ``users`` later
#: (the password hash is one now) is never exported by default.
ACCOUNT_FIELDS = ("id", "email", "display_name", "preferred_name", "language", "timezone", "role", "is_active",
                  "max_chats", "answer_style", "units", "default_tier", "confirm_health_memories",
                  "email_verified_at", "created_at", "updated_at")


def _account(user_id: uuid.UUID) -> dict[str, Any]:
    columns = [User.__table__.columns[name] for name in ACCOUNT_FIELDS]  # type: ignore[attr-defined]
    with session_scope() as session:
        return dict(session.execute(select(*columns).where(col(User.id) == user_id)).mappings().one())


def _documents(user_id: uuid.UUID, settings: Settings, files: list[_File]) -> Iterator[dict[str, Any]]:
    """The user's own uploads (also those in shared collections), each with the ``file`` it has in the zip
    (None when its stored file is gone); appends the files to copy to ``files``."""
    taken: set[str] = set()
    query = _rows(Document, col(Document.owner_id) == user_id, "storage_name", "lease_until", "cancel_requested",
                  order=(col(Document.created_at), col(Document.id)))
    for row in _stream(query.add_columns(col(Document.storage_name).label("_storage"))):
        source = document_path(settings, row.pop("_storage"))
        row["file"] = None
        if source.is_file():
            row["file"] = f"documents/{safe_name(str(row['filename']), taken)}"
            files.append(_File(source, row["file"]))
        yield row


def _reports(user_id: uuid.UUID, settings: Settings, files: list[_File]) -> Iterator[dict[str, Any]]:
    """Every report of the user, each with the ``file`` it has in the zip: completed PDF reports only (earlier
    data exports are listed without their zip)."""
    taken: set[str] = set()
    now = utcnow()
    query = select(Report).where(col(Report.owner_id) == user_id).order_by(col(Report.created_at), col(Report.id))
    with session_scope() as session:
        reports = list(session.scalars(query).all())
    for report in reports:
        row = report.model_dump(exclude={"storage_name", "cancel_requested"})
        row["file"] = None
        if (report.kind != ReportKind.DATA_EXPORT.value and report.status == ReportStatus.COMPLETED.value
                and report.storage_name and (report.expires_at is None or report.expires_at > now)):
            source = jobs.report_path(settings, report.storage_name)
            if source.is_file():
                row["file"] = f"reports/{safe_name(jobs.download_name(report), taken)}"
                files.append(_File(source, row["file"]))
        yield row


def build_data_export(job: ReportJob, *, settings: Settings | None = None) -> BuiltFile:
    """The report builder of ``data_export``: the zip described in the module docstring, written to
    ``job.work_dir``.

    Raises:
        ReportCancelled: the export was cancelled or deleted meanwhile (from ``job.progress``).
    """
    settings = settings or get_settings()
    path = job.work_dir / "export.zip"
    files: list[_File] = []
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        writer = _Writer(archive, job, steps=len(ENTITIES) + 3)
        archive.writestr("README.txt", translate("account.data.readme", job.language) + "\n")
        job.progress("collecting", 0, force=True)
        with archive.open("account.json", "w") as out:
            out.write((json.dumps(_account(job.owner_id), ensure_ascii=False, default=_plain, indent=1)
                       + "\n").encode())
        writer.done += 1
        for name, query in ENTITIES.items():
            writer.write_array(name, _stream(query(job.owner_id)))
        writer.write_array("documents", _documents(job.owner_id, settings, files))
        writer.write_array("reports", _reports(job.owner_id, settings, files))
        for number, item in enumerate(files):
            job.progress("packing", COLLECTING_PERCENT + (100 - COLLECTING_PERCENT) * number / len(files))
            try:
                archive.write(item.source, item.arcname)
            except FileNotFoundError:  # the document was deleted meanwhile
                continue
        job.progress("packing", 100, force=True)
    return BuiltFile(path=path, media_type="application/zip", extension=".zip", keep_for=KEEP_FOR)

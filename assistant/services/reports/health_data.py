"""What a health summary reads, each piece in a short transaction of its own and always for one owner: the
health facts (at most :data:`MAX_MEMORIES`), the names behind their sources (documents the owner may read, the
owner's chats and messages), the upcoming reminders with their adherence, and the open tasks.

Only the columns a report prints are read (never the facts' embeddings), so a large memory costs little.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Date, and_, case, cast, false, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from assistant.core.db import session_scope
from assistant.models import (
    Chat,
    Document,
    MemoryEntry,
    Message,
    Notification,
    NotificationStatus,
    NotificationType,
    Reminder,
    Task,
    User,
)
from assistant.models.base import utcnow
from assistant.models.memory import MemoryCategory, MemoryStatus
from assistant.models.reminder import Channel, ReminderKind, ReminderStatus
from assistant.models.task import TaskStatus
from assistant.services.rag.access import readable_by

#: The most memory entries one report reads (the report says how many more there were).
MAX_MEMORIES = 2_000
#: The most reminders and open tasks one report lists.
MAX_REMINDERS, MAX_TASKS = 100, 200

#: Categories whose active facts are "current" (whatever the date range).
CURRENT_CATEGORIES = (MemoryCategory.MEDICATION.value, MemoryCategory.ALLERGY.value, MemoryCategory.CONDITION.value)
#: Categories read as series of values within the date range.
SERIES_CATEGORIES = (MemoryCategory.VITAL.value, MemoryCategory.LAB_RESULT.value)


@dataclass(frozen=True)
class Fact:
    """One memory entry as a report uses it; ``day``: its ``valid_from``, else the local day it was stored."""

    id: uuid.UUID
    content: str
    category: str
    status: str
    day: date
    valid_from: date | None
    valid_until: date | None
    superseded_by: uuid.UUID | None
    author: str
    chat_id: uuid.UUID | None
    message_id: uuid.UUID | None
    document_id: uuid.UUID | None
    page: int | None
    created_at: datetime


@dataclass(frozen=True)
class Facts:
    """The facts read (current ones first, then history and series, newest first) and ``left_out``: how many
    more matched beyond :data:`MAX_MEMORIES`."""

    rows: list[Fact]
    left_out: int


def _fact_day(timezone: str) -> ColumnElement[date]:
    return func.coalesce(col(MemoryEntry.valid_from), cast(func.timezone(timezone, col(MemoryEntry.created_at)), Date))


def read_facts(owner_id: uuid.UUID, categories: set[str], date_from: date | None, date_to: date | None,
               timezone: str, limit: int = MAX_MEMORIES) -> Facts:
    """The owner's facts of ``categories`` a health summary prints: active medications, allergies and
    conditions; superseded medications that held during the range (their changes); vitals and lab values
    (active or superseded) whose day is in the range. Forgotten facts never."""
    day = _fact_day(timezone)
    in_range = [day >= date_from] if date_from else []
    in_range += [day <= date_to] if date_to else []
    current = and_(col(MemoryEntry.category).in_([c for c in CURRENT_CATEGORIES if c in categories]),
                   col(MemoryEntry.status) == MemoryStatus.ACTIVE.value)
    held = [or_(col(MemoryEntry.valid_until).is_(None), col(MemoryEntry.valid_until) >= date_from)] if date_from else []
    history = and_(col(MemoryEntry.category) == MemoryCategory.MEDICATION.value,
                   col(MemoryEntry.status) == MemoryStatus.SUPERSEDED.value, *held,
                   *([day <= date_to] if date_to else [])) if MemoryCategory.MEDICATION in categories else false()
    series = and_(col(MemoryEntry.category).in_([c for c in SERIES_CATEGORIES if c in categories]),
                  col(MemoryEntry.status).in_([MemoryStatus.ACTIVE.value, MemoryStatus.SUPERSEDED.value]), *in_range)
    wanted = and_(col(MemoryEntry.user_id) == owner_id, or_(current, history, series))
    rank = case((current, 0), (history, 1), else_=2)
    with session_scope() as session:
        total = session.exec(select(func.count()).select_from(MemoryEntry).where(wanted)).one()
        columns = [col(MemoryEntry.id), col(MemoryEntry.content), col(MemoryEntry.category),
                   col(MemoryEntry.status), day, col(MemoryEntry.valid_from), col(MemoryEntry.valid_until),
                   col(MemoryEntry.superseded_by), col(MemoryEntry.author), col(MemoryEntry.source_chat_id),
                   col(MemoryEntry.source_message_id), col(MemoryEntry.source_document_id),
                   col(MemoryEntry.source_page), col(MemoryEntry.created_at)]
        rows = session.execute(sa_select(*columns).where(wanted).order_by(
            rank, day.desc(), col(MemoryEntry.created_at).desc()).limit(limit)).all()
    return Facts(rows=[Fact(*row) for row in rows], left_out=max(0, int(total) - len(rows)))


@dataclass(frozen=True)
class SourceNames:
    """What the footnotes name: ``documents`` id -> (file name, page count, added), only documents the owner
    may read; ``chats`` id -> title, only the owner's; ``messages`` id -> when it was written."""

    documents: dict[uuid.UUID, tuple[str, int | None, datetime]]
    chats: dict[uuid.UUID, str]
    messages: dict[uuid.UUID, datetime]


def read_source_names(owner_id: uuid.UUID, facts: list[Fact]) -> SourceNames:
    """The names of the documents, chats and messages ``facts`` come from (three queries)."""
    documents = list({fact.document_id for fact in facts if fact.document_id})
    chats = list({fact.chat_id for fact in facts if fact.chat_id})
    messages = list({fact.message_id for fact in facts if fact.message_id})
    with session_scope() as session:
        found_documents = {row[0]: (row[1], row[2], row[3]) for row in session.exec(select(
            Document.id, Document.filename, Document.page_count, Document.created_at).where(
            col(Document.id).in_(documents), readable_by(owner_id)))} if documents else {}
        found_chats = dict(session.exec(select(Chat.id, Chat.title).where(
            col(Chat.id).in_(chats), Chat.user_id == owner_id)).all()) if chats else {}
        found_messages = dict(session.exec(select(Message.id, Message.created_at).join(
            Chat, col(Chat.id) == col(Message.chat_id)).where(
            col(Message.id).in_(messages), Chat.user_id == owner_id)).all()) if messages else {}
    return SourceNames(documents=found_documents, chats=found_chats, messages=found_messages)


@dataclass(frozen=True)
class ReminderLine:
    """An upcoming reminder: the row (read-only copy), and for a medication reminder the occurrences in the
    range that fired (``fired``) and were answered Taken (``taken``)."""

    reminder: Reminder
    fired: int
    taken: int


def _local_start(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(timezone)).astimezone(UTC)


def read_reminders(owner_id: uuid.UUID, date_from: date | None, date_to: date | None,
                   timezone: str) -> list[ReminderLine]:
    """The owner's active reminders with a next occurrence (soonest first, at most :data:`MAX_REMINDERS`;
    the assistant's own task schedules left out), with the adherence of the medication ones over the range
    (in-app reminder notifications whose occurrence lies in it and has passed)."""
    now = utcnow()
    until = min(now, _local_start(date_to + timedelta(days=1), timezone)) if date_to else now
    with session_scope() as session:
        reminders = list(session.exec(select(Reminder).where(
            Reminder.user_id == owner_id, Reminder.status == ReminderStatus.ACTIVE.value,
            col(Reminder.kind) != ReminderKind.ASSISTANT.value, col(Reminder.next_occurrence_at).is_not(None))
            .order_by(col(Reminder.next_occurrence_at)).limit(MAX_REMINDERS)).all())
        medication = [row.id for row in reminders if row.kind == ReminderKind.MEDICATION.value]
        counts = {row[0]: (int(row[1]), int(row[2])) for row in session.exec(select(
            Notification.reminder_id, func.count(),
            func.count().filter(col(Notification.status) == NotificationStatus.ACKNOWLEDGED.value)).where(
            Notification.user_id == owner_id, col(Notification.reminder_id).in_(medication),
            Notification.channel == Channel.IN_APP.value, Notification.type == NotificationType.REMINDER.value,
            col(Notification.occurrence_at) <= until,
            col(Notification.occurrence_at) >= _local_start(date_from, timezone) if date_from else True,
        ).group_by(col(Notification.reminder_id)))} if medication else {}
        session.expunge_all()
    return [ReminderLine(reminder=row, fired=counts.get(row.id, (0, 0))[0], taken=counts.get(row.id, (0, 0))[1])
            for row in reminders]


def read_open_tasks(owner_id: uuid.UUID) -> list[Task]:
    """The owner's tasks still to do (to do or in progress), due first (soonest), at most :data:`MAX_TASKS`."""
    with session_scope() as session:
        tasks = list(session.exec(select(Task).where(
            Task.user_id == owner_id, col(Task.status).in_([TaskStatus.TODO.value, TaskStatus.IN_PROGRESS.value]))
            .order_by(col(Task.due_at).asc().nulls_last(), col(Task.created_at)).limit(MAX_TASKS)).all())
        session.expunge_all()
    return tasks


def read_owner(owner_id: uuid.UUID) -> tuple[str, str]:
    """The owner's name as the report's header shows it (preferred name, else display name) and e-mail."""
    with session_scope() as session:
        user = session.get(User, owner_id)
        if user is None:
            return "", ""
        return (user.preferred_name or user.display_name or user.email), user.email

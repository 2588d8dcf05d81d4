"""What the daily review goes over, gathered for one user and bounded, and written as Markdown text.

Bounds (so a review's input stays small, whatever the user keeps): at most :data:`MEMORY_LIMIT` remembered
facts (critical and high first, then the most recently changed), :data:`LIST_LIMIT` open tasks due by the end of
tomorrow (overdue first), :data:`LIST_LIMIT` reminders in the next 24 hours, :data:`LIST_LIMIT` documents added
since the last review, the adherence of the medication reminders over the last :data:`ADHERENCE_DAYS` days;
the text is cut to :data:`MAX_INPUT_CHARS` characters (about 2,000 tokens) with a note that it was cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case
from sqlmodel import Session, col, select

from assistant.core.i18n import format_date, format_datetime, translate
from assistant.models import (
    Document,
    MemoryEntry,
    MemoryImportance,
    MemoryStatus,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Task,
    TaskStatus,
    User,
)
from assistant.services.scheduler.views import adherence_by_reminder
from assistant.services.tasks.due import day_start, is_overdue, today

MEMORY_LIMIT = 30
LIST_LIMIT = 20
ADHERENCE_DAYS = 7
MAX_INPUT_CHARS = 8_000
#: The window of upcoming reminders.
UPCOMING = timedelta(hours=24)


@dataclass
class Materials:
    """The lists of one review, each already written for the user (their language and time zone)."""

    memories: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    reminders: list[str] = field(default_factory=list)
    adherence: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.memories or self.tasks or self.reminders or self.adherence or self.documents)


def gather(*, session: Session, user: User, since: datetime | None, now: datetime) -> Materials:
    """The review's lists for ``user`` at ``now`` (aware UTC); ``since``: the last review (documents added
    after it are listed; None: the last day)."""
    language, zone = user.language, user.timezone
    materials = Materials()
    rank = case({MemoryImportance.CRITICAL.value: 0, MemoryImportance.HIGH.value: 1}, value=MemoryEntry.importance,
                else_=2)
    materials.memories = list(session.exec(select(MemoryEntry.content).where(
        MemoryEntry.user_id == user.id, MemoryEntry.status == MemoryStatus.ACTIVE.value)
        .order_by(rank, col(MemoryEntry.updated_at).desc()).limit(MEMORY_LIMIT)).all())
    horizon = day_start(today(now, zone) + timedelta(days=2), zone)
    tasks = session.exec(select(Task).where(
        Task.user_id == user.id, col(Task.status).in_([TaskStatus.TODO.value, TaskStatus.IN_PROGRESS.value]),
        col(Task.due_at).is_not(None), col(Task.due_at) < horizon).order_by(col(Task.due_at)).limit(LIST_LIMIT)).all()
    for task in tasks:
        assert task.due_at is not None
        when = (format_date(task.due_at, language, zone) if task.due_all_day
                else format_datetime(task.due_at, language, zone))
        key = "review.task_overdue" if is_overdue(task.due_at, task.due_all_day, now, zone) else "review.task_due"
        materials.tasks.append(translate(key, language, title=task.title, when=when))
    reminders = session.exec(select(Reminder).where(
        Reminder.user_id == user.id, Reminder.status == ReminderStatus.ACTIVE.value,
        col(Reminder.kind) != ReminderKind.ASSISTANT.value, col(Reminder.next_fire_at) >= now,
        col(Reminder.next_fire_at) < now + UPCOMING).order_by(col(Reminder.next_fire_at)).limit(LIST_LIMIT)).all()
    for reminder in reminders:
        assert reminder.next_fire_at is not None
        materials.reminders.append(translate("review.reminder_at", language, title=reminder.title,
                                             when=format_datetime(reminder.next_fire_at, language, zone)))
    medication = session.exec(select(Reminder.id, Reminder.title).where(
        Reminder.user_id == user.id, Reminder.kind == ReminderKind.MEDICATION.value,
        col(Reminder.status) != ReminderStatus.ENDED.value).limit(LIST_LIMIT)).all()
    kept = adherence_by_reminder(session=session, user=user, reminder_ids=[row[0] for row in medication],
                                 days=ADHERENCE_DAYS)
    for reminder_id, title in medication:
        value = kept[reminder_id]
        if value.occurrences:
            materials.adherence.append(translate("review.adherence_line", language, title=title,
                                                 taken=value.acknowledged, count=value.occurrences))
    added_after = since if since is not None else now - timedelta(days=1)
    materials.documents = list(session.exec(select(Document.filename).where(
        Document.owner_id == user.id, col(Document.created_at) > added_after)
        .order_by(col(Document.created_at)).limit(LIST_LIMIT)).all())
    return materials


def as_text(materials: Materials, language: str) -> str:
    """The lists as Markdown sections (empty ones left out), cut to :data:`MAX_INPUT_CHARS`."""
    sections = [("review.section_tasks", materials.tasks), ("review.section_reminders", materials.reminders),
                ("review.section_adherence", materials.adherence), ("review.section_documents", materials.documents),
                ("review.section_memories", materials.memories)]
    text = "\n\n".join(f"### {translate(key, language)}\n" + "\n".join(f"- {line}" for line in lines)
                       for key, lines in sections if lines)
    if len(text) > MAX_INPUT_CHARS:
        text = text[:MAX_INPUT_CHARS].rsplit("\n", 1)[0] + "\n\n" + translate("review.cut", language)
    return text

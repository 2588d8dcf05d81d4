"""Reminders: one-time or recurring, in an IANA time zone of their own, computed in local time."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Date, DateTime, Index, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from assistant.models.base import created_at_field, one_of, tz_field, updated_at_field, uuid_pk

#: The longest reminder title and note, in characters.
MAX_REMINDER_TITLE_CHARS = 200
MAX_REMINDER_NOTE_CHARS = 2_000


class Recurrence(StrEnum):
    """How a reminder repeats; every kind but ``once`` is stored as an RFC 5545 RRULE too."""

    ONCE = "once"
    DAILY = "daily"
    WEEKDAYS = "weekdays"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    HOURLY = "hourly"  # every N hours within a daily window
    RRULE = "rrule"  # an RRULE the user or the assistant wrote


class ReminderKind(StrEnum):
    """``medication`` reminders are acknowledged with "Taken" rather than "Done"; an ``assistant`` reminder is
    the schedule of a task handed to the assistant: each occurrence starts a run of its task instead of
    notifying."""

    GENERAL = "general"
    MEDICATION = "medication"
    ASSISTANT = "assistant"


class ReminderStatus(StrEnum):
    """``ended``: a one-time reminder that fired, or a series past its end date or count."""

    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class Channel(StrEnum):
    """Where a notification is delivered; :data:`ESCALATION_ORDER` is the order escalation walks."""

    IN_APP = "in_app"
    EMAIL = "email"
    TELEGRAM = "telegram"


#: The channel an unacknowledged reminder escalates to after each one.
ESCALATION_ORDER = (Channel.IN_APP.value, Channel.TELEGRAM.value, Channel.EMAIL.value)


class Reminder(SQLModel, table=True):
    """One reminder of one user.

    ``starts_at``: the local wall-clock time (no offset) of the first occurrence in ``timezone`` (RRULE's
    DTSTART); ``rrule``: the RRULE (without DTSTART) for every recurrence but ``once``; ``until_date`` (last
    local day) and ``count`` end a series. ``next_occurrence_at``: the next occurrence (UTC), the identity of
    its notifications; ``next_fire_at``: when it fires, later than the occurrence when snoozed; both None
    when paused or ended. ``task_id``: the task this reminder belongs to, if any.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        CheckConstraint(one_of("recurrence", Recurrence), name="ck_reminders_recurrence"),
        CheckConstraint(one_of("kind", ReminderKind), name="ck_reminders_kind"),
        CheckConstraint(one_of("status", ReminderStatus), name="ck_reminders_status"),
        CheckConstraint("count IS NULL OR count > 0", name="ck_reminders_count"),
        CheckConstraint("escalate_after_minutes IS NULL OR escalate_after_minutes BETWEEN 1 AND 1440",
                        name="ck_reminders_escalate_after_minutes"),
        Index("ix_reminders_user_status", "user_id", "status"),
        Index("ix_reminders_next_fire_at", "next_fire_at"),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    title: str = Field(max_length=MAX_REMINDER_TITLE_CHARS)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    kind: str = Field(default=ReminderKind.GENERAL.value, max_length=16)
    timezone: str = Field(max_length=64)
    starts_at: datetime = Field(sa_column=Column(DateTime(timezone=False), nullable=False))
    recurrence: str = Field(default=Recurrence.ONCE.value, max_length=16)
    rrule: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    until_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    count: int | None = None
    channels: list[str] = Field(
        default_factory=lambda: [Channel.IN_APP.value],
        sa_column=Column(JSONB, nullable=False, server_default=text("'[\"in_app\"]'::jsonb")))
    status: str = Field(default=ReminderStatus.ACTIVE.value, max_length=16)
    next_occurrence_at: datetime | None = tz_field()
    next_fire_at: datetime | None = tz_field()
    last_fired_at: datetime | None = tz_field()
    task_id: uuid.UUID | None = Field(default=None, foreign_key="tasks.id", ondelete="SET NULL", index=True)
    #: Minutes after which an occurrence nobody acknowledged is sent again on the next channel (in-app ->
    #: Telegram -> e-mail); None: never.
    escalate_after_minutes: int | None = None
    #: Where a reminder set up from a document came from (a medication on a prescription's page).
    source_document_id: uuid.UUID | None = Field(default=None, foreign_key="documents.id", ondelete="SET NULL")
    source_page: int | None = None
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()

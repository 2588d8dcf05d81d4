"""Notifications: one row per message to a user on one channel, delivered at most once."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Index, Text
from sqlmodel import Field, SQLModel

from assistant.models.base import created_at_field, one_of, tz_field, updated_at_field, uuid_pk
from assistant.models.reminder import Channel


class NotificationType(StrEnum):
    REMINDER = "reminder"
    TASK = "task"
    ALERT = "alert"
    INFO = "info"
    AI_GENERATED = "ai_generated"


class NotificationStatus(StrEnum):
    """``pending``: waiting for its time (a snoozed reminder too); ``sent``: handed to the channel (in-app:
    pushed to the open tabs); ``delivered``: the channel confirmed it; ``read``: the user opened it;
    ``acknowledged``: the user pressed Done/Taken; ``missed``: its occurrence passed while the scheduler was
    down, beyond the grace window; ``failed``: the channel refused it (``last_error``)."""

    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    ACKNOWLEDGED = "acknowledged"
    MISSED = "missed"
    FAILED = "failed"


class Notification(SQLModel, table=True):
    """One notification of one user on one channel.

    ``idempotency_key``: unique, ``"reminder:<reminder id>:<occurrence, ISO 8601 UTC>:<channel>"`` for a
    reminder's occurrence, so an occurrence is stored (and delivered) at most once per channel whatever
    restarts or second workers do. ``occurrence_at``: the occurrence it is about; ``scheduled_at``: when it is
    due to be delivered (later than the occurrence when it fired late or was snoozed). ``expires_at``: when an
    unacknowledged reminder stops asking for attention (its next occurrence, or a day later).
    ``attempts``: sends tried on an e-mail or Telegram row (each logged in ``notification_deliveries``);
    ``last_error``: the last failure's reason.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(one_of("type", NotificationType), name="ck_notifications_type"),
        CheckConstraint(one_of("channel", Channel), name="ck_notifications_channel"),
        CheckConstraint(one_of("status", NotificationStatus), name="ck_notifications_status"),
        Index("ix_notifications_user_channel_status", "user_id", "channel", "status", "created_at"),
        Index("ix_notifications_pending", "scheduled_at", postgresql_where="status = 'pending'"),
        Index("ix_notifications_escalate_at", "escalate_at", postgresql_where="escalate_at IS NOT NULL"),
        Index("ix_notifications_created", "created_at"),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    type: str = Field(max_length=16)
    channel: str = Field(default=Channel.IN_APP.value, max_length=16)
    status: str = Field(default=NotificationStatus.PENDING.value, max_length=16)
    title: str = Field(max_length=300)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    reminder_id: uuid.UUID | None = Field(default=None, foreign_key="reminders.id", ondelete="CASCADE", index=True)
    task_id: uuid.UUID | None = Field(default=None, foreign_key="tasks.id", ondelete="CASCADE", index=True)
    occurrence_at: datetime | None = tz_field()
    scheduled_at: datetime | None = tz_field()
    sent_at: datetime | None = tz_field()
    read_at: datetime | None = tz_field()
    acknowledged_at: datetime | None = tz_field()
    expires_at: datetime | None = tz_field()
    snooze_count: int = 0
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    idempotency_key: str | None = Field(default=None, max_length=200, unique=True)
    #: When this row's occurrence, still not acknowledged, is sent on the next channel (the reminder's
    #: ``escalate_after_minutes`` after it was sent); None once escalated, acknowledged, or never.
    escalate_at: datetime | None = tz_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()

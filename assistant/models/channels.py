"""Delivery beyond the app: a user's delivery preferences, one-time codes (e-mail verification, Telegram
linking), the Telegram chat linked to an account, the log of every send, and medication reminders proposed
from a document."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, Text, Time, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from assistant.models.base import created_at_field, one_of, tz_field, updated_at_field, uuid_pk


class DeliveryPreferences(SQLModel, table=True):
    """How one user wants to be reached; a user without a row has the defaults.

    ``channels``: ``{notification type: [channel, ...]}``, the channels besides the app (which always gets
    a row) that each type of notification goes to, e.g. ``{"reminder": ["telegram"], "ai_generated":
    ["email"]}``; a type not named goes to the app only. ``quiet_start``/``quiet_end``: local times (the
    user's time zone) between which e-mail and Telegram messages are held and sent at ``quiet_end``; both
    None: no quiet hours; start after end spans midnight. ``review_time``: the local time of the daily
    review; ``review_enabled`` False turns it off; ``last_review_at``: when the last one was sent (its
    window of "since the last review").
    """

    __tablename__ = "delivery_preferences"

    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", primary_key=True)
    channels: dict[str, Any] = Field(default_factory=dict,
                                     sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")))
    quiet_start: time | None = Field(default=None, sa_column=Column(Time, nullable=True))
    quiet_end: time | None = Field(default=None, sa_column=Column(Time, nullable=True))
    review_enabled: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})
    review_time: time = Field(default=time(8, 0), sa_column=Column(Time, nullable=False, server_default="08:00"))
    last_review_at: datetime | None = tz_field()
    updated_at: datetime = updated_at_field()


class CodePurpose(StrEnum):
    """What a one-time code proves: the e-mail address (a link in a mail), a Telegram chat (a deep link), or an
    admin's invitation to an account (a link that sets its first password)."""

    EMAIL_VERIFICATION = "email_verification"
    TELEGRAM_LINK = "telegram_link"
    #: An admin invited the account: the link lets its owner choose the first password.
    INVITATION = "invitation"


class OneTimeCode(SQLModel, table=True):
    """A single-use code that expires. Only its SHA-256 digest is stored (``code_hash``); ``target`` is what it
    was issued for (the address being verified), ``used_at`` set when it is consumed."""

    __tablename__ = "one_time_codes"
    __table_args__ = (
        CheckConstraint(one_of("purpose", CodePurpose), name="ck_one_time_codes_purpose"),
        Index("ix_one_time_codes_user_purpose", "user_id", "purpose"),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    purpose: str = Field(max_length=32)
    code_hash: str = Field(max_length=64, unique=True)
    target: str = Field(default="", max_length=320)
    expires_at: datetime = tz_field(nullable=False)
    used_at: datetime | None = tz_field()
    created_at: datetime = created_at_field()


class TelegramLink(SQLModel, table=True):
    """The Telegram chat linked to an account (one each way). ``chat_id``: Telegram's chat id;
    ``assistant_chat_id``: the user's "Telegram" chat in the app, where plain messages to the bot go."""

    __tablename__ = "telegram_links"

    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    username: str = Field(default="", max_length=64)
    assistant_chat_id: uuid.UUID | None = Field(default=None, foreign_key="chats.id", ondelete="SET NULL")
    linked_at: datetime = created_at_field()


class DeliveryOutcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"


class NotificationDelivery(SQLModel, table=True):
    """One attempt to send a notification on its channel: ``sent`` (``detail``: the server's reply, such as the
    SMTP reply or Telegram's message id) or ``failed`` (``detail``: the reason, never a secret)."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        CheckConstraint(one_of("outcome", DeliveryOutcome), name="ck_notification_deliveries_outcome"),
        Index("ix_notification_deliveries_created", "created_at"),
    )

    id: uuid.UUID = uuid_pk()
    notification_id: uuid.UUID = Field(foreign_key="notifications.id", ondelete="CASCADE", index=True)
    attempt: int
    outcome: str = Field(max_length=16)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = created_at_field()


class ProposalStatus(StrEnum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class ReminderProposal(SQLModel, table=True):
    """Medication reminders the assistant proposed from a document, waiting for the user's decision.

    ``items``: ``[{"drug", "dose", "times": ["08:00", ...], "start": "YYYY-MM-DD", "end": "YYYY-MM-DD" | null,
    "page": int | null, "note"}]``, as last edited; nothing is scheduled until the user confirms, which
    creates one medication reminder per item (``reminder_ids``) with the document page as its source.
    """

    __tablename__ = "reminder_proposals"
    __table_args__ = (CheckConstraint(one_of("status", ProposalStatus), name="ck_reminder_proposals_status"),)

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    chat_id: uuid.UUID | None = Field(default=None, foreign_key="chats.id", ondelete="CASCADE", index=True)
    document_id: uuid.UUID | None = Field(default=None, foreign_key="documents.id", ondelete="SET NULL")
    status: str = Field(default=ProposalStatus.PROPOSED.value, max_length=16)
    items: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    reminder_ids: list[str] = Field(default_factory=list,
                                    sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb")))
    decided_at: datetime | None = tz_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()

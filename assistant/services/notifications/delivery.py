"""A reminder's occurrence becomes notification rows: one per channel, never two for the same occurrence.

Each row's ``idempotency_key`` is ``reminder:<reminder id>:<occurrence, ISO 8601 UTC>:<channel>`` and is
inserted with ``INSERT ... ON CONFLICT (idempotency_key) DO NOTHING``, so a second worker, a restart or a job
run twice stores nothing more. The ``notification`` event (:func:`assistant.core.events.publish`) goes out in
the same transaction, only for rows actually inserted, so open tabs hear of each row once, when it is
committed.

Channels: only the in-app channel is delivered in this version (e-mail and Telegram come with the channels
issue, on the same rows). A reminder's other channels are not stored yet; a reminder that names none of the
delivered channels is shown in the app, so that it is never silently dropped.

Expiry: an unacknowledged reminder stops asking for attention at its next occurrence, or
:data:`EXPIRES_AFTER` after this one when there is none.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from assistant.core import events
from assistant.core.i18n import format_datetime, translate
from assistant.models import Notification, NotificationStatus, NotificationType, User
from assistant.models.reminder import Channel, Reminder

#: The channels that are delivered now; rows for the others are not stored yet (module docstring).
DELIVERED_CHANNELS = (Channel.IN_APP.value,)
#: The longest notification title (the column's limit); a missed reminder's title is cut to it.
MAX_TITLE_CHARS = 300
#: How long a notification of a reminder's last occurrence asks for attention.
EXPIRES_AFTER = timedelta(hours=24)

Outcome = Literal["sent", "missed"]

#: Notification rows, each stored unless its idempotency key is taken (compiled once, run per call).
_INSERT = (insert(Notification.__table__).on_conflict_do_nothing(index_elements=["idempotency_key"])  # type: ignore[attr-defined]
           .returning(col(Notification.id)))


def occurrence_key(occurrence_at: datetime) -> str:
    """An occurrence as it appears in idempotency keys: ISO 8601 in UTC with ``Z`` (``2026-03-30T06:00:00Z``;
    microseconds only when not zero). A naive datetime is taken as UTC."""
    aware = occurrence_at if occurrence_at.tzinfo is not None else occurrence_at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def idempotency_key(reminder_id: uuid.UUID, occurrence_at: datetime, channel: str) -> str:
    """``reminder:<id>:<occurrence_key>:<channel>``: the unique key of one occurrence's row on one channel."""
    return f"reminder:{reminder_id}:{occurrence_key(occurrence_at)}:{channel}"


def record_occurrence(*, session: Session, reminder: Reminder, occurrence_at: datetime, status: Outcome = "sent",
                      now: datetime, scheduled_at: datetime | None = None,
                      next_occurrence_at: datetime | None = None) -> list[Notification]:
    """Store the notification rows of one occurrence of ``reminder`` and queue their events on ``session``.

    Args:
        session: the caller's transaction (the rows and the events are committed, or dropped, with it).
        reminder: the reminder (its user, title, note, channels, task and time zone are used).
        occurrence_at: the occurrence (aware, UTC): part of the idempotency key.
        status: ``"sent"`` (delivered now: in-app means pushed to the open tabs) or ``"missed"`` (its time
            passed while the assistant was offline, beyond the grace window: title and body say so, in the
            user's language).
        now: the delivery time (``sent_at``).
        scheduled_at: when it was due to be delivered (later than the occurrence when snoozed); default
            ``occurrence_at``.
        next_occurrence_at: the reminder's next occurrence after this one, if any (``expires_at``; without
            one, :data:`EXPIRES_AFTER` after ``occurrence_at``).

    Returns:
        The rows inserted now, one per delivered channel; empty when this occurrence was stored before.
    """
    if status == NotificationStatus.MISSED.value:
        title, body = _missed_text(session, reminder, occurrence_at)
    else:
        title, body = reminder.title, reminder.note
    expires_at = next_occurrence_at if next_occurrence_at is not None else occurrence_at + EXPIRES_AFTER
    kind = NotificationType.TASK.value if reminder.task_id is not None else NotificationType.REMINDER.value
    channels = [channel for channel in reminder.channels if channel in DELIVERED_CHANNELS] or [Channel.IN_APP.value]
    rows = [
        Notification(user_id=reminder.user_id, type=kind, channel=channel, status=status,
                     title=title[:MAX_TITLE_CHARS], body=body, reminder_id=reminder.id,
                     task_id=reminder.task_id, occurrence_at=occurrence_at,
                     scheduled_at=scheduled_at or occurrence_at, sent_at=now, expires_at=expires_at,
                     idempotency_key=idempotency_key(reminder.id, occurrence_at, channel))
        for channel in dict.fromkeys(channels)
    ]
    inserted = set(session.execute(_INSERT, [row.model_dump() for row in rows]).scalars())
    stored = [row for row in rows if row.id in inserted]
    for row in stored:
        events.publish([row.user_id], "notification", {"notification_id": str(row.id), "status": row.status},
                       session=session)
    return stored


def _missed_text(session: Session, reminder: Reminder, occurrence_at: datetime) -> tuple[str, str]:
    """Title and body of a missed occurrence, in the user's language, its time in the reminder's zone."""
    user = session.get(User, reminder.user_id)
    language = user.language if user is not None else "en"
    when = format_datetime(occurrence_at, language, reminder.timezone)
    body = translate("scheduler.missed_body", language, time=when)
    if reminder.note:
        body = f"{body}\n\n{reminder.note}"
    return translate("scheduler.missed_title", language, title=reminder.title), body


def send_notification(*, session: Session, user_id: uuid.UUID, type: NotificationType, title: str, body: str = "",
                      idempotency_key: str, task_id: uuid.UUID | None = None,
                      now: datetime | None = None) -> Notification | None:
    """Store one in-app notification that is not a reminder's occurrence (a task run's outcome, an alert) as
    sent now, and queue its ``notification`` event on ``session``.

    ``idempotency_key`` names what it is about (``task_run:<id>:in_app``): a second call with the same key
    stores nothing and returns None.
    """
    sent_at = now or datetime.now(UTC)
    row = Notification(user_id=user_id, type=type.value, channel=Channel.IN_APP.value,
                       status=NotificationStatus.SENT.value, title=title[:MAX_TITLE_CHARS], body=body,
                       task_id=task_id, scheduled_at=sent_at, sent_at=sent_at, idempotency_key=idempotency_key)
    if session.execute(_INSERT, [row.model_dump()]).scalar() is None:
        return None
    events.publish([user_id], "notification", {"notification_id": str(row.id), "status": row.status},
                   session=session)
    return row

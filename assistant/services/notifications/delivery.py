"""A reminder's occurrence, or any other notification, becomes notification rows: one per channel, never
two for the same occurrence on one channel.

**The rule of channels.** An occurrence's rows are: the app, always; plus the channels the user chose for its
type (``DeliveryPreferences.channels[type]``, :mod:`.preferences`); plus the reminder's own ``channels``;
each kept only if the user can be reached there now
(:func:`assistant.services.channels.available_channels`: e-mail needs SMTP set up and the address verified,
Telegram a bot and a linked chat). With escalation on (``Reminder.escalate_after_minutes``), only the in-app
row is stored at first, with ``escalate_at`` = sent + that many minutes; every further channel comes one at a
time, in :data:`~assistant.models.reminder.ESCALATION_ORDER` (in-app -> Telegram -> e-mail), to every
channel the user can be reached on, each after the same wait, until the occurrence is acknowledged
(:func:`assistant.services.notifications.dispatch.escalate`). A missed occurrence (the missed-run rule) is
stored in the app only: it is old news, not worth a mail.

**When.** The in-app row is sent at once (quiet hours never hold the app's bell). An e-mail or Telegram row
is stored ``pending`` with ``scheduled_at`` = now, or the end of the user's quiet hours when now falls in them
(:func:`.preferences.held_until`), and the scheduler is signalled; the worker's ``notification:<id>`` job sends
it (:mod:`assistant.services.notifications.dispatch`: retries with backoff, the delivery log). Nothing here
sends or touches the job store: rows and ``signal_scheduler`` only, so the web process may call it too.

**Once.** Each row's ``idempotency_key`` is unique: ``reminder:<reminder id>:<occurrence, ISO 8601 UTC>:<channel>``
for a reminder's occurrence, and for other notifications the caller's key for the app with ``:<channel>`` for
each other channel (:func:`channel_key`). Rows are inserted with ``INSERT ... ON CONFLICT (idempotency_key) DO
NOTHING``, so a second worker, a restart or a job run twice stores nothing more. The ``notification`` event
(:func:`assistant.core.events.publish`) of an in-app row goes out in the same transaction, only for rows
actually inserted, so open tabs hear of each row once, when it is committed.

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
from assistant.models.reminder import ESCALATION_ORDER, Channel, Reminder
from assistant.services.channels import available_channels
from assistant.services.notifications.preferences import channels_for, get_preferences, held_until
from assistant.services.scheduler.signals import signal_scheduler

#: The longest notification title (the column's limit); a missed reminder's title is cut to it.
MAX_TITLE_CHARS = 300
#: How long a notification of a reminder's last occurrence asks for attention.
EXPIRES_AFTER = timedelta(hours=24)

Outcome = Literal["sent", "missed"]

_IN_APP = Channel.IN_APP.value
_PENDING, _SENT = NotificationStatus.PENDING.value, NotificationStatus.SENT.value

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


def channel_key(key: str, channel: str) -> str:
    """The key of a notification's row on ``channel``, from the key of its in-app row: ``task_run:<id>:in_app``
    -> ``task_run:<id>:email``; a key without the ``:in_app`` ending gets ``:<channel>`` added
    (``review:<user>:<day>`` -> ``review:<user>:<day>:telegram``); the in-app row keeps ``key``."""
    if channel == _IN_APP:
        return key
    suffix = f":{_IN_APP}"
    return f"{key.removesuffix(suffix)}:{channel}"


def reachable_channels(*, session: Session, user: User, notification_type: str,
                       also: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The channels a notification of ``notification_type`` goes to (the rule of channels, module docstring):
    the app, the user's channels for the type and ``also`` (a reminder's own), those the user can be reached
    on now, in :data:`~assistant.models.reminder.ESCALATION_ORDER`."""
    wanted = {_IN_APP, *channels_for(get_preferences(session=session, user=user), notification_type), *also}
    if wanted == {_IN_APP}:
        return [_IN_APP]
    reachable = available_channels(session=session, user=user)
    return [channel for channel in ESCALATION_ORDER if channel in wanted and channel in reachable]


def send_at(*, session: Session, user: User, now: datetime) -> datetime:
    """When an e-mail or Telegram message due ``now`` goes out: now, or the end of ``user``'s quiet hours."""
    return held_until(get_preferences(session=session, user=user), user.timezone, now) or now


def store_rows(session: Session, rows: list[Notification]) -> list[Notification]:
    """Insert ``rows`` (those whose key is free) and queue what follows each on ``session``: an in-app row's
    ``notification`` event, a pending row's and an escalating row's scheduler signal. When the first row is
    in-app and its key is taken (stored before), nothing is inserted: the rest were decided with it. Returns
    the rows inserted."""
    if len(rows) > 1 and rows[0].channel == _IN_APP:
        first = _insert(session, rows[:1])
        return [*first, *_insert(session, rows[1:])] if first else []
    return _insert(session, rows)


def _insert(session: Session, rows: list[Notification]) -> list[Notification]:
    if not rows:
        return []
    inserted = set(session.execute(_INSERT, [row.model_dump() for row in rows]).scalars())
    stored = [row for row in rows if row.id in inserted]
    for row in stored:
        if row.channel == _IN_APP:
            events.publish([row.user_id], "notification", {"notification_id": str(row.id), "status": row.status},
                           session=session)
        if row.status == _PENDING:
            signal_scheduler(session, "notification", row.id)
        if row.escalate_at is not None:
            signal_scheduler(session, "escalation", row.id)
    return stored


def record_occurrence(*, session: Session, reminder: Reminder, occurrence_at: datetime, status: Outcome = "sent",
                      now: datetime, scheduled_at: datetime | None = None,
                      next_occurrence_at: datetime | None = None) -> list[Notification]:
    """Store the notification rows of one occurrence of ``reminder`` and queue their events and signals on
    ``session`` (the rule of channels: module docstring).

    Args:
        session: the caller's transaction (the rows, events and signals are committed, or dropped, with it).
        reminder: the reminder (its user, title, note, channels, escalation, task and time zone are used).
        occurrence_at: the occurrence (aware, UTC): part of the idempotency key.
        status: ``"sent"`` (delivered now: in-app means pushed to the open tabs; e-mail and Telegram rows are
            stored pending for the worker) or ``"missed"`` (its time passed while the assistant was offline,
            beyond the grace window: one in-app row whose title and body say so, in the user's language).
        now: the delivery time (``sent_at`` of the in-app row).
        scheduled_at: when the in-app row was due (later than the occurrence when snoozed); default
            ``occurrence_at``.
        next_occurrence_at: the reminder's next occurrence after this one, if any (``expires_at``; without
            one, :data:`EXPIRES_AFTER` after ``occurrence_at``).

    Returns:
        The rows inserted now; empty when this occurrence was stored before (or its user is gone).
    """
    user = session.get(User, reminder.user_id)
    if user is None:
        return []
    if status == NotificationStatus.MISSED.value:
        title, body = _missed_text(user, reminder, occurrence_at)
        channels = [_IN_APP]
    else:
        title, body = reminder.title, reminder.note
        kind = NotificationType.TASK.value if reminder.task_id is not None else NotificationType.REMINDER.value
        channels = reachable_channels(session=session, user=user, notification_type=kind, also=reminder.channels)
        if reminder.escalate_after_minutes:
            channels = [_IN_APP]
    expires_at = next_occurrence_at if next_occurrence_at is not None else occurrence_at + EXPIRES_AFTER
    later = send_at(session=session, user=user, now=now) if len(channels) > 1 else now
    escalate_at = now + timedelta(minutes=reminder.escalate_after_minutes) if (
        reminder.escalate_after_minutes and status == _SENT) else None
    rows = [occurrence_row(reminder, occurrence_at, channel, title=title, body=body, expires_at=expires_at)
            for channel in channels]
    for row in rows:
        if row.channel == _IN_APP:
            row.status, row.sent_at = status, now
            row.scheduled_at, row.escalate_at = scheduled_at or occurrence_at, escalate_at
        else:
            row.scheduled_at = later
    return store_rows(session, rows)


def occurrence_row(reminder: Reminder, occurrence_at: datetime, channel: str, *, title: str, body: str,
                   expires_at: datetime | None) -> Notification:
    """A pending row of ``reminder``'s occurrence on ``channel`` (not stored), typed ``task`` for a task's
    reminder, with its idempotency key."""
    kind = NotificationType.TASK.value if reminder.task_id is not None else NotificationType.REMINDER.value
    return Notification(user_id=reminder.user_id, type=kind, channel=channel, status=_PENDING,
                        title=title[:MAX_TITLE_CHARS], body=body, reminder_id=reminder.id, task_id=reminder.task_id,
                        occurrence_at=occurrence_at, expires_at=expires_at,
                        idempotency_key=idempotency_key(reminder.id, occurrence_at, channel))


def _missed_text(user: User, reminder: Reminder, occurrence_at: datetime) -> tuple[str, str]:
    """Title and body of a missed occurrence, in the user's language, its time in the reminder's zone."""
    when = format_datetime(occurrence_at, user.language, reminder.timezone)
    body = translate("scheduler.missed_body", user.language, time=when)
    if reminder.note:
        body = f"{body}\n\n{reminder.note}"
    return translate("scheduler.missed_title", user.language, title=reminder.title), body


def send_notification(*, session: Session, user_id: uuid.UUID, type: NotificationType, title: str, body: str = "",
                      idempotency_key: str, task_id: uuid.UUID | None = None, now: datetime | None = None,
                      channels_of: NotificationType | None = None) -> Notification | None:
    """Send one notification that is not a reminder's occurrence (a task run's outcome, the daily review, an
    alert): the in-app row as sent now, with its ``notification`` event queued on ``session``, and a pending
    row on each channel the user chose for ``type`` and can be reached on (the rule of channels, module
    docstring), sent by the worker at once or at the end of quiet hours.

    ``idempotency_key`` names the in-app row (``task_run:<id>:in_app``); the other rows' keys follow from it
    (:func:`channel_key`). A second call with the same key stores nothing and returns None. ``channels_of``: the
    type whose channels it follows, when not its own (the daily review's plain digest is ``info`` but goes
    where the user wants the review, ``ai_generated``).

    Returns:
        The in-app row, or None when it was stored before (or the user is gone).
    """
    user = session.get(User, user_id)
    if user is None:
        return None
    sent_at = now or datetime.now(UTC)
    channels = reachable_channels(session=session, user=user, notification_type=(channels_of or type).value)
    later = send_at(session=session, user=user, now=sent_at) if len(channels) > 1 else sent_at
    rows = [Notification(user_id=user_id, type=type.value, channel=channel, status=_PENDING,
                         title=title[:MAX_TITLE_CHARS], body=body, task_id=task_id, scheduled_at=later,
                         idempotency_key=channel_key(idempotency_key, channel))
            for channel in channels]
    rows[0].status, rows[0].scheduled_at, rows[0].sent_at = _SENT, sent_at, sent_at
    stored = store_rows(session, rows)
    return stored[0] if stored and stored[0].channel == _IN_APP else None

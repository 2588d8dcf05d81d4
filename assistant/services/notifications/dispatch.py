"""The worker's half of delivery: send one pending e-mail or Telegram row, retry it with backoff, log every
attempt, and escalate an occurrence nobody acknowledged to the next channel.

**One send** (:func:`deliver_due`, the ``notification:<id>`` job): the row is locked ``FOR UPDATE SKIP
LOCKED`` (a row another transaction holds is left to it), the channel's ``deliver`` runs
(:mod:`assistant.services.channels.email`, :mod:`assistant.services.channels.telegram`), and each attempt is
logged in ``notification_deliveries`` (``sent`` with the server's reply, ``failed`` with the reason). The row
then becomes ``sent`` (``sent_at``); or, on a retryable failure (a timeout, a refused connection, an SMTP 4xx),
stays ``pending`` with ``attempts`` + 1 and ``scheduled_at`` = now + :func:`retry_delay` and the scheduler is
signalled, so the same job kind tries again: no second queue; or becomes ``failed`` with ``last_error`` once
:data:`MAX_ATTEMPTS` attempts failed or at once when the failure is not retryable. The notifications page lists
failed rows with their reason.

**Backoff**: 30 s after the first failure, doubling: 30 s, 60 s, 120 s, 240 s, so the fifth and last attempt
comes about 7.5 minutes after the first (:data:`RETRY_BASE_SECONDS`, :data:`MAX_ATTEMPTS`).

A send happens inside the row's transaction: should the worker die between the server's acceptance and the
commit, the row is still pending and is sent again (at least once; every other case is exactly once, the
lock and the status make sure).

**Escalation** (:func:`escalate`, the ``escalation:<id>`` job at the row's ``escalate_at``): when the
occurrence has no acknowledged row, it gets a row on the next channel of
:data:`~assistant.models.reminder.ESCALATION_ORDER` (in-app -> Telegram -> e-mail) that the user can be reached
on and that the occurrence has no row for yet (same idempotency keys, so at most one message per channel),
pending for :func:`deliver_due`; once that row is sent, its own ``escalate_at`` is set
(``escalate_after_minutes`` later) and the walk goes on. A row that fails for good escalates at once. While the
occurrence is snoozed (in the app or on Telegram), escalation waits for its new time plus the same minutes.
Each escalated row's ``escalate_at`` is cleared.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from assistant.core import events
from assistant.models import DeliveryOutcome, Notification, NotificationDelivery, NotificationStatus, User
from assistant.models.base import utcnow
from assistant.models.reminder import ESCALATION_ORDER, Channel, Reminder
from assistant.services.channels import DeliveryError, available_channels, email, telegram
from assistant.services.notifications.delivery import occurrence_row, send_at, store_rows
from assistant.services.scheduler.signals import signal_scheduler

log = logging.getLogger(__name__)

#: Seconds before the first retry; each further retry waits twice as long.
RETRY_BASE_SECONDS = 30
#: Attempts at most (the first send and four retries).
MAX_ATTEMPTS = 5
#: The longest reason kept in the log and on the row.
MAX_REASON_CHARS = 1_000

_PENDING, _SENT = NotificationStatus.PENDING.value, NotificationStatus.SENT.value
_FAILED, _ACKNOWLEDGED = NotificationStatus.FAILED.value, NotificationStatus.ACKNOWLEDGED.value
_MISSED = NotificationStatus.MISSED.value

Deliver = Callable[..., str]
#: The send function of each channel beyond the app: ``deliver(*, session, notification, user) -> reply``.
DELIVERERS: dict[str, Deliver] = {Channel.EMAIL.value: email.deliver, Channel.TELEGRAM.value: telegram.deliver}


def retry_delay(attempt: int) -> timedelta:
    """How long after failed attempt number ``attempt`` (1-based) the next one comes: 30 s doubling."""
    return timedelta(seconds=RETRY_BASE_SECONDS * 2 ** (attempt - 1))


def deliver_due(*, session: Session, notification_id: uuid.UUID, now: datetime | None = None,
                grace: timedelta | None = None) -> Notification | None:
    """Send the pending e-mail or Telegram row ``notification_id`` if its time has come (module docstring).

    Args:
        session: the transaction the row is locked, updated and logged in (the caller commits).
        now: the current time (aware); default now.
        grace: with a value, a reminder's row whose ``scheduled_at`` is more than ``grace`` before ``now``
            becomes ``missed`` instead (the scheduler's missed-run rule; other notifications go out late).

    Returns:
        The row as it is now (``sent``, ``failed``, ``missed``, or ``pending`` for a retry), or None when
        nothing was done: the row is gone, locked elsewhere, not pending (acknowledged meanwhile), in-app, or
        not due yet.
    """
    at = now or utcnow()
    row = session.exec(select(Notification).where(col(Notification.id) == notification_id)
                       .with_for_update(skip_locked=True)).first()
    if (row is None or row.status != _PENDING or row.channel not in DELIVERERS or row.scheduled_at is None
            or row.scheduled_at > at):
        return None
    user = session.get(User, row.user_id)
    if user is None:
        return None
    if grace is not None and row.occurrence_at is not None and at - row.scheduled_at > grace:
        row.status = _MISSED
        session.add(row)
        log.warning("notification %s (%s) missed: due %s, the worker was down", row.id, row.channel,
                    row.scheduled_at.isoformat())
        return row
    attempt = row.attempts + 1
    row.attempts = attempt
    try:
        with session.begin_nested():
            reply = DELIVERERS[row.channel](session=session, notification=row, user=user)
    except DeliveryError as exc:
        _failed(session, row, attempt, exc.reason[:MAX_REASON_CHARS], exc.retryable, at)
    except Exception as exc:
        log.exception("notification %s: the %s channel raised", row.id, row.channel)
        _failed(session, row, attempt, type(exc).__name__, True, at)
    else:
        _log(session, row, attempt, DeliveryOutcome.SENT, reply)
        row.status, row.sent_at, row.last_error = _SENT, at, None
        log.info("notification %s sent by %s (attempt %d)", row.id, row.channel, attempt)
        minutes = _escalation_minutes(session, row)
        if minutes is not None:
            row.escalate_at = at + timedelta(minutes=minutes)
            signal_scheduler(session, "escalation", row.id)
    session.add(row)
    session.flush()
    return row


def _log(session: Session, row: Notification, attempt: int, outcome: DeliveryOutcome, detail: str) -> None:
    session.add(NotificationDelivery(notification_id=row.id, attempt=attempt, outcome=outcome.value,
                                     detail=detail[:MAX_REASON_CHARS]))


def _failed(session: Session, row: Notification, attempt: int, reason: str, retryable: bool, at: datetime) -> None:
    """Log a failed attempt; schedule the retry, or give up (``failed``, escalating at once)."""
    _log(session, row, attempt, DeliveryOutcome.FAILED, reason)
    row.last_error = reason
    if retryable and attempt < MAX_ATTEMPTS:
        row.scheduled_at = at + retry_delay(attempt)
        signal_scheduler(session, "notification", row.id)
        log.info("notification %s: %s attempt %d failed, retry at %s", row.id, row.channel, attempt,
                 row.scheduled_at.isoformat())
        return
    row.status = _FAILED
    log.warning("notification %s: %s gave up after attempt %d (%s)", row.id, row.channel, attempt,
                "retries exhausted" if retryable else "not retryable")
    events.publish([row.user_id], "notification", {"notification_id": str(row.id), "status": _FAILED},
                   session=session)
    if _escalation_minutes(session, row) is not None:
        row.escalate_at = at
        signal_scheduler(session, "escalation", row.id)


def _escalation_minutes(session: Session, row: Notification) -> int | None:
    """The reminder's ``escalate_after_minutes`` when ``row`` is an occurrence that escalates, else None."""
    if row.reminder_id is None or row.occurrence_at is None:
        return None
    reminder = session.get(Reminder, row.reminder_id)
    return reminder.escalate_after_minutes if reminder is not None else None


def escalate(*, session: Session, notification_id: uuid.UUID, now: datetime | None = None) -> list[Notification]:
    """Escalate the occurrence of ``notification_id`` if its ``escalate_at`` has come (module docstring).

    Returns:
        The row stored on the next channel (pending, the scheduler signalled), or an empty list: the row is
        gone, locked elsewhere, not escalating or not due, the occurrence was acknowledged, one of its rows is
        snoozed (escalation moves after it), escalation was turned off, or no channel is left.
    """
    at = now or utcnow()
    row = session.exec(select(Notification).where(col(Notification.id) == notification_id)
                       .with_for_update(skip_locked=True)).first()
    if row is None or row.escalate_at is None or row.escalate_at > at:
        return []
    row.escalate_at = None
    session.add(row)
    reminder = session.get(Reminder, row.reminder_id) if row.reminder_id is not None else None
    user = session.get(User, row.user_id)
    if reminder is None or user is None or row.occurrence_at is None or not reminder.escalate_after_minutes:
        return []
    group = list(session.exec(select(Notification).where(
        col(Notification.reminder_id) == reminder.id, col(Notification.occurrence_at) == row.occurrence_at)
        .order_by(col(Notification.id)).with_for_update()))
    if any(each.status == _ACKNOWLEDGED for each in group):
        return []
    snoozed = [each for each in group if each.status == _PENDING and each.snooze_count
               and each.scheduled_at is not None and each.scheduled_at > at]
    if snoozed:
        assert snoozed[0].scheduled_at is not None
        row.escalate_at = snoozed[0].scheduled_at + timedelta(minutes=reminder.escalate_after_minutes)
        signal_scheduler(session, "escalation", row.id)
        return []
    taken = {each.channel for each in group}
    reachable = available_channels(session=session, user=user)
    following = next((channel for channel in ESCALATION_ORDER if channel not in taken and channel in reachable), None)
    if following is None:
        log.info("notification %s: occurrence not acknowledged, no channel left to escalate to", row.id)
        return []
    new = occurrence_row(reminder, row.occurrence_at, following, title=row.title, body=row.body,
                         expires_at=row.expires_at)
    new.scheduled_at = send_at(session=session, user=user, now=at)
    stored = store_rows(session, [new])
    log.info("notification %s: occurrence not acknowledged, escalated to %s", row.id, following)
    return stored

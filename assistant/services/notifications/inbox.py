"""A user's in-app inbox: what the bell counts and lists, the notifications page, and the user's answers to a
notification (read, Done/Taken, Snooze).

The worker writes the rows (:mod:`assistant.services.notifications.delivery`); this module reads and answers
them for one user. Every query filters by the owner: another user's notification is :class:`NotFound`, with the
same message as a missing one. Lists and counts cover the in-app channel only (the e-mail and Telegram rows of
the same occurrence are the same news on another channel), except that the notifications page also lists an
e-mail or Telegram row that failed for good, with its reason (``last_error``), so a send that did not arrive
is never silent; the answers accept any channel's row of the user.

Every change publishes a ``notification`` event to the user's open tabs (on commit), with the payload
``{"notification_id": "<uuid>" or "" (several rows), "status": "<the new status>"}``, as the worker does when
it delivers one.

Rules chosen here:

* What needs attention (the bell's number, its list and the page's "unread" filter) is :func:`needs_attention`.
* A missed occurrence may be acknowledged late (a dose taken late is still worth recording): it becomes
  ``acknowledged`` with the time of the answer, so adherence sees it as taken, late by
  ``acknowledged_at - occurrence_at``; it then leaves the "missed" filter.
* Marking a missed notification read keeps its status ``missed`` (only ``read_at`` is set), so the "missed"
  filter still finds it; a sent or delivered one becomes ``read``.
* Done/Taken also ends the occurrence's escalation: ``escalate_at`` is cleared on all its rows.
* A snooze makes the notification new again: ``read_at`` is cleared, and an expiry that falls before the new
  time moves to :data:`SNOOZED_EXPIRY` after it, so the reminder asks again when it comes back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, update
from sqlmodel import Session, col, select

from assistant.core.db import affected_rows
from assistant.core.errors import InvalidInput, NotFound
from assistant.core.events import publish
from assistant.models import Notification, NotificationStatus, NotificationType, Reminder, User
from assistant.models.base import utcnow
from assistant.models.reminder import Channel
from assistant.services.scheduler.reminders import check_snooze_minutes
from assistant.services.scheduler.signals import signal_scheduler

#: The bus topic of notification changes.
TOPIC = "notification"
NOT_FOUND = "notifications.not_found"
#: How long a snoozed reminder keeps asking after its new time when its expiry fell before that time.
SNOOZED_EXPIRY = timedelta(days=1)
#: Rows listed at most per call, and those the bell's list shows.
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
ATTENTION_LIMIT = 5

_IN_APP = Channel.IN_APP.value
_SENT, _DELIVERED = NotificationStatus.SENT.value, NotificationStatus.DELIVERED.value
_READ, _MISSED = NotificationStatus.READ.value, NotificationStatus.MISSED.value
_PENDING, _ACKNOWLEDGED = NotificationStatus.PENDING.value, NotificationStatus.ACKNOWLEDGED.value
_REMINDER = NotificationType.REMINDER.value
_FAILED = NotificationStatus.FAILED.value


def about_reminder() -> ColumnElement[bool]:
    """A notification of a reminder's occurrence (a task's reminder too, typed ``task`` by the worker), or
    of type ``reminder``: those are answered with Done/Taken and Snooze."""
    return or_(col(Notification.reminder_id).is_not(None), col(Notification.type) == _REMINDER)


def is_about_reminder(row: Notification) -> bool:
    """Whether ``row`` is answered with Done/Taken (as :func:`about_reminder` says in SQL)."""
    return row.reminder_id is not None or row.type == _REMINDER


class InboxFilter(StrEnum):
    """The notifications page's filters: everything, what needs attention (:func:`needs_attention`),
    reminders only, missed occurrences only (status ``missed``)."""

    ALL = "all"
    UNREAD = "unread"
    REMINDERS = "reminders"
    MISSED = "missed"


@dataclass(frozen=True)
class InboxItem:
    """One in-app notification as listed, with the kind of its reminder (``"medication"`` is answered with
    "Taken", any other with "Done"; None when it is not about a reminder)."""

    notification: Notification
    reminder_kind: str | None


def needs_attention(now: datetime) -> ColumnElement[bool]:
    """The one definition of what the bell counts and lists at ``now`` (a SQL condition on ``notifications``).

    An in-app notification needs attention when it is

    * a reminder's notification (:func:`about_reminder`) that was sent (or delivered, or read) and not
      acknowledged, until its ``expires_at`` passes
      ("unacknowledged reminders stay visible on the bell until acted on or expired"; reading one does not
      clear it: Done/Taken or Snooze does);
    * a missed occurrence the user has not read yet (the user is told once);
    * any other notification sent or delivered and not read yet.

    Pending (waiting or snoozed), acknowledged and failed notifications never do.
    """
    reminder = about_reminder()
    open_reminder = and_(reminder,
                         col(Notification.status).in_([_SENT, _DELIVERED, _READ]),
                         or_(col(Notification.expires_at).is_(None), col(Notification.expires_at) > now))
    unseen_missed = and_(col(Notification.status) == _MISSED, col(Notification.read_at).is_(None))
    unread_other = and_(~reminder, col(Notification.status).in_([_SENT, _DELIVERED]),
                        col(Notification.read_at).is_(None))
    return and_(col(Notification.channel) == _IN_APP, or_(open_reminder, unseen_missed, unread_other))


def _filter_clause(kind: InboxFilter, now: datetime) -> ColumnElement[bool] | None:
    if kind is InboxFilter.UNREAD:
        return needs_attention(now)
    if kind is InboxFilter.REMINDERS:
        return about_reminder()
    if kind is InboxFilter.MISSED:
        return col(Notification.status) == _MISSED
    return None


def _listed(session: Session, user: User, condition: ColumnElement[bool] | None, limit: int,
            offset: int, *, failed_too: bool = False) -> list[InboxItem]:
    """``user``'s in-app notifications matching ``condition`` (with ``failed_too``, their failed rows on
    other channels too), the latest first (by when they last asked: sent, else due, else created), each with
    its reminder's kind."""
    channel = col(Notification.channel) == _IN_APP
    if failed_too:
        channel = or_(channel, col(Notification.status) == _FAILED)
    statement = (select(Notification, Reminder.kind)
                 .outerjoin(Reminder, and_(col(Reminder.id) == col(Notification.reminder_id),
                                           col(Reminder.user_id) == user.id))
                 .where(col(Notification.user_id) == user.id, channel))
    if condition is not None:
        statement = statement.where(condition)
    latest = func.coalesce(col(Notification.sent_at), col(Notification.scheduled_at), col(Notification.created_at))
    statement = statement.order_by(latest.desc(), col(Notification.id)).limit(limit).offset(offset)
    return [InboxItem(notification=row, reminder_kind=kind) for row, kind in session.exec(statement)]


def list_notifications(*, session: Session, user: User, filter: str = InboxFilter.ALL.value,
                       limit: int = DEFAULT_LIMIT, offset: int = 0) -> list[InboxItem]:
    """``user``'s in-app notifications for the notifications page, the latest first (pending, snoozed
    ones included under "all"; under "all" and "reminders", the e-mail and Telegram rows that failed, with
    ``last_error``).

    Args:
        filter: an :class:`InboxFilter` value.
        limit: 1 to :data:`MAX_LIMIT` rows; offset: rows skipped (>= 0).

    Raises:
        InvalidInput: ``notifications.bad_filter``; ``notifications.bad_page`` for a limit or offset out of range.
    """
    try:
        kind = InboxFilter(filter)
    except ValueError as exc:
        raise InvalidInput("notifications.bad_filter") from exc
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise InvalidInput("notifications.bad_page", max=MAX_LIMIT)
    return _listed(session, user, _filter_clause(kind, utcnow()), limit, offset,
                   failed_too=kind in (InboxFilter.ALL, InboxFilter.REMINDERS))


def unread_count(*, session: Session, user: User) -> int:
    """The bell's number: how many of ``user``'s notifications need attention now (:func:`needs_attention`)."""
    statement = select(func.count()).select_from(Notification).where(col(Notification.user_id) == user.id,
                                                                      needs_attention(utcnow()))
    return int(session.exec(statement).one())


def attention_items(*, session: Session, user: User, limit: int = ATTENTION_LIMIT) -> list[InboxItem]:
    """The bell's list: the latest ``limit`` (1 to :data:`MAX_LIMIT`) of ``user``'s notifications that need
    attention (:func:`needs_attention`).

    Raises:
        InvalidInput: ``notifications.bad_page``.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("notifications.bad_page", max=MAX_LIMIT)
    return _listed(session, user, needs_attention(utcnow()), limit, 0)


def get_notification(*, session: Session, user: User, notification_id: uuid.UUID, lock: bool = False) -> Notification:
    """One of ``user``'s notifications (any channel), locked for a change with ``lock``.

    Raises:
        NotFound: ``notifications.not_found`` (missing, or another user's).
    """
    statement = select(Notification).where(col(Notification.id) == notification_id,
                                           col(Notification.user_id) == user.id)
    if lock:
        statement = statement.with_for_update()
    row = session.exec(statement).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


def _announce(session: Session, user: User, notification_id: uuid.UUID | None, status: str) -> None:
    payload: dict[str, Any] = {"notification_id": str(notification_id) if notification_id else "", "status": status}
    publish([user.id], TOPIC, payload, session=session)


def mark_read(*, session: Session, user: User, notification_id: uuid.UUID) -> Notification:
    """Mark one of ``user``'s notifications read (``read_at`` now; a sent or delivered one becomes ``read``,
    a missed one stays ``missed``). Reading it again changes nothing.

    Raises:
        NotFound: ``notifications.not_found``.
    """
    row = get_notification(session=session, user=user, notification_id=notification_id, lock=True)
    if row.read_at is not None or row.status not in (_SENT, _DELIVERED, _MISSED):
        return row
    row.read_at = utcnow()
    if row.status != _MISSED:
        row.status = _READ
    session.add(row)
    session.flush()
    _announce(session, user, row.id, row.status)
    return row


def mark_all_read(*, session: Session, user: User) -> int:
    """Mark every unread in-app notification of ``user`` read (as :func:`mark_read` does one); returns how
    many changed. Open reminders stay on the bell until answered (:func:`needs_attention`)."""
    now = utcnow()
    statement = (update(Notification)
                 .where(col(Notification.user_id) == user.id, col(Notification.channel) == _IN_APP,
                        col(Notification.read_at).is_(None),
                        col(Notification.status).in_([_SENT, _DELIVERED, _MISSED]))
                 .values(read_at=now, updated_at=now,
                         status=case((col(Notification.status) == _MISSED, _MISSED), else_=_READ))
                 .execution_options(synchronize_session=False))
    changed = affected_rows(session.execute(statement))
    if changed:
        _announce(session, user, None, _READ)
    return changed


def acknowledge(*, session: Session, user: User, notification_id: uuid.UUID) -> Notification:
    """Done/Taken: ``user`` acted on a reminder's occurrence. Every channel's row of that occurrence (same
    reminder and ``occurrence_at``) becomes ``acknowledged`` with one ``acknowledged_at`` (now, or the time an
    earlier answer on another channel recorded) and ``read_at`` if empty (a failed one stays failed); a
    pending one among them (snoozed, held by quiet hours, or waiting for a retry) is signalled to the
    scheduler so it is not delivered again; every row's ``escalate_at`` is cleared (nothing more is sent on
    another channel). A missed occurrence may be acknowledged late (module docstring). Acknowledging again
    changes nothing. Returns the row asked for.

    Raises:
        NotFound: ``notifications.not_found``.
        InvalidInput: ``notifications.not_a_reminder`` (only reminders are acknowledged; read the others).
    """
    row = get_notification(session=session, user=user, notification_id=notification_id)
    if not is_about_reminder(row):
        raise InvalidInput("notifications.not_a_reminder")
    group = select(Notification).where(col(Notification.user_id) == user.id)
    if row.reminder_id is not None and row.occurrence_at is not None:
        group = group.where(col(Notification.reminder_id) == row.reminder_id,
                            col(Notification.occurrence_at) == row.occurrence_at)
    else:
        group = group.where(col(Notification.id) == row.id)
    group = group.order_by(col(Notification.id)).with_for_update().execution_options(populate_existing=True)
    rows = list(session.exec(group))
    answered = [r.acknowledged_at for r in rows if r.status == _ACKNOWLEDGED and r.acknowledged_at is not None]
    now = utcnow()
    when = min(answered, default=now)
    changed = False
    for each in rows:
        if each.escalate_at is not None:
            each.escalate_at = None
            signal_scheduler(session, "escalation", each.id)
            session.add(each)
            changed = True
        if each.status in (_ACKNOWLEDGED, _FAILED):
            continue
        if each.status == _PENDING:
            signal_scheduler(session, "notification", each.id)
        each.status, each.acknowledged_at, each.read_at = _ACKNOWLEDGED, when, each.read_at or now
        session.add(each)
        changed = True
    if changed:
        session.flush()
        _announce(session, user, row.id, _ACKNOWLEDGED)
    return row


def snooze(*, session: Session, user: User, notification_id: uuid.UUID, minutes: object) -> Notification:
    """Snooze: deliver one of ``user``'s notifications again in ``minutes`` (1 to 1,440). It becomes
    ``pending`` with ``scheduled_at`` now + minutes, ``snooze_count`` + 1 and ``read_at`` cleared (an expiry
    before the new time moves to :data:`SNOOZED_EXPIRY` after it); the scheduler is signalled and, at that
    time, delivers it again (``sent``). Snoozing a snoozed one sets its new time.

    Raises:
        InvalidInput: ``reminders.snooze_invalid``; ``notifications.already_acknowledged``.
        NotFound: ``notifications.not_found``.
    """
    length = check_snooze_minutes(minutes)
    row = get_notification(session=session, user=user, notification_id=notification_id, lock=True)
    if row.status == _ACKNOWLEDGED:
        raise InvalidInput("notifications.already_acknowledged")
    due = utcnow() + timedelta(minutes=length)
    row.status, row.scheduled_at, row.snooze_count, row.read_at = _PENDING, due, row.snooze_count + 1, None
    if row.expires_at is not None and row.expires_at <= due:
        row.expires_at = due + SNOOZED_EXPIRY
    session.add(row)
    session.flush()
    signal_scheduler(session, "notification", row.id)
    _announce(session, user, row.id, _PENDING)
    return row

"""What the scheduler's jobs do to the rows: fire a reminder's due occurrence (or record it missed: the
missed-run rule of :mod:`assistant.worker.scheduler`, applied in :func:`missed_run_rule` only), advance the
reminder to its next occurrence, deliver a pending notification (a snoozed in-app one again; an e-mail or
Telegram one through :func:`assistant.services.notifications.dispatch.deliver_due`, with its retries),
escalate an occurrence nobody acknowledged (:func:`assistant.services.notifications.dispatch.escalate`), and
keep each row's job in step with it.

A reminder is settled when it is active and its fire time has come, whichever job finds it first: a job
settles its own reminder and the other due ones in one transaction (:func:`settle_due`, batches of
:data:`BATCH`, ``FOR UPDATE SKIP LOCKED``), so a thousand reminders due at 08:00 take a few dozen transactions
(``scripts/bench_reminders.py``). Jobs are set or removed only while their row is locked
(:func:`sync_reminder`, :func:`sync_notification`), so they are written in the order the rows changed:
whatever runs last saw the newest row. Notification rows are stored through
:func:`assistant.services.notifications.delivery.record_occurrence`, whose idempotency key makes a second run of
the same occurrence store nothing; the e-mail and Telegram rows it stores pending, and the escalating in-app
row, signal the scheduler, which sets their ``notification:<id>`` and ``escalation:<id>`` jobs. An occurrence
of an ``assistant`` reminder queues a run of its task instead (:mod:`assistant.worker.task_runs`).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlmodel import Session, col, select

from assistant.core import events
from assistant.core.db import session_scope
from assistant.core.errors import InvalidInput
from assistant.models import Notification, NotificationStatus
from assistant.models.base import utcnow
from assistant.models.reminder import Channel, Reminder, ReminderKind, ReminderStatus
from assistant.services.notifications import dispatch
from assistant.services.notifications.delivery import record_occurrence
from assistant.services.scheduler.recurrence import occurrences
from assistant.services.scheduler.signals import signal_scheduler
from assistant.services.tasks.runs import queue_scheduled_run

if TYPE_CHECKING:
    from assistant.services.notifications.delivery import Outcome

log = logging.getLogger("assistant.worker.scheduler")

#: The most occurrences of one reminder recorded as missed in one catch-up (the most recent ones); older
#: ones are not stored (a log line counts them).
MAX_MISSED_ROWS = 24
#: Occurrences read per step while catching up.
_PAGE = 200
#: Due reminders settled in one transaction by one job (:func:`settle_due`).
BATCH = 25
#: A job that runs up to this much before its row's time waits for it; earlier, it is set again.
EARLY_WAIT = timedelta(seconds=2)


class JobBook(Protocol):
    """The scheduler's side that this module needs (:class:`assistant.worker.scheduler.Jobs`)."""

    def set_reminder(self, reminder: Reminder) -> None: ...

    def set_notification(self, notification: Notification) -> None: ...

    def set_escalation(self, notification: Notification) -> None: ...

    def remove(self, job_id: str) -> None: ...


@dataclass(frozen=True)
class CatchUp:
    """What :func:`missed_run_rule` decided for a reminder's due occurrences.

    ``fire``: the occurrence delivered now (on time, or late within the grace window), or None;
    ``missed``: the occurrences recorded as missed, oldest first (at most :data:`MAX_MISSED_ROWS`).
    """

    fire: datetime | None
    missed: list[datetime]


def missed_run_rule(due: Sequence[tuple[datetime, datetime]], *, now: datetime, grace: timedelta) -> CatchUp:
    """The missed-run rule (see :mod:`assistant.worker.scheduler`).

    Args:
        due: the due occurrences, oldest first, as ``(occurrence, fire time)`` pairs (the fire time is later
            than the occurrence when it was snoozed); all fire times are at or before ``now``.
        now: the current time (aware).
        grace: how late an occurrence may still fire.

    Returns:
        The latest occurrence fires if its fire time is at most ``grace`` before ``now``; every other due
        occurrence is missed (the most recent :data:`MAX_MISSED_ROWS` of them are kept).
    """
    if not due:
        return CatchUp(fire=None, missed=[])
    latest, latest_fire_at = due[-1]
    if now - latest_fire_at <= grace:
        return CatchUp(fire=latest, missed=[occurrence for occurrence, _ in due[:-1]][-MAX_MISSED_ROWS:])
    return CatchUp(fire=None, missed=[occurrence for occurrence, _ in due][-MAX_MISSED_ROWS:])


def due_occurrences(reminder: Reminder, now: datetime) -> tuple[list[tuple[datetime, datetime]], int, datetime | None]:
    """The due occurrences of an active reminder whose next fire time has come.

    Returns:
        ``(due, dropped, following)``: the latest :data:`MAX_MISSED_ROWS` + 1 due ``(occurrence, fire time)``
        pairs, oldest first (the first is the row's ``next_occurrence_at``/``next_fire_at``, the others fire at
        their occurrence); how many earlier due ones are left out; and the first occurrence after ``now`` (None
        when the series is over, or its rule no longer parses, which is logged).
    """
    assert reminder.next_occurrence_at is not None and reminder.next_fire_at is not None
    due: deque[tuple[datetime, datetime]] = deque([(reminder.next_occurrence_at, reminder.next_fire_at)],
                                                  maxlen=MAX_MISSED_ROWS + 1)
    seen, cursor = 1, reminder.next_occurrence_at
    while True:
        try:
            page = occurrences(starts_at=reminder.starts_at, timezone=reminder.timezone, rule=reminder.rrule,
                               until_date=reminder.until_date, count=reminder.count, after=cursor, limit=_PAGE)
        except InvalidInput:
            log.exception("reminder %s: its schedule no longer parses; the series ends", reminder.id)
            return list(due), seen - len(due), None
        for occurrence in page:
            if occurrence > now:
                return list(due), seen - len(due), occurrence
            due.append((occurrence, occurrence))
            seen += 1
        if len(page) < _PAGE:
            return list(due), seen - len(due), None
        cursor = page[-1]


def _locked_reminder(session: Session, reminder_id: uuid.UUID) -> Reminder | None:
    return session.exec(select(Reminder).where(Reminder.id == reminder_id).with_for_update()).first()


def _schedulable(reminder: Reminder | None) -> bool:
    return (reminder is not None and reminder.status == ReminderStatus.ACTIVE.value
            and reminder.next_occurrence_at is not None and reminder.next_fire_at is not None)


def reminder_job_id(reminder_id: uuid.UUID) -> str:
    """``reminder:<uuid>``: the id of a reminder's job."""
    return f"reminder:{reminder_id}"


def notification_job_id(notification_id: uuid.UUID) -> str:
    """``notification:<uuid>``: the id of a pending notification's job (snoozed, or an e-mail or Telegram
    row waiting to be sent)."""
    return f"notification:{notification_id}"


def escalation_job_id(notification_id: uuid.UUID) -> str:
    """``escalation:<uuid>``: the id of the job that escalates a notification's occurrence at its
    ``escalate_at``."""
    return f"escalation:{notification_id}"


def settle_reminder(reminder_id: uuid.UUID, occurrence: datetime | None, *, grace: timedelta, book: JobBook) -> None:
    """Run a reminder's due job: settle it and the other due reminders (:func:`settle_due`), then set the jobs
    of those still active for their next occurrence.

    Called by the reminder's job (whose own entry APScheduler has already removed) with the occurrence the
    job was set for, or with None when APScheduler reported the job missed. Nothing happens when the reminder
    is gone, paused or ended, or when the job is stale (the row's next occurrence is another one: whoever
    changed it set its job); a job that came more than :data:`EARLY_WAIT` early (the reminder was snoozed)
    only sets the row's job again, one less early waits for its time.
    """
    with session_scope() as session:
        reminder = session.get(Reminder, reminder_id)
        if reminder is None or not _schedulable(reminder):
            return
        if occurrence is not None and reminder.next_occurrence_at != occurrence:
            return
        assert reminder.next_fire_at is not None
        early = (reminder.next_fire_at - utcnow()).total_seconds()
    if early > EARLY_WAIT.total_seconds():
        sync_reminder(reminder_id, book)
        return
    if early > 0:
        time.sleep(early)
    for still_active in settle_due(reminder_id, grace=grace):
        sync_reminder(still_active, book)


def settle_due(first: uuid.UUID, *, grace: timedelta) -> list[uuid.UUID]:
    """Settle, in one transaction, up to :data:`BATCH` active reminders whose fire time has come, ``first``
    among them unless another transaction holds it: for each, the missed-run rule, its notification rows and
    events, and the row moved to its next occurrence (or ended).

    Rows locked elsewhere are skipped (``FOR UPDATE SKIP LOCKED``): another job is settling them, or an edit
    whose signal will set their job. So when many reminders come due at once, the first jobs to run store
    them all in a few transactions and the later jobs find nothing left to do.

    Returns:
        The ids of the settled reminders that are still active (their jobs are to be set).
    """
    now = utcnow()
    with session_scope() as session:
        due = session.exec(
            select(Reminder)
            .where(Reminder.status == ReminderStatus.ACTIVE.value, col(Reminder.next_occurrence_at).is_not(None),
                   col(Reminder.next_fire_at) <= now)
            .order_by(col(Reminder.id) != first, col(Reminder.next_fire_at))
            .limit(BATCH).with_for_update(skip_locked=True)).all()
        with session.no_autoflush:  # the rows' updates go out together at the commit, not one by one
            for reminder in due:
                _catch_up(session, reminder, now, grace)
        return [reminder.id for reminder in due if reminder.status == ReminderStatus.ACTIVE.value]


def _catch_up(session: Session, reminder: Reminder, now: datetime, grace: timedelta) -> None:
    """Store the due occurrences' notifications (:func:`missed_run_rule`), move the row to its next
    occurrence (``ended`` when there is none) and queue the ``reminder`` event."""
    due, dropped, following = due_occurrences(reminder, now)
    decision = missed_run_rule(due, now=now, grace=grace)
    fire_times = dict(due)
    outcomes: list[tuple[datetime, Outcome]] = [(occurrence, "missed") for occurrence in decision.missed]
    if decision.fire is not None:
        outcomes.append((decision.fire, "sent"))
    for occurrence, outcome in outcomes:
        if outcome == "sent" and reminder.kind == ReminderKind.ASSISTANT.value and reminder.task_id is not None:
            _queue_run(session, reminder.task_id, occurrence)
            continue
        record_occurrence(session=session, reminder=reminder, occurrence_at=occurrence, status=outcome, now=now,
                          scheduled_at=fire_times[occurrence], next_occurrence_at=following)
    if decision.fire is not None:
        reminder.last_fired_at = now
        lateness = (now - fire_times[decision.fire]).total_seconds()
        log.info("reminder %s: occurrence %s fired (%.1f s after its time)", reminder.id,
                 decision.fire.isoformat(), lateness)
    missed = dropped + len(due) - (decision.fire is not None)
    if missed:
        log.warning("reminder %s: %d occurrence(s) missed while the scheduler was down (%d recorded, up to %s)",
                    reminder.id, missed, len(decision.missed), decision.missed[-1].isoformat())
    reminder.next_occurrence_at = reminder.next_fire_at = following
    if following is None:
        reminder.status = ReminderStatus.ENDED.value
    session.add(reminder)
    events.publish([reminder.user_id], "reminder", {"reminder_id": str(reminder.id)}, session=session)


def _queue_run(session: Session, task_id: uuid.UUID, occurrence: datetime) -> None:
    """An ``assistant`` reminder's occurrence: queue a run of its task (none while one is still open) and
    signal it, so the scheduler sets its job once this transaction has committed the row."""
    run = queue_scheduled_run(session=session, task_id=task_id, occurrence_at=occurrence)
    if run is not None:
        signal_scheduler(session, "task_run", run.id)


def sync_reminder(reminder_id: uuid.UUID, book: JobBook) -> None:
    """Make the job of ``reminder_id`` match its row: set for its next fire time when active, removed when
    the row is gone, paused or ended (a signal from the web, or the reconciliation)."""
    with session_scope() as session:
        reminder = _locked_reminder(session, reminder_id)
        if reminder is not None and _schedulable(reminder):
            book.set_reminder(reminder)
        else:
            book.remove(reminder_job_id(reminder_id))


def _locked_notification(session: Session, notification_id: uuid.UUID) -> Notification | None:
    return session.exec(select(Notification).where(Notification.id == notification_id).with_for_update()).first()


def _waiting(notification: Notification | None) -> bool:
    return (notification is not None and notification.status == NotificationStatus.PENDING.value
            and notification.scheduled_at is not None)


def _early(when: datetime) -> float | None:
    """Seconds until ``when`` if a job that came now should wait for it (at most :data:`EARLY_WAIT`): 0 when
    due; None when it came too early and its job is to be set again."""
    early = (when - utcnow()).total_seconds()
    if early > EARLY_WAIT.total_seconds():
        return None
    return max(early, 0.0)


def settle_notification(notification_id: uuid.UUID, *, grace: timedelta, book: JobBook) -> None:
    """Deliver a pending notification whose time has come.

    An e-mail or Telegram row is sent by :func:`assistant.services.notifications.dispatch.deliver_due` (a failed
    attempt schedules its retry; a reminder's row more than ``grace`` late is ``missed``), then its job is synced
    with the row: removed once sent, set for the retry, and set again at once when the row was locked by another
    transaction (``SKIP LOCKED`` passed it by; the sync waits for that lock, so nothing spins). A snoozed
    in-app row becomes ``sent`` (``sent_at`` now), or ``missed`` when its time passed more than ``grace`` ago
    (the missed-run rule), and its ``notification`` event is queued.

    A notification no longer pending (the user read or acknowledged it meanwhile) is left as it is; one whose
    time moved more than :data:`EARLY_WAIT` later only gets its job set again.
    """
    with session_scope() as session:
        peek = session.get(Notification, notification_id)
        if peek is None or not _waiting(peek):
            return
        assert peek.scheduled_at is not None
        channel, wait = peek.channel, _early(peek.scheduled_at)
    if wait is None:
        sync_notification(notification_id, book)
        return
    time.sleep(wait)
    if channel != Channel.IN_APP.value:
        with session_scope() as session:
            dispatch.deliver_due(session=session, notification_id=notification_id, grace=grace)
        sync_notification(notification_id, book)
        return
    with session_scope() as session:
        notification = _locked_notification(session, notification_id)
        if notification is None or not _waiting(notification):
            return
        assert notification.scheduled_at is not None
        if notification.scheduled_at > utcnow() + EARLY_WAIT:
            book.set_notification(notification)
            return
        now = utcnow()
        decision = missed_run_rule([(notification.scheduled_at, notification.scheduled_at)], now=now, grace=grace)
        outcome = NotificationStatus.SENT if decision.fire is not None else NotificationStatus.MISSED
        notification.status = outcome.value
        notification.sent_at = now
        session.add(notification)
        events.publish([notification.user_id], "notification",
                       {"notification_id": str(notification.id), "status": notification.status}, session=session)
        log.info("notification %s delivered again (%s, %.1f s after its time)", notification.id,
                 notification.status, (now - notification.scheduled_at).total_seconds())


def sync_notification(notification_id: uuid.UUID, book: JobBook) -> None:
    """Make the job of ``notification_id`` match its row: set for ``scheduled_at`` while pending, else removed."""
    with session_scope() as session:
        notification = _locked_notification(session, notification_id)
        if notification is not None and _waiting(notification):
            book.set_notification(notification)
        else:
            book.remove(notification_job_id(notification_id))


def settle_escalation(notification_id: uuid.UUID, *, book: JobBook) -> None:
    """Run a notification's escalation job: once its ``escalate_at`` has come, the occurrence goes to the next
    channel unless acknowledged (:func:`assistant.services.notifications.dispatch.escalate`; the new row
    signals its own job), then the job is synced with the row (set again when the row was locked elsewhere or
    its escalation moved after a snooze). A job that came more than :data:`EARLY_WAIT` early only sets the job
    again."""
    with session_scope() as session:
        peek = session.get(Notification, notification_id)
        if peek is None or peek.escalate_at is None:
            return
        wait = _early(peek.escalate_at)
    if wait is None:
        sync_escalation(notification_id, book)
        return
    time.sleep(wait)
    with session_scope() as session:
        dispatch.escalate(session=session, notification_id=notification_id)
    sync_escalation(notification_id, book)


def sync_escalation(notification_id: uuid.UUID, book: JobBook) -> None:
    """Make the escalation job of ``notification_id`` match its row: set for ``escalate_at``, else removed."""
    with session_scope() as session:
        notification = _locked_notification(session, notification_id)
        if notification is not None and notification.escalate_at is not None:
            book.set_escalation(notification)
        else:
            book.remove(escalation_job_id(notification_id))

"""The leader's scheduler: reminders fire into notification rows, exactly once, on time or by the missed-run rule;
pending notifications are delivered (e-mail and Telegram sent, retried with backoff) and unacknowledged ones escalated.

APScheduler 3 (``BackgroundScheduler``) runs in the elected leader only (``Service(..., leader_only=True)``),
with its SQLAlchemy job store on PostgreSQL (the ``scheduler_jobs`` table that migration 0008 creates), UTC
inside, and the APScheduler FAQ's rules: module-level job functions (:func:`fire_reminder`,
:func:`deliver_notification`, :func:`escalate_notification`, stored by reference), explicit job ids
(``reminder:<uuid>``, ``notification:<uuid>``, ``escalation:<uuid>``) set with ``replace_existing=True``,
``coalesce=True``, ``max_instances=1`` and a ``misfire_grace_time`` equal to the grace window. Each job is a
``DateTrigger`` at its row's time (``reminders.next_fire_at``, ``notifications.scheduled_at``,
``notifications.escalate_at``); after firing, the reminder's job is set for its next occurrence. A pending
notification's job delivers it: a snoozed in-app one again, an e-mail or Telegram one through its channel (a
failed attempt moves ``scheduled_at`` by the backoff, and its signal sets the job again:
:mod:`assistant.services.notifications.dispatch`); an escalation job sends the occurrence on the next channel
unless it was acknowledged. A job settles the other reminders due at the same moment with its own, a batch per
transaction (:mod:`assistant.worker.firing`), on :data:`EXECUTOR_THREADS` threads.

The rows are the truth and the job store follows them. The web process never touches the job store: it
writes rows and sends a signal (``NOTIFY scheduler_signals``, :mod:`assistant.services.scheduler.signals`),
on which this service re-reads the named row and sets or removes its job. On start, and every
:data:`RECONCILE_SECONDS` as a safety net for lost signals and failed jobs, it reconciles: every active
reminder has exactly its job, every pending notification its job, every notification with an
``escalate_at`` its escalation job, and no job is left without a row. The wanted jobs come from one function
per kind (:data:`WANTED`), so a new kind of job adds one function there and one branch to
:meth:`Jobs.sync`. Every change of a job happens under the row's lock (:mod:`assistant.worker.firing`), and
notification rows carry a unique idempotency key, so restarts, stale jobs and a second worker never store an
occurrence twice.

**Missed-run rule** (applied in :func:`assistant.worker.firing.missed_run_rule` only). An occurrence whose
fire time passed while the scheduler was down (or busy):

* fires late, once, if its fire time is at most ``ASSISTANT_REMINDER_GRACE_MINUTES`` (default 60) ago;
* is recorded as ``missed`` when older: a notification with status ``missed`` whose title and body tell the
  user, in their language, that it was due while the assistant was offline (it shows on the bell);
* if several occurrences of one reminder were missed (an hourly reminder, a long outage), only the latest
  fires, if within the grace window; the older ones are recorded as missed, at most
  :data:`~assistant.worker.firing.MAX_MISSED_ROWS` (24) per reminder per catch-up, the most recent ones
  (the rest are only counted in the log);
* a snoozed notification whose new time passed follows the same rule (``sent`` late within the window,
  ``missed`` beyond), and so does a reminder's e-mail or Telegram row (sent late, or ``missed`` unsent);
  other notifications' e-mail and Telegram rows are sent late.

APScheduler's own misfire handling agrees: a job more than the grace window late is reported as
``EVENT_JOB_MISSED`` instead of run, and the listener applies the same rule to its row.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent  # type: ignore[import-untyped]
from apscheduler.executors.pool import ThreadPoolExecutor  # type: ignore[import-untyped]
from apscheduler.jobstores.base import JobLookupError  # type: ignore[import-untyped]
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore  # type: ignore[import-untyped]
from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.date import DateTrigger  # type: ignore[import-untyped]
from psycopg import sql
from sqlmodel import col, select

from assistant.core.config import get_settings
from assistant.core.db import database_url, libpq_url, session_scope, sqlalchemy_url
from assistant.core.logging import log_context
from assistant.models import Notification, NotificationStatus, TaskRun
from assistant.models.platform import SCHEDULER_JOBS_TABLE
from assistant.models.reminder import Reminder, ReminderStatus
from assistant.services.reports.jobs import queued_reports
from assistant.services.scheduler.signals import SCHEDULER_CHANNEL, parse_signal
from assistant.worker import firing, reports, review, task_runs
from assistant.worker.firing import escalation_job_id, notification_job_id, reminder_job_id
from assistant.worker.reports import build_report, report_job_id
from assistant.worker.review import review_job_id
from assistant.worker.task_runs import RUN_EXECUTOR, RUN_THREADS, run_job_id, start_task_run

log = logging.getLogger(__name__)

#: Seconds between two reconciliations of rows and jobs (the first runs at start).
RECONCILE_SECONDS = 300.0
#: Threads that run due jobs; each holds one database connection while it works. Two to four settled 1,000
#: reminders due at once fastest on 2 cores (more threads only share the interpreter lock; see
#: docs/performance.md).
EXECUTOR_THREADS = 4
#: How often the signal listener checks whether the service is stopping, seconds.
STOP_CHECK_SECONDS = 1.0
#: A job dropped because its previous run had not ended (``max_instances``) is set again this much later.
RETRY_SECONDS = 1.0

#: The rows whose jobs this service keeps: job ids ``<kind>:<uuid>`` (a reminder, a pending notification, a
#: queued run of a task handed to the assistant: :mod:`assistant.worker.task_runs`, a notification's escalation,
#: a user's daily review: :mod:`assistant.worker.review`, a queued report or data export:
#: :mod:`assistant.worker.reports`).
OWN_KINDS = ("reminder", "notification", "task_run", "escalation", "review", "report")

_running: Jobs | None = None


class Jobs:
    """The running scheduler and the job of each row (the book :mod:`assistant.worker.firing` writes in)."""

    def __init__(self, grace: timedelta) -> None:
        self.grace = grace
        store = SQLAlchemyJobStore(url=sqlalchemy_url(database_url()), tablename=SCHEDULER_JOBS_TABLE,
                                   engine_options={"pool_pre_ping": True})
        self.scheduler = BackgroundScheduler(
            timezone=UTC, jobstores={"default": store},
            executors={"default": ThreadPoolExecutor(max_workers=EXECUTOR_THREADS),
                       RUN_EXECUTOR: ThreadPoolExecutor(max_workers=RUN_THREADS)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": int(grace.total_seconds())})
        self.scheduler.add_listener(self._on_event, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)

    def set_reminder(self, reminder: Reminder) -> None:
        """Set the reminder's job for ``next_fire_at``, carrying its ``next_occurrence_at``."""
        assert reminder.next_fire_at is not None and reminder.next_occurrence_at is not None
        self.scheduler.add_job(fire_reminder, DateTrigger(run_date=reminder.next_fire_at, timezone=UTC),
                               id=reminder_job_id(reminder.id), name=f"reminder {reminder.id}",
                               args=[str(reminder.id), reminder.next_occurrence_at.astimezone(UTC).isoformat()],
                               replace_existing=True)

    def set_notification(self, notification: Notification) -> None:
        """Set the pending notification's job for ``scheduled_at``."""
        assert notification.scheduled_at is not None
        self.scheduler.add_job(deliver_notification, DateTrigger(run_date=notification.scheduled_at, timezone=UTC),
                               id=notification_job_id(notification.id), name=f"notification {notification.id}",
                               args=[str(notification.id)], replace_existing=True)

    def set_escalation(self, notification: Notification) -> None:
        """Set the notification's escalation job for ``escalate_at``."""
        assert notification.escalate_at is not None
        self.scheduler.add_job(escalate_notification, DateTrigger(run_date=notification.escalate_at, timezone=UTC),
                               id=escalation_job_id(notification.id), name=f"escalation {notification.id}",
                               args=[str(notification.id)], replace_existing=True)

    def set_run(self, run: TaskRun) -> None:
        """Set the queued run's job for ``due_at`` in the runs' own executor, with no misfire limit."""
        self.scheduler.add_job(start_task_run, DateTrigger(run_date=run.due_at, timezone=UTC),
                               id=run_job_id(run.id), name=f"task run {run.id}", args=[str(run.id)],
                               executor=RUN_EXECUTOR, misfire_grace_time=None, replace_existing=True)

    def set_review(self, user_id: uuid.UUID, run_at: datetime) -> None:
        """Set the user's daily review job for ``run_at`` in the runs' executor (the model may take a while)."""
        self.scheduler.add_job(send_daily_review, DateTrigger(run_date=run_at, timezone=UTC),
                               id=review_job_id(user_id), name=f"daily review {user_id}", args=[str(user_id)],
                               executor=RUN_EXECUTOR, replace_existing=True)

    def set_report(self, report_id: uuid.UUID, run_at: datetime) -> None:
        """Set the queued report's job (due at ``run_at``, its creation: at once) in the runs' executor, with no
        misfire limit (a report asked for is still wanted however late)."""
        self.scheduler.add_job(build_report, DateTrigger(run_date=run_at, timezone=UTC), id=report_job_id(report_id),
                               name=f"report {report_id}", args=[str(report_id)], executor=RUN_EXECUTOR,
                               misfire_grace_time=None, replace_existing=True)

    def remove(self, job_id: str) -> None:
        """Remove a job if there is one."""
        try:
            self.scheduler.remove_job(job_id)
        except JobLookupError:
            pass

    def sync(self, kind: str, item_id: uuid.UUID) -> None:
        """Make the job of the row ``kind`` (one of :data:`OWN_KINDS`) ``item_id`` match the row; other kinds
        are not this service's and are left alone."""
        if kind == "reminder":
            firing.sync_reminder(item_id, self)
        elif kind == "notification":
            firing.sync_notification(item_id, self)
        elif kind == "task_run":
            task_runs.sync_run(item_id, self)
        elif kind == "escalation":
            firing.sync_escalation(item_id, self)
        elif kind == "review":
            review.sync_review(item_id, self)
        elif kind == "report":
            reports.sync_report(item_id, self)

    def reconcile(self) -> int:
        """Bring the job store in line with the rows (module docstring); returns how many jobs were set or
        removed. Rows and jobs that differ are each synced under the row's lock, so a row that changed
        since it was read is scheduled as it is now."""
        wanted = {job_id: want for source in WANTED for job_id, want in source().items()}
        jobs = {job.id: job for job in self.scheduler.get_jobs()}
        changed = [job_id for job_id, (run_at, args) in wanted.items()
                   if (job := jobs.get(job_id)) is None or list(job.args) != args
                   or abs((job.next_run_time - run_at).total_seconds()) > 0.001]
        changed += [job_id for job_id in jobs if job_id not in wanted and job_id.partition(":")[0] in OWN_KINDS]
        for job_id in changed:
            named = _job_row(job_id)
            if named is None:
                self.remove(job_id)
            else:
                self.sync(*named)
        if changed:
            log.info("scheduler reconciled %d job(s) with their rows", len(changed))
        return len(changed)

    def _on_event(self, event: JobEvent) -> None:
        """A job too late to run (``EVENT_JOB_MISSED``, in an executor thread): the missed-run rule for its
        row. A job dropped because its previous run was still going (``EVENT_JOB_MAX_INSTANCES``, in the
        scheduler's thread): synced again after :data:`RETRY_SECONDS`."""
        named = _job_row(event.job_id)
        if named is None:
            return
        kind, item_id = named
        if event.code == EVENT_JOB_MAX_INSTANCES:
            threading.Timer(RETRY_SECONDS, self._sync_quietly, args=(kind, item_id)).start()
        elif kind == "reminder":
            firing.settle_reminder(item_id, None, grace=self.grace, book=self)
        elif kind == "notification":
            firing.settle_notification(item_id, grace=self.grace, book=self)
        elif kind == "escalation":
            firing.settle_escalation(item_id, book=self)
        elif kind == "review":  # more than the grace window late: skipped, the next one is tomorrow's
            review.sync_review(item_id, self)

    def _sync_quietly(self, kind: str, item_id: uuid.UUID) -> None:
        try:
            self.sync(kind, item_id)
        except Exception:
            log.exception("could not set the job of %s %s again (the next reconciliation will)", kind, item_id)


#: What reconciliation wants of one kind: ``{job id: (run time, job args)}``.
Wanted = dict[str, tuple[datetime, list[str]]]


def _reminder_jobs() -> Wanted:
    """Every active reminder's job, at its next fire time, carrying its next occurrence."""
    with session_scope() as session:
        rows = session.exec(select(Reminder.id, Reminder.next_fire_at, Reminder.next_occurrence_at).where(
            Reminder.status == ReminderStatus.ACTIVE.value, col(Reminder.next_fire_at).is_not(None),
            col(Reminder.next_occurrence_at).is_not(None))).all()
    return {reminder_job_id(reminder_id): (fire_at, [str(reminder_id), occurrence.astimezone(UTC).isoformat()])
            for reminder_id, fire_at, occurrence in rows if fire_at is not None and occurrence is not None}


def _notification_jobs() -> Wanted:
    """Every pending notification's job (snoozed, or an e-mail or Telegram row to send), at ``scheduled_at``."""
    with session_scope() as session:
        rows = session.exec(select(Notification.id, Notification.scheduled_at).where(
            Notification.status == NotificationStatus.PENDING.value,
            col(Notification.scheduled_at).is_not(None))).all()
    return {notification_job_id(notification_id): (scheduled_at, [str(notification_id)])
            for notification_id, scheduled_at in rows if scheduled_at is not None}


def _escalation_jobs() -> Wanted:
    """Every escalation job, at its row's ``escalate_at``."""
    with session_scope() as session:
        rows = session.exec(select(Notification.id, Notification.escalate_at).where(
            col(Notification.escalate_at).is_not(None))).all()
    return {escalation_job_id(notification_id): (escalate_at, [str(notification_id)])
            for notification_id, escalate_at in rows if escalate_at is not None}


def _run_jobs() -> Wanted:
    """Every queued task run's job, at its ``due_at``."""
    return {run_job_id(run_id): (due_at, [str(run_id)]) for run_id, due_at in task_runs.queued_runs()}


def _review_jobs() -> Wanted:
    """Every daily review's job, at the user's next review time."""
    grace = timedelta(minutes=get_settings().reminder_grace_minutes)
    return {review_job_id(user_id): (run_at, [str(user_id)]) for user_id, run_at in review.due_reviews(grace)}


def _report_jobs() -> Wanted:
    """Every queued report's job, at its creation time (due at once)."""
    return {report_job_id(report_id): (created_at, [str(report_id)]) for report_id, created_at in queued_reports()}


#: The jobs reconciliation wants, one function per kind of :data:`OWN_KINDS`.
WANTED: tuple[Callable[[], Wanted], ...] = (_reminder_jobs, _notification_jobs, _run_jobs, _escalation_jobs,
                                            _review_jobs, _report_jobs)


def _job_row(job_id: str) -> tuple[str, uuid.UUID] | None:
    """``(kind, id)`` of a job of this service (``<kind>:<uuid>``, a kind of :data:`OWN_KINDS`), else None."""
    kind, _, raw = job_id.partition(":")
    if kind not in OWN_KINDS:
        return None
    try:
        return kind, uuid.UUID(raw)
    except ValueError:
        return None


def _book() -> Jobs:
    if _running is None:
        raise RuntimeError("the scheduler is not running in this process")
    return _running


def fire_reminder(reminder_id: str, occurrence_iso: str) -> None:
    """APScheduler job: fire the reminder's occurrence ``occurrence_iso`` (ISO 8601, UTC) if it is still the
    row's next one (:func:`assistant.worker.firing.settle_reminder`)."""
    book = _book()
    with log_context(job_id=firing.reminder_job_id(uuid.UUID(reminder_id))):
        firing.settle_reminder(uuid.UUID(reminder_id), datetime.fromisoformat(occurrence_iso), grace=book.grace,
                               book=book)


def deliver_notification(notification_id: str) -> None:
    """APScheduler job: deliver the pending notification (:func:`assistant.worker.firing.settle_notification`)."""
    book = _book()
    with log_context(job_id=firing.notification_job_id(uuid.UUID(notification_id))):
        firing.settle_notification(uuid.UUID(notification_id), grace=book.grace, book=book)


def send_daily_review(user_id: str) -> None:
    """APScheduler job: send the user's daily review, then set the next one
    (:func:`assistant.worker.review.run_review`)."""
    with log_context(job_id=review.review_job_id(uuid.UUID(user_id)), user_id=user_id):
        review.run_review(user_id, _book())


def escalate_notification(notification_id: str) -> None:
    """APScheduler job: escalate the notification's occurrence (:func:`assistant.worker.firing.settle_escalation`)."""
    with log_context(job_id=firing.escalation_job_id(uuid.UUID(notification_id))):
        firing.settle_escalation(uuid.UUID(notification_id), book=_book())


def run_scheduler(stop: threading.Event) -> None:
    """The scheduler service: run until ``stop`` is set (module docstring).

    Listens for signals first, so none is lost while it reconciles; starts APScheduler paused, reconciles
    (overdue rows get a job at their past time and go through the missed-run rule as soon as it resumes),
    resumes, then handles signals and reconciles every :data:`RECONCILE_SECONDS`. Task runs and reports a dead
    worker left running are marked failed first. On ``stop`` APScheduler shuts down without waiting for running
    jobs (a reminder's is one transaction, idempotent; a task run or report still going is marked failed by the
    next leader).

    Raises:
        psycopg.OperationalError: the listening connection broke (the supervisor restarts the service).
    """
    global _running
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    jobs = Jobs(timedelta(minutes=get_settings().reminder_grace_minutes))
    with psycopg.connect(libpq_url(database_url()), autocommit=True, application_name="assistant-scheduler") as conn:
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(SCHEDULER_CHANNEL)))
        _running = jobs
        jobs.scheduler.start(paused=True)
        try:
            task_runs.fail_interrupted_runs()
            reports.fail_interrupted_reports()
            jobs.reconcile()
            jobs.scheduler.resume()
            log.info("scheduler is running (grace %s)", jobs.grace)
            _listen(conn, jobs, stop)
        finally:
            jobs.scheduler.shutdown(wait=False)
            _running = None
            log.info("scheduler stopped")


def _listen(conn: psycopg.Connection[Any], jobs: Jobs, stop: threading.Event) -> None:
    """Handle signals as they come and reconcile every :data:`RECONCILE_SECONDS` until ``stop`` is set."""
    next_reconcile = time.monotonic() + RECONCILE_SECONDS
    while not stop.is_set():
        for note in conn.notifies(timeout=STOP_CHECK_SECONDS):
            signal = parse_signal(note.payload)
            if signal is None:
                log.warning("ignored a malformed scheduler signal %r", note.payload[:100])
                continue
            try:
                jobs.sync(*signal)
            except Exception:
                log.exception("could not handle the scheduler signal %s (the next reconciliation will)", note.payload)
            if stop.is_set():
                return
        if time.monotonic() >= next_reconcile:
            jobs.reconcile()
            next_reconcile = time.monotonic() + RECONCILE_SECONDS

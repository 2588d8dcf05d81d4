"""The leader's scheduler in real worker processes, with near-future times: a reminder fires once, on time,
into one notification row and its events; a recurring one fires on each occurrence and moves to the next by
its rule; edits, pauses and snoozes reach it through signals; occurrences missed while it was down fire late
within the grace window or are recorded missed beyond it (the user is told); a killed worker's reminders fire
once after a restart; two workers store each occurrence once.

Reminder rows are written as the reminders service leaves them (row + ``NOTIFY scheduler_signals``), or, for
the restart cases, as they stand after the worker had been down."""

from __future__ import annotations

import json
import signal
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy import text
from sqlmodel import select
from support.worker import Worker, wait_for, worker_environment

from assistant.core.db import session_scope
from assistant.models import Notification, User, WorkerHeartbeat
from assistant.models.base import utcnow
from assistant.models.reminder import Reminder
from assistant.services.notifications.delivery import occurrence_key
from assistant.services.scheduler.recurrence import occurrence_after
from assistant.services.scheduler.signals import signal_scheduler

RUNNING = "scheduler is running"


def start(name: str, tmp_path, database, started: list[Worker], **env: str) -> Worker:
    worker = Worker(name, tmp_path, worker_environment(database.url, database.data_dir) | env)
    started.append(worker)
    return worker


def running(workers: list[Worker], timeout: float = 60) -> Worker:
    """Wait until one of ``workers`` runs the scheduler; returns it."""
    wait_for(lambda: any(RUNNING in w.output() for w in workers), timeout, "the scheduler to run", workers)
    return next(w for w in workers if RUNNING in w.output())


def stop_all(workers: list[Worker]) -> None:
    for worker in workers:
        worker.stop()
    with session_scope() as session:
        for row in session.exec(select(WorkerHeartbeat)):
            session.delete(row)


def add_reminder(user: User, *, fire_at: datetime, occurrence: datetime | None = None, title: str = "Take metformin",
                 rrule: str | None = None, starts_at: datetime | None = None, timezone: str = "UTC",
                 notify: bool = True) -> uuid.UUID:
    """A reminder row whose next occurrence is ``occurrence`` (default ``fire_at``), firing at ``fire_at``;
    ``starts_at`` (local, naive) defaults to the occurrence's local time. Signals the scheduler unless not
    ``notify``."""
    occurrence = occurrence or fire_at
    local = starts_at or occurrence.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    reminder = Reminder(user_id=user.id, title=title, note="With breakfast.", timezone=timezone, starts_at=local,
                        recurrence="once" if rrule is None else "rrule", rrule=rrule,
                        next_occurrence_at=occurrence, next_fire_at=fire_at)
    with session_scope() as session:
        session.add(reminder)
        session.flush()
        if notify:
            signal_scheduler(session, "reminder", reminder.id)
    return reminder.id


def change_reminder(reminder_id: uuid.UUID, **values) -> None:
    """Update a reminder row and signal the scheduler, as the reminders service does."""
    with session_scope() as session:
        reminder = session.get(Reminder, reminder_id)
        for name, value in values.items():
            setattr(reminder, name, value)
        session.add(reminder)
        signal_scheduler(session, "reminder", reminder_id)


def load_reminder(reminder_id: uuid.UUID) -> Reminder:
    with session_scope() as session:
        return session.get(Reminder, reminder_id)


def notifications(reminder_id: uuid.UUID) -> list[Notification]:
    with session_scope() as session:
        rows = session.exec(select(Notification).where(Notification.reminder_id == reminder_id))
        return sorted(rows, key=lambda row: row.occurrence_at)


def job_run_time(job_id: str) -> datetime | None:
    """When the job store will run ``job_id`` (None: no such job)."""
    with session_scope() as session:
        value = session.execute(text("SELECT next_run_time FROM scheduler_jobs WHERE id = :id"),
                                {"id": job_id}).scalar()
    return None if value is None else datetime.fromtimestamp(value, ZoneInfo("UTC"))


def late(row: Notification) -> float:
    """Seconds between the occurrence and the delivery of ``row``."""
    return (row.sent_at - row.occurrence_at).total_seconds()


@pytest.fixture(scope="class")
def worker(database, tmp_path_factory):
    """One worker shared by the tests of a class."""
    started: list[Worker] = []
    worker = start("scheduler-shared", tmp_path_factory.mktemp("scheduler"), database, started)
    running([worker])
    yield worker
    stop_all(started)


class TestOneWorker:
    """Cases that share one worker (started once for the class)."""

    def test_a_one_time_reminder_fires_once_on_time_and_tells_the_open_tabs(self, worker, make_user, database):
        user = make_user()
        with psycopg.connect(database.url, autocommit=True) as listener:
            listener.execute("LISTEN assistant_events")
            due = utcnow() + timedelta(seconds=3)
            reminder_id = add_reminder(user, fire_at=due)
            wait_for(lambda: notifications(reminder_id), 15, "the reminder to fire", [worker])
            time.sleep(2)
            heard = [json.loads(note.payload) for note in listener.notifies(timeout=1)]
        [row] = notifications(reminder_id)
        assert (row.status, row.type, row.channel, row.title, row.body) == (
            "sent", "reminder", "in_app", "Take metformin", "With breakfast.")
        assert 0 <= late(row) < 2, "on time, not before"
        assert row.idempotency_key == f"reminder:{reminder_id}:{occurrence_key(due)}:in_app"
        assert row.expires_at == due + timedelta(hours=24), "a last occurrence asks for attention for a day"
        to_user = {"u": [str(user.id)]}
        assert to_user | {"t": "notification", "p": {"notification_id": str(row.id), "status": "sent"}} in heard
        assert to_user | {"t": "reminder", "p": {"reminder_id": str(reminder_id)}} in heard
        after = load_reminder(reminder_id)
        assert (after.status, after.next_occurrence_at, after.next_fire_at) == ("ended", None, None)
        assert after.last_fired_at == row.sent_at
        assert job_run_time(f"reminder:{reminder_id}") is None

    def test_a_recurring_reminder_fires_on_each_occurrence_and_moves_by_its_rule(self, worker, make_user):
        """Daily at 08:00 in Berlin; each occurrence is written a few seconds ahead, as if its day had come."""
        first = utcnow() + timedelta(seconds=3)
        reminder_id = add_reminder(make_user(), fire_at=first, rrule="FREQ=DAILY", timezone="Europe/Berlin",
                                   starts_at=datetime(2026, 1, 5, 8, 0))
        wait_for(lambda: len(notifications(reminder_id)) == 1, 15, "the first occurrence", [worker])
        after_first = load_reminder(reminder_id)
        second = utcnow() + timedelta(seconds=3)
        change_reminder(reminder_id, next_occurrence_at=second, next_fire_at=second)
        wait_for(lambda: len(notifications(reminder_id)) == 2, 15, "the second occurrence", [worker])
        after_second = load_reminder(reminder_id)
        for fired, after in ((first, after_first), (second, after_second)):
            expected = occurrence_after(after, fired)
            assert after.status == "active" and after.next_occurrence_at == expected == after.next_fire_at
            assert expected.astimezone(ZoneInfo("Europe/Berlin")).time().isoformat() == "08:00:00"
        assert job_run_time(f"reminder:{reminder_id}") == after_second.next_fire_at, "the next occurrence has its job"
        rows = notifications(reminder_id)
        assert [row.occurrence_at for row in rows] == [first, second]
        assert all(row.status == "sent" and 0 <= late(row) < 2 for row in rows)
        assert [row.expires_at for row in rows] == [after_first.next_occurrence_at, after_second.next_occurrence_at]

    def test_edits_and_pauses_reach_the_scheduler_through_signals(self, worker, make_user):
        user = make_user()
        later = utcnow() + timedelta(minutes=10)
        moved = add_reminder(user, fire_at=later, title="Moved")
        paused = add_reminder(user, fire_at=utcnow() + timedelta(seconds=4), title="Paused")
        wait_for(lambda: job_run_time(f"reminder:{moved}") == later and job_run_time(f"reminder:{paused}"), 10,
                 "both jobs to be set", [worker])
        due = utcnow() + timedelta(seconds=3)
        change_reminder(moved, next_occurrence_at=due, next_fire_at=due)
        change_reminder(paused, status="paused", next_occurrence_at=None, next_fire_at=None)
        wait_for(lambda: notifications(moved), 15, "the edited reminder to fire", [worker])
        time.sleep(2)
        [row] = notifications(moved)
        assert row.occurrence_at == due and 0 <= late(row) < 2
        assert notifications(paused) == [] and job_run_time(f"reminder:{paused}") is None

    def test_a_snoozed_notification_is_delivered_again_at_its_new_time(self, worker, make_user):
        user = make_user()
        fired = utcnow() - timedelta(minutes=5)
        rows = [Notification(user_id=user.id, type="reminder", status="pending", title=title, occurrence_at=fired,
                             sent_at=fired, scheduled_at=utcnow() + timedelta(seconds=3), snooze_count=1)
                for title in ("Snoozed", "Taken before its time")]
        with session_scope() as session:
            for row in rows:
                session.add(row)
                session.flush()
                signal_scheduler(session, "notification", row.id)
        wait_for(lambda: job_run_time(f"notification:{rows[1].id}") is not None, 10, "the snooze jobs", [worker])
        with session_scope() as session:  # the user pressed Taken on the second one meanwhile
            taken = session.get(Notification, rows[1].id)
            taken.status, taken.acknowledged_at = "acknowledged", utcnow()
            session.add(taken)

        def load(row: Notification) -> Notification:
            with session_scope() as session:
                return session.get(Notification, row.id)

        wait_for(lambda: load(rows[0]).status == "sent", 15, "the snoozed notification again", [worker])
        time.sleep(1)
        again = load(rows[0])
        assert 0 <= (again.sent_at - rows[0].scheduled_at).total_seconds() < 2
        assert load(rows[1]).status == "acknowledged", "an acknowledgement is never overwritten"

    def test_occurrences_missed_within_grace_fire_the_latest_late_and_record_the_older(self, worker, make_user):
        """Written as the row stands after an outage of 2.5 hours: hourly, its next occurrence long past;
        the default grace window is an hour."""
        user = make_user()
        first = (utcnow() - timedelta(hours=2, minutes=30)).replace(second=0, microsecond=0)
        reminder_id = add_reminder(user, fire_at=first, rrule="FREQ=HOURLY")
        wait_for(lambda: len(notifications(reminder_id)) == 3, 15, "the catch-up", [worker])
        rows = notifications(reminder_id)
        assert [row.occurrence_at for row in rows] == [first + timedelta(hours=h) for h in range(3)]
        assert [row.status for row in rows] == ["missed", "missed", "sent"]
        assert rows[0].title == "Missed: Take metformin" and "while the assistant was offline" in rows[0].body
        assert rows[2].title == "Take metformin" and 29 * 60 < late(rows[2]) < 32 * 60, "fired late, once"
        assert load_reminder(reminder_id).next_occurrence_at == first + timedelta(hours=3)


@pytest.fixture
def workers(database, tmp_path):
    started: list[Worker] = []
    yield lambda name, **env: start(name, tmp_path, database, started, **env)
    stop_all(started)


def test_a_worker_killed_before_the_due_time_fires_once_late_after_its_restart(workers, make_user):
    first = workers("scheduler-first")
    running([first])
    due = utcnow() + timedelta(seconds=4)
    reminder_id = add_reminder(make_user(), fire_at=due)
    wait_for(lambda: job_run_time(f"reminder:{reminder_id}") == due, 10, "the job to be stored", [first])
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=10)
    time.sleep(max(0.0, (due - utcnow()).total_seconds()) + 2)
    assert notifications(reminder_id) == [], "nothing fires while the worker is down"

    second = workers("scheduler-second")
    wait_for(lambda: notifications(reminder_id), 60, "the late occurrence", [first, second])
    time.sleep(2)
    [row] = notifications(reminder_id)
    assert row.status == "sent" and 2 < late(row) < 60
    assert f"reminder {reminder_id}: occurrence {due.isoformat()} fired" in second.output()


def test_beyond_the_grace_window_occurrences_are_recorded_missed_and_the_user_is_told(workers, make_user):
    """As the rows stand after the worker had been down: a one-time reminder 3 minutes past for a
    Russian-speaking user, and an hourly one whose 31 occurrences since 30 hours ago all passed. Grace: 1 minute."""
    russian = make_user()
    with session_scope() as session:
        user = session.get(User, russian.id)
        user.language = "ru"
        session.add(user)
    once = add_reminder(russian, fire_at=utcnow() - timedelta(minutes=3), title="Принять метформин",
                        timezone="Europe/Moscow", notify=False)
    first = (utcnow() - timedelta(hours=30, minutes=2)).replace(second=0, microsecond=0)
    hourly = add_reminder(make_user(), fire_at=first, rrule="FREQ=HOURLY", notify=False)

    worker = workers("scheduler-grace", ASSISTANT_REMINDER_GRACE_MINUTES="1")
    wait_for(lambda: notifications(once) and len(notifications(hourly)) == 24, 60, "the missed records", [worker])
    time.sleep(2)
    [told] = notifications(once)
    assert told.status == "missed" and told.title == "Пропущено: Принять метформин"
    assert "ассистент был недоступен" in told.body
    assert load_reminder(once).status == "ended"
    rows = notifications(hourly)
    assert len(rows) == 24 and {row.status for row in rows} == {"missed"}, "at most 24 missed rows per catch-up"
    assert [row.occurrence_at for row in rows] == [first + timedelta(hours=h) for h in range(7, 31)], "the latest"
    after = load_reminder(hourly)
    assert after.status == "active" and after.next_occurrence_at == first + timedelta(hours=31)


def test_two_workers_store_each_occurrence_once_even_when_the_leader_changes(workers, make_user):
    pair = [workers("scheduler-a"), workers("scheduler-b")]
    leader = running(pair)
    user = make_user()
    due = utcnow() + timedelta(seconds=4)
    ids = [add_reminder(user, fire_at=due, title=f"Reminder {n}") for n in range(5)]
    wait_for(lambda: all(notifications(i) for i in ids), 20, "the reminders to fire", pair)
    leader.process.send_signal(signal.SIGKILL)
    leader.process.wait(timeout=10)
    [standby] = [w for w in pair if w is not leader]
    running([standby], timeout=30)
    time.sleep(2)
    assert [len(notifications(i)) for i in ids] == [1] * 5
    assert all(late(row) < 2 for i in ids for row in notifications(i))

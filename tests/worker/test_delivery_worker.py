"""Delivery on every channel in real worker processes, with a real SMTP server (aiosmtpd), the loopback Bot API and
near-future times: a reminder due in a few seconds arrives in the app, by mail and by Telegram, once each, even
when its occurrence fires again after a restart; SMTP down then up: retried and delivered once, the delivery
log showing the failed attempt with the reason, then the send; quiet hours hold the mail and the Telegram
message and release them at their end; escalation sends on the next channel only when not acknowledged.

The escalation cases move a row's ``escalate_at`` a few seconds ahead (with the signal the services send),
standing for the reminder's minutes passing: the shortest escalation a reminder accepts is one minute."""

from __future__ import annotations

import time as clock
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from support.delivery import (
    SMTP_PASSWORD,
    SMTP_USER,
    attempts_of,
    make_reminder,
    prefer,
    reachable,
    rows_of,
    set_up_bot,
    set_up_mail,
)
from support.smtp_server import smtp_server
from support.telegram_api import telegram_api
from support.worker import Worker, wait_for, worker_environment

from assistant.core.db import session_scope
from assistant.models import Notification, WorkerHeartbeat
from assistant.models.base import utcnow
from assistant.models.reminder import Reminder
from assistant.models.user import Role
from assistant.services.notifications import inbox
from assistant.services.scheduler.signals import signal_scheduler

RUNNING = "scheduler is running"
CHAT = 7100


@pytest.fixture(scope="module")
def mail():
    with smtp_server(username=SMTP_USER, password=SMTP_PASSWORD) as server:
        yield server


@pytest.fixture(scope="module")
def bot():
    with telegram_api() as server:
        yield server


@pytest.fixture(scope="module")
def start_worker(database, tmp_path_factory, bot):
    """``start_worker(name)``: a worker on the test database talking to the loopback Bot API, running the
    scheduler; all are stopped at the end of the module."""
    started: list[Worker] = []
    log_dir = tmp_path_factory.mktemp("delivery")

    def _start(name: str) -> Worker:
        env = worker_environment(database.url, database.data_dir) | {
            "ASSISTANT_TELEGRAM_API_URL": bot.url, "ASSISTANT_CHANNEL_TIMEOUT_SECONDS": "5"}
        worker = Worker(name, log_dir, env)
        started.append(worker)
        wait_for(lambda: RUNNING in worker.output(), 60, "the scheduler to run", [worker])
        return worker

    yield _start
    for worker in started:
        worker.stop()


@pytest.fixture(scope="module")
def worker(start_worker):
    return start_worker("delivery-shared")


@pytest.fixture
def user(make_user, mail, bot):
    """A user reachable by mail and Telegram (the channels set up again: each test empties the tables)."""
    mail.messages.clear()
    admin = make_user(role=Role.ADMIN)
    set_up_mail(admin, mail)
    set_up_bot(admin)
    return reachable(make_user(), chat_id=CHAT)


def _remind(user, in_seconds: float, **values) -> Reminder:
    """A reminder due ``in_seconds`` from now, as the reminders service leaves it (row + signal)."""
    reminder = make_reminder(user, due=utcnow() + timedelta(seconds=in_seconds), **values)
    with session_scope() as session:
        signal_scheduler(session, "reminder", reminder.id)
    return reminder


def _statuses(reminder: Reminder) -> dict[str, str]:
    return {channel: row.status for channel, row in rows_of(reminder.id).items()}


def _telegram_texts(bot, title: str) -> list[str]:
    return [message.text for message in bot.messages(CHAT) if title in message.text]


def _mails(mail, title: str) -> list:
    return [message for message in mail.messages if title in message["Subject"]]


def test_a_reminder_arrives_in_the_app_by_mail_and_by_telegram_once_each_across_restarts(
        start_worker, user, mail, bot):
    prefer(user, {"reminder": ["telegram", "email"]})
    first = start_worker("delivery-first")
    reminder = _remind(user, 3, title="Vitamin D")
    everywhere = {"in_app": "sent", "telegram": "sent", "email": "sent"}
    wait_for(lambda: _statuses(reminder) == everywhere, 30, "the three channels", [first])
    rows = rows_of(reminder.id)
    assert all((row.sent_at - row.occurrence_at).total_seconds() < 5 for row in rows.values()), "on time"
    assert len(_mails(mail, "Vitamin D")) == 1 and len(_telegram_texts(bot, "Vitamin D")) == 1

    _stop(first)
    with session_scope() as session:
        again = session.get_one(Reminder, reminder.id)
        again.status, again.next_occurrence_at, again.next_fire_at = "active", rows["in_app"].occurrence_at, utcnow()
        session.add(again)
    second = start_worker("delivery-second")
    wait_for(lambda: _reminder_status(reminder) == "ended", 30, "the occurrence to fire again", [second])
    clock.sleep(2)
    assert _statuses(reminder) == everywhere
    assert len(_mails(mail, "Vitamin D")) == 1 and len(_telegram_texts(bot, "Vitamin D")) == 1, "once each"
    _stop(second)


def _stop(worker: Worker) -> None:
    """Kill ``worker`` and forget its heartbeat, so the next one leads at once."""
    worker.stop()
    with session_scope() as session:
        session.query(WorkerHeartbeat).delete()


def _reminder_status(reminder: Reminder) -> str:
    with session_scope() as session:
        return session.get_one(Reminder, reminder.id).status


def test_smtp_down_then_up_is_retried_and_delivered_once(worker, user, mail):
    prefer(user, {"reminder": ["email"]})
    mail.stop()
    try:
        reminder = _remind(user, 2, title="Blood pressure")
        wait_for(lambda: rows_of(reminder.id).get("email") and rows_of(reminder.id)["email"].attempts == 1, 20,
                 "the first attempt to fail", [worker])
    finally:
        mail.start()
    failed = rows_of(reminder.id)["email"]
    assert failed.status == "pending" and failed.last_error and "127.0.0.1" in failed.last_error
    assert (failed.scheduled_at - failed.updated_at).total_seconds() >= 29, "the retry waits the 30 s backoff"
    _retry_soon(failed, 1)
    wait_for(lambda: _statuses(reminder)["email"] == "sent", 30, "the retry", [worker])
    assert len(_mails(mail, "Blood pressure")) == 1
    log = attempts_of(failed.id)
    assert [(attempt, outcome) for attempt, outcome, _ in log] == [(1, "failed"), (2, "sent")]
    assert log[0][2] == failed.last_error


def _retry_soon(row: Notification, seconds: float) -> None:
    """The backoff passes: the pending row is due ``seconds`` from now (row + signal, as the worker sets it)."""
    with session_scope() as session:
        stored = session.get_one(Notification, row.id)
        stored.scheduled_at = utcnow() + timedelta(seconds=seconds)
        session.add(stored)
        signal_scheduler(session, "notification", row.id)


def test_quiet_hours_hold_mail_and_telegram_and_release_them_at_their_end(worker, user, mail, bot):
    end = datetime.now(UTC) + timedelta(seconds=8)
    local_end = end.astimezone(ZoneInfo(user.timezone)).time().replace(microsecond=0)
    start = (datetime.now(UTC) - timedelta(hours=1)).astimezone(ZoneInfo(user.timezone)).time().replace(microsecond=0)
    prefer(user, {"reminder": ["telegram", "email"]}, quiet=(start, local_end))
    reminder = _remind(user, 2, title="Evening walk")
    wait_for(lambda: _statuses(reminder).get("in_app") == "sent", 15, "the app's row", [worker])
    held = rows_of(reminder.id)
    assert {held[c].status for c in ("email", "telegram")} == {"pending"}
    assert _mails(mail, "Evening walk") == [] and _telegram_texts(bot, "Evening walk") == []
    wait_for(lambda: set(_statuses(reminder).values()) == {"sent"}, 20, "the release", [worker])
    released = rows_of(reminder.id)
    assert all(released[c].sent_at >= end.replace(microsecond=0) for c in ("email", "telegram")), "not before the end"
    assert len(_mails(mail, "Evening walk")) == 1 and len(_telegram_texts(bot, "Evening walk")) == 1


def _escalate_soon(row: Notification, seconds: float) -> None:
    """The reminder's minutes pass: the row escalates ``seconds`` from now (row + signal)."""
    with session_scope() as session:
        stored = session.get_one(Notification, row.id)
        stored.escalate_at = utcnow() + timedelta(seconds=seconds)
        session.add(stored)
        signal_scheduler(session, "escalation", row.id)


def test_escalation_sends_on_the_next_channel_only_when_not_acknowledged(worker, user, mail, bot):
    prefer(user, {})
    ignored = _remind(user, 2, title="Insulin", escalate_after_minutes=1)
    answered = _remind(user, 2, title="Inhaler", escalate_after_minutes=1)
    wait_for(lambda: "in_app" in rows_of(ignored.id) and "in_app" in rows_of(answered.id), 15, "both reminders",
             [worker])
    for reminder in (ignored, answered):
        row = rows_of(reminder.id)["in_app"]
        assert row.escalate_at is not None and (row.escalate_at - row.sent_at) == timedelta(minutes=1)
        assert set(rows_of(reminder.id)) == {"in_app"}, "only the app at first"
        _escalate_soon(row, 3)
    with session_scope() as session:
        inbox.acknowledge(session=session, user=user, notification_id=rows_of(answered.id)["in_app"].id)
    wait_for(lambda: _statuses(ignored).get("telegram") == "sent", 20, "the escalation to Telegram", [worker])
    escalated = rows_of(ignored.id)
    assert set(escalated) == {"in_app", "telegram"} and len(_telegram_texts(bot, "Insulin")) == 1
    assert escalated["telegram"].escalate_at is not None, "e-mail comes next if still unanswered"
    _escalate_soon(escalated["telegram"], 1)
    wait_for(lambda: _statuses(ignored).get("email") == "sent", 20, "the escalation to e-mail", [worker])
    assert len(_mails(mail, "Insulin")) == 1
    clock.sleep(2)
    assert set(rows_of(answered.id)) == {"in_app"}, "acknowledged in time: nothing more"
    assert _telegram_texts(bot, "Inhaler") == [] and _mails(mail, "Inhaler") == []

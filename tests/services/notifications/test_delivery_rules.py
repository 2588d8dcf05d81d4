"""The rule of channels on a real database: which rows an occurrence or another notification gets (the app
always, the user's channels for its type, the reminder's own, only where the user can be reached), escalation
holding all but the app, quiet hours holding e-mail and Telegram, one row per channel however often it runs,
and the scheduler signalled for every row the worker must send."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

import psycopg
import pytest
from sqlmodel import select
from support.delivery import make_reminder, prefer, reachable, rows_of, set_up_bot, set_up_mail
from support.smtp_server import smtp_server

from assistant.core.db import database_url, libpq_url, session_scope
from assistant.models import Notification, NotificationType
from assistant.models.base import utcnow
from assistant.models.user import Role
from assistant.services.notifications.delivery import record_occurrence, send_notification
from assistant.services.scheduler.signals import SCHEDULER_CHANNEL

CHAT = 7001


@pytest.fixture
def admin(make_user):
    return make_user(role=Role.ADMIN)


@pytest.fixture
def channels_on(admin):
    """SMTP and the bot are set up (nothing is sent in these tests)."""
    with smtp_server() as server:
        set_up_mail(admin, server)
        set_up_bot(admin)
        yield


def _fire(reminder, now: datetime, status: str = "sent") -> tuple[list[Notification], list[str]]:
    """Record the reminder's occurrence as the worker does; returns the rows stored and the scheduler signals."""
    with psycopg.connect(libpq_url(database_url()), autocommit=True) as listener:
        listener.execute(f"LISTEN {SCHEDULER_CHANNEL}")
        with session_scope() as session:
            stored = record_occurrence(session=session, reminder=reminder, occurrence_at=reminder.next_occurrence_at,
                                       status=status, now=now)
        return stored, [note.payload for note in listener.notifies(timeout=0.3)]


def test_without_channels_an_occurrence_goes_to_the_app_only(make_user, channels_on):
    user = make_user()
    prefer(user, {"reminder": ["email", "telegram"]})
    reminder = make_reminder(user, due=utcnow(), channels=["in_app", "email", "telegram"])
    stored, signals = _fire(reminder, utcnow())
    assert [row.channel for row in stored] == ["in_app"], "address not verified, no chat linked"
    assert signals == []


def test_an_occurrence_goes_to_the_types_channels_and_the_reminders_own_where_reachable(make_user, channels_on):
    user = reachable(make_user(), chat_id=CHAT)
    prefer(user, {"reminder": ["telegram"], "task": ["email"]})
    reminder = make_reminder(user, due=utcnow())
    now = utcnow()
    stored, signals = _fire(reminder, now)
    assert [row.channel for row in stored] == ["in_app", "telegram"]
    rows = rows_of(reminder.id)
    assert (rows["in_app"].status, rows["in_app"].sent_at) == ("sent", now)
    assert (rows["telegram"].status, rows["telegram"].scheduled_at, rows["telegram"].sent_at) == ("pending", now, None)
    assert rows["telegram"].idempotency_key.endswith(":telegram")
    assert signals == [f"notification:{rows['telegram'].id}"]

    own = make_reminder(user, due=utcnow(), channels=["in_app", "email"])
    stored, _ = _fire(own, now)
    assert [row.channel for row in stored] == ["in_app", "telegram", "email"], "the type's and the reminder's own"


def test_an_occurrence_is_stored_once_per_channel_however_often_it_fires(make_user, channels_on):
    user = reachable(make_user(), chat_id=CHAT)
    prefer(user, {"reminder": ["telegram", "email"]})
    reminder = make_reminder(user, due=utcnow())
    first, _ = _fire(reminder, utcnow())
    again, signals = _fire(reminder, utcnow())
    assert len(first) == 3 and again == [] and signals == []
    assert set(rows_of(reminder.id)) == {"in_app", "telegram", "email"}


def test_with_escalation_only_the_app_is_sent_and_its_escalation_is_scheduled(make_user, channels_on):
    user = reachable(make_user(), chat_id=CHAT)
    prefer(user, {"reminder": ["telegram", "email"]})
    reminder = make_reminder(user, due=utcnow(), escalate_after_minutes=15)
    now = utcnow()
    stored, signals = _fire(reminder, now)
    [row] = stored
    assert (row.channel, row.status, row.escalate_at) == ("in_app", "sent", now + timedelta(minutes=15))
    assert signals == [f"escalation:{row.id}"]


def test_a_missed_occurrence_is_told_in_the_app_only(make_user, channels_on):
    user = reachable(make_user(), chat_id=CHAT)
    prefer(user, {"reminder": ["telegram", "email"]})
    reminder = make_reminder(user, due=utcnow() - timedelta(hours=3), escalate_after_minutes=5)
    stored, signals = _fire(reminder, utcnow(), status="missed")
    [row] = stored
    assert (row.channel, row.status, row.escalate_at) == ("in_app", "missed", None)
    assert signals == []


def test_quiet_hours_hold_mail_and_telegram_but_not_the_app(make_user, channels_on):
    user = reachable(make_user(), chat_id=CHAT, timezone="Europe/Berlin")
    prefer(user, {"reminder": ["telegram", "email"]}, quiet=(time(22, 0), time(7, 0)))
    reminder = make_reminder(user, due=datetime.fromisoformat("2026-01-15T22:30:00+00:00"))
    now = datetime.fromisoformat("2026-01-15T22:30:05+00:00")  # 23:30 in Berlin
    _fire(reminder, now)
    rows = rows_of(reminder.id)
    assert (rows["in_app"].status, rows["in_app"].sent_at) == ("sent", now)
    release = datetime.fromisoformat("2026-01-16T06:00:00+00:00")  # 07:00 in Berlin
    assert {rows[c].scheduled_at for c in ("telegram", "email")} == {release}
    assert {rows[c].status for c in ("telegram", "email")} == {"pending"}


def test_other_notifications_go_to_the_users_channels_for_their_type_once(make_user, channels_on):
    user = reachable(make_user(), chat_id=CHAT)
    prefer(user, {"task": ["email"], "ai_generated": ["telegram"]})
    run = uuid.uuid4()

    def send(kind: NotificationType, key: str) -> Notification | None:
        with session_scope() as session:
            return send_notification(session=session, user_id=user.id, type=kind, title="Done: report",
                                     body="It went well.", idempotency_key=key)

    first = send(NotificationType.TASK, f"task_run:{run}:in_app")
    assert first is not None and first.channel == "in_app" and first.status == "sent"
    assert send(NotificationType.TASK, f"task_run:{run}:in_app") is None
    assert send(NotificationType.AI_GENERATED, f"review:{user.id}:2026-01-15") is not None
    assert send(NotificationType.INFO, f"info:{run}") is not None
    with session_scope() as session:
        stored = {row.idempotency_key: (row.channel, row.status)
                  for row in session.exec(select(Notification).where(Notification.user_id == user.id))}
    assert stored == {
        f"task_run:{run}:in_app": ("in_app", "sent"), f"task_run:{run}:email": ("email", "pending"),
        f"review:{user.id}:2026-01-15": ("in_app", "sent"),
        f"review:{user.id}:2026-01-15:telegram": ("telegram", "pending"),
        f"info:{run}": ("in_app", "sent"),
    }

"""Escalation on a real database with a real SMTP server and a loopback Bot API, the clock passed in: an occurrence
nobody acknowledged goes to Telegram, then to e-mail, each after the reminder's minutes, once per channel;
acknowledged in time, nothing more is sent (and every row's escalation is cleared); a snoozed reminder's
escalation waits; a channel that fails for good passes the occurrence on at once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select
from support.delivery import SMTP_PASSWORD, SMTP_USER, make_reminder, reachable, rows_of, set_up_bot, set_up_mail
from support.smtp_server import smtp_server
from support.telegram_api import telegram_api

from assistant.core.db import session_scope
from assistant.core.errors import InvalidInput
from assistant.models import Notification
from assistant.models.base import utcnow
from assistant.models.reminder import Reminder
from assistant.models.user import Role
from assistant.services.notifications import inbox
from assistant.services.notifications.delivery import record_occurrence
from assistant.services.notifications.dispatch import deliver_due, escalate
from assistant.services.scheduler.reminders import ReminderInput, create_reminder

CHAT = 7003
MINUTES = 10


@pytest.fixture
def bot(make_user, configure):
    admin = make_user(role=Role.ADMIN)
    with smtp_server(username=SMTP_USER, password=SMTP_PASSWORD) as mail, telegram_api() as server:
        configure(telegram_api_url=server.url, channel_timeout_seconds=5)
        set_up_mail(admin, mail)
        set_up_bot(admin)
        yield server


@pytest.fixture
def user(make_user, bot):
    return reachable(make_user(), chat_id=CHAT)


def _fired(user, now: datetime):
    reminder = make_reminder(user, due=now, escalate_after_minutes=MINUTES)
    with session_scope() as session:
        record_occurrence(session=session, reminder=reminder, occurrence_at=now, now=now)
    return reminder


def _escalate(row: Notification, now: datetime) -> list[Notification]:
    with session_scope() as session:
        return escalate(session=session, notification_id=row.id, now=now)


def _send(row: Notification, now: datetime) -> Notification | None:
    with session_scope() as session:
        return deliver_due(session=session, notification_id=row.id, now=now)


def test_an_unacknowledged_occurrence_walks_telegram_then_email_once_each(user):
    start = utcnow()
    reminder = _fired(user, start)
    in_app = rows_of(reminder.id)["in_app"]
    assert in_app.escalate_at == start + timedelta(minutes=MINUTES)
    assert _escalate(in_app, in_app.escalate_at - timedelta(seconds=1)) == [], "not yet"

    [telegram] = _escalate(in_app, in_app.escalate_at)
    assert (telegram.channel, telegram.status) == ("telegram", "pending")
    assert telegram.idempotency_key == in_app.idempotency_key.replace(":in_app", ":telegram")
    assert rows_of(reminder.id)["in_app"].escalate_at is None, "escalated once"
    assert _escalate(in_app, in_app.escalate_at + timedelta(minutes=1)) == []
    sent = _send(telegram, in_app.escalate_at)
    assert sent.status == "sent" and sent.escalate_at == in_app.escalate_at + timedelta(minutes=MINUTES)

    [email] = _escalate(sent, sent.escalate_at)
    assert email.channel == "email"
    mailed = _send(email, sent.escalate_at)
    assert mailed.status == "sent" and mailed.escalate_at is not None
    assert _escalate(mailed, mailed.escalate_at) == [], "no channel left"
    assert set(rows_of(reminder.id)) == {"in_app", "telegram", "email"}
    assert all(row.escalate_at is None for row in rows_of(reminder.id).values())


def test_acknowledged_in_time_nothing_more_is_sent(user):
    start = utcnow()
    reminder = _fired(user, start)
    in_app = rows_of(reminder.id)["in_app"]
    with session_scope() as session:
        inbox.acknowledge(session=session, user=user, notification_id=in_app.id)
    assert rows_of(reminder.id)["in_app"].escalate_at is None, "acknowledging clears the escalation"
    assert _escalate(in_app, start + timedelta(minutes=MINUTES)) == []
    assert set(rows_of(reminder.id)) == {"in_app"}

    later = _fired(user, start + timedelta(seconds=1))
    first = rows_of(later.id)["in_app"]
    [telegram] = _escalate(first, first.escalate_at)
    _send(telegram, first.escalate_at)
    with session_scope() as session:
        inbox.acknowledge(session=session, user=user, notification_id=telegram.id)
    rows = rows_of(later.id)
    assert {row.status for row in rows.values()} == {"acknowledged"}
    assert all(row.escalate_at is None for row in rows.values()), "Taken on Telegram ends it everywhere"


def test_a_snoozed_reminder_escalates_after_its_new_time(user):
    start = utcnow()
    reminder = _fired(user, start)
    in_app = rows_of(reminder.id)["in_app"]
    with session_scope() as session:
        snoozed = inbox.snooze(session=session, user=user, notification_id=in_app.id, minutes=60)
    assert _escalate(in_app, in_app.escalate_at) == []
    moved = rows_of(reminder.id)["in_app"]
    assert moved.escalate_at == snoozed.scheduled_at + timedelta(minutes=MINUTES)
    assert set(rows_of(reminder.id)) == {"in_app"}


def test_a_channel_that_fails_for_good_passes_the_occurrence_on_at_once(user, bot):
    start = utcnow()
    reminder = _fired(user, start)
    in_app = rows_of(reminder.id)["in_app"]
    [telegram] = _escalate(in_app, in_app.escalate_at)
    bot.blocked.add(CHAT)
    failed = _send(telegram, in_app.escalate_at)
    assert (failed.status, failed.escalate_at) == ("failed", in_app.escalate_at), "escalates at once"
    [email] = _escalate(failed, failed.escalate_at)
    assert email.channel == "email"


@pytest.mark.parametrize(("given", "stored"), [("15", 15), (1440, 1440), ("", None), (None, None)])
def test_a_reminders_escalation_is_whole_minutes_from_1_to_1440_or_off(make_user, given, stored):
    user = make_user()
    data = ReminderInput(title="Metformin", starts_at=(utcnow() + timedelta(hours=1)).isoformat(),
                         escalate_after_minutes=given)
    with session_scope() as session:
        reminder = create_reminder(session=session, user=user, data=data)
    assert reminder.escalate_after_minutes == stored


@pytest.mark.parametrize("given", ["0", 1441, "ten", "1.5", -3, True])
def test_a_refused_escalation_stores_nothing(make_user, given):
    user = make_user()
    data = ReminderInput(title="Metformin", starts_at=(utcnow() + timedelta(hours=1)).isoformat(),
                         escalate_after_minutes=given)
    with pytest.raises(InvalidInput) as refused, session_scope() as session:
        create_reminder(session=session, user=user, data=data)
    assert (refused.value.code, refused.value.params) == ("delivery.escalation_invalid", {"max": 1440})
    with session_scope() as session:
        assert session.exec(select(Reminder).where(Reminder.user_id == user.id)).all() == []

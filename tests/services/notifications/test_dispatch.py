"""One send of a pending e-mail or Telegram row, against a real SMTP server (aiosmtpd) and a loopback Bot API:
sent once and logged; SMTP down then up: retried with backoff and delivered once, the log showing the failed
attempts with the reason, then the send; retries that run out and a permanent refusal end ``failed`` with the
reason, which the notifications page lists; nothing is sent before its time, after an acknowledgement, or as a
stale reminder beyond the grace window."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from support.delivery import attempts_of, make_reminder, prefer, reachable, rows_of, set_up_bot, set_up_mail
from support.smtp_server import smtp_server
from support.telegram_api import telegram_api

from assistant.core.db import session_scope
from assistant.models import Notification
from assistant.models.base import utcnow
from assistant.models.user import Role
from assistant.services.notifications import inbox
from assistant.services.notifications.delivery import record_occurrence
from assistant.services.notifications.dispatch import MAX_ATTEMPTS, deliver_due, retry_delay

CHAT = 7002


@pytest.fixture
def admin(make_user):
    return make_user(role=Role.ADMIN)


@pytest.fixture
def mail(admin):
    with smtp_server(username="mailer", password="s3cret-pass") as server:
        set_up_mail(admin, server)
        yield server


@pytest.fixture
def bot(admin, configure):
    with telegram_api() as server:
        configure(telegram_api_url=server.url, channel_timeout_seconds=5)
        set_up_bot(admin)
        yield server


def _occurrence(user, channels: list[str], now: datetime):
    """A reminder of ``user`` fired at ``now`` into the app and ``channels``; returns its rows by channel."""
    prefer(user, {"reminder": channels})
    reminder = make_reminder(user, due=now)
    with session_scope() as session:
        record_occurrence(session=session, reminder=reminder, occurrence_at=now, now=now)
    return reminder, rows_of(reminder.id)


def _send(row: Notification, now: datetime | None = None, grace: timedelta | None = None) -> Notification | None:
    with session_scope() as session:
        return deliver_due(session=session, notification_id=row.id, now=now, grace=grace)


def test_a_mail_and_a_telegram_message_are_sent_once_and_logged(make_user, mail, bot):
    user = reachable(make_user(), chat_id=CHAT)
    reminder, rows = _occurrence(user, ["email", "telegram"], utcnow())
    sent = _send(rows["email"])
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 1, None)
    assert _send(rows["email"]) is None, "sent already"
    [message] = mail.wait_for(1)
    assert message["To"] == user.email and "Take metformin" in message["Subject"]
    [(attempt, outcome, detail)] = attempts_of(rows["email"].id)
    assert (attempt, outcome, detail) == (1, "sent", "2.0.0 Message accepted"), "the server's reply"

    assert _send(rows["telegram"]).status == "sent"
    assert _send(rows["telegram"]) is None
    [chat] = bot.wait_messages(CHAT, 1)
    assert "Take metformin" in chat.text
    assert attempts_of(rows["telegram"].id) == [(1, "sent", f"message {chat.message_id}")]
    assert rows_of(reminder.id)["in_app"].status == "sent"


def test_smtp_down_then_up_is_retried_with_backoff_and_delivered_once(make_user, mail):
    user = reachable(make_user())
    start = utcnow()
    _, rows = _occurrence(user, ["email"], start)
    mail.stop()
    clock = start
    for attempt in (1, 2):
        failed = _send(rows["email"], now=clock)
        assert (failed.status, failed.attempts) == ("pending", attempt), "waiting for its retry"
        assert failed.scheduled_at == clock + retry_delay(attempt)
        assert _send(rows["email"], now=failed.scheduled_at - timedelta(seconds=1)) is None, "not before its time"
        clock = failed.scheduled_at
    assert [retry_delay(n).total_seconds() for n in range(1, MAX_ATTEMPTS)] == [30, 60, 120, 240]
    mail.start()
    assert _send(rows["email"], now=clock).status == "sent"
    assert _send(rows["email"], now=clock + timedelta(hours=1)) is None
    assert len(mail.wait_for(1)) == 1
    log = attempts_of(rows["email"].id)
    assert [(attempt, outcome) for attempt, outcome, _ in log] == [(1, "failed"), (2, "failed"), (3, "sent")]
    assert all("127.0.0.1" in detail for _, outcome, detail in log if outcome == "failed"), log


def test_retries_run_out_and_the_failure_shows_with_its_reason(make_user, mail):
    user = reachable(make_user())
    _, rows = _occurrence(user, ["email"], utcnow())
    mail.stop()
    clock = utcnow()
    for _ in range(MAX_ATTEMPTS):
        row = _send(rows["email"], now=clock)
        clock = row.scheduled_at
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert "127.0.0.1" in row.last_error
    assert _send(rows["email"], now=clock + timedelta(hours=1)) is None, "given up"
    with session_scope() as session:
        listed = {item.notification.channel: item.notification
                  for item in inbox.list_notifications(session=session, user=user)}
    assert set(listed) == {"in_app", "email"}, "the page lists the failed mail besides the app's row"
    assert (listed["email"].status, listed["email"].last_error) == ("failed", row.last_error)


def test_a_permanent_refusal_fails_at_once_with_the_servers_reply(make_user, admin, mail):
    user = reachable(make_user())
    set_up_mail(admin, mail, password="wrong-password")
    _, rows = _occurrence(user, ["email"], utcnow())
    row = _send(rows["email"])
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error.startswith("535"), row.last_error
    assert "wrong-password" not in row.last_error
    assert attempts_of(rows["email"].id) == [(1, "failed", row.last_error)]
    assert mail.messages == []


def test_a_blocked_bot_fails_at_once(make_user, bot):
    user = reachable(make_user(), email=False, chat_id=CHAT)
    bot.blocked.add(CHAT)
    _, rows = _occurrence(user, ["telegram"], utcnow())
    row = _send(rows["telegram"])
    assert (row.status, row.last_error) == ("failed", "Forbidden: bot was blocked by the user")


def test_nothing_is_sent_early_after_an_acknowledgement_or_too_late(make_user, mail):
    user = reachable(make_user())
    now = utcnow()
    _, rows = _occurrence(user, ["email"], now)
    assert _send(rows["email"], now=now - timedelta(seconds=5)) is None, "not due yet"
    with session_scope() as session:
        inbox.acknowledge(session=session, user=user, notification_id=rows["in_app"].id)
    assert _send(rows["email"]) is None, "acknowledged in the app"

    _, late = _occurrence(user, ["email"], utcnow() - timedelta(minutes=1))
    row = _send(late["email"], now=utcnow() + timedelta(hours=2), grace=timedelta(hours=1))
    assert (row.status, row.attempts) == ("missed", 0), "a stale reminder is not mailed"
    assert mail.messages == []

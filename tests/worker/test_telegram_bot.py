"""The Telegram bot in the real worker process, talking to a loopback Bot API (``ASSISTANT_TELEGRAM_API_URL``):
linking with a deep-link code (once, before it expires), unlinked chats told to link, a delivered reminder's
Taken button acknowledging the occurrence everywhere (and another chat's press changing nothing), ``/today``,
a plain message answered by the model in parts, a token Telegram refuses, and no token in any log line."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlmodel import select
from support.llm_server import LoopbackLLMServer, openai_env
from support.scripted_model import ScriptedModel, answer
from support.telegram_api import VALID_TOKEN, TelegramApiServer
from support.worker import leading_worker, wait_for, worker_environment

from assistant.core.db import session_scope
from assistant.core.i18n import translate
from assistant.models import Chat, Message, Notification, OneTimeCode, TelegramLink, User
from assistant.models.reminder import Reminder
from assistant.models.user import Role
from assistant.services.channels.config import save_telegram_token
from assistant.services.channels.linking import start_link
from assistant.services.channels.telegram import check_bot, deliver, parse_callback
from assistant.services.tasks.due import Due
from assistant.services.tasks.tasks import create_task

ALICE, BOB, STRANGER = 7001, 7002, 7003
REFUSED_TOKEN = "111111111:AAHk-a-token-telegram-does-not-know0"


@pytest.fixture(scope="module")
def api():
    server = TelegramApiServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def model():
    with LoopbackLLMServer() as server:
        yield ScriptedModel(server)


@pytest.fixture(scope="module")
def worker(database, tmp_path_factory, api, model):
    env = {"ASSISTANT_TELEGRAM_API_URL": api.url} | openai_env(model.server, timeout_seconds=20)
    with leading_worker("telegram", tmp_path_factory.mktemp("telegram"),
                        worker_environment(database.url, database.data_dir) | env) as worker:
        yield worker
    assert VALID_TOKEN not in worker.output() and REFUSED_TOKEN not in worker.output()


@pytest.fixture
def bot(worker, api, configure, call, make_user, model):
    """The bot set up by an admin (token stored, checked) and polling in the worker; returns the admin."""
    configure(telegram_api_url=api.url, openai_api_key="sk-loopback", openai_base_url=f"{model.server.url}/v1")
    model.reset()
    api.reset()
    admin = make_user(role=Role.ADMIN)
    call(save_telegram_token, actor=admin, token=VALID_TOKEN)
    call(check_bot, actor=admin)
    return admin


def _said(api: TelegramApiServer, chat_id: int, count: int) -> str:
    return api.wait_messages(chat_id, count)[count - 1].text


def _link(call, api: TelegramApiServer, user: User, chat_id: int, username: str) -> str:
    url = call(start_link, user=user)
    match = re.fullmatch(r"https://t\.me/assistant_test_bot\?start=([A-Za-z0-9_-]{32})", url)
    assert match is not None, url
    sent = len(api.messages(chat_id))
    api.send_text(chat_id, f"/start {match.group(1)}", username=username)
    assert _said(api, chat_id, sent + 1) == translate("telegram.linked", "en")
    return match.group(1)


def _link_row(user: User) -> TelegramLink | None:
    with session_scope() as session:
        return session.get(TelegramLink, user.id)


def test_linking_once_with_an_unexpired_code_and_unlinked_chats_are_told(bot, api, call, make_user):
    alice, bob = make_user(), make_user()
    api.send_text(STRANGER, "hello?", username="stranger")
    assert _said(api, STRANGER, 1) == translate("telegram.link_first", "en")

    code = _link(call, api, alice, ALICE, "alice")
    link = _link_row(alice)
    assert link is not None and (link.chat_id, link.username) == (ALICE, "alice")

    api.send_text(STRANGER, f"/start {code}", username="stranger")  # the same code again, from another chat
    assert _said(api, STRANGER, 2) == translate("channels.code_invalid", "en")
    assert _link_row(alice).chat_id == ALICE

    url = call(start_link, user=bob)
    with session_scope() as session:  # ten minutes pass
        for row in session.exec(select(OneTimeCode).where(OneTimeCode.user_id == bob.id)):
            row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
            session.add(row)
    api.send_text(BOB, f"/start {url.rsplit('=', 1)[1]}", username="bob")
    assert _said(api, BOB, 1) == translate("channels.code_expired", "en")
    assert _link_row(bob) is None

    url = call(start_link, user=bob)  # a chat linked to alice cannot be taken over with bob's code
    api.send_text(ALICE, f"/start {url.rsplit('=', 1)[1]}", username="alice")
    assert _said(api, ALICE, 2) == translate("telegram.chat_taken", "en")
    assert _link_row(bob) is None and _link_row(alice).chat_id == ALICE


def _occurrence(user: User) -> tuple[Notification, Notification]:
    """A medication reminder's occurrence as the worker stores it: its in-app and its Telegram row."""
    at = datetime.now(UTC).replace(microsecond=0)
    with session_scope() as session:
        reminder = Reminder(user_id=user.id, title="Metformin 500 mg", kind="medication", timezone="UTC",
                            starts_at=at.replace(tzinfo=None), next_occurrence_at=None)
        session.add(reminder)
        session.flush()
        rows = tuple(Notification(user_id=user.id, type="reminder", channel=channel, status="sent",
                                  title="Metformin 500 mg", body="With breakfast.", reminder_id=reminder.id,
                                  occurrence_at=at, sent_at=at, idempotency_key=f"test:{reminder.id}:{channel}")
                     for channel in ("in_app", "telegram"))
        session.add_all(rows)
        session.flush()
        return rows  # type: ignore[return-value]


def _statuses(*rows: Notification) -> list[str]:
    with session_scope() as session:
        return [session.get(Notification, row.id).status for row in rows]


def test_taken_in_telegram_acknowledges_the_occurrence_and_another_chat_changes_nothing(bot, api, call, make_user):
    alice, bob = make_user(), make_user()
    _link(call, api, alice, ALICE, "alice")
    _link(call, api, bob, BOB, "bob")
    in_app, telegram = _occurrence(alice)

    reply = call(deliver, notification=telegram, user=alice)

    message = api.wait_messages(ALICE, 2)[-1]
    assert reply == f"message {message.message_id}"
    assert "<b>Metformin 500 mg</b>" in message.text and "With breakfast." in message.text
    taken, snooze_10, snooze_60 = [data for row in message.buttons for _, data in row]
    assert [text for row in message.buttons for text, _ in row] == ["Taken", "Snooze 10 min", "Snooze 1 h"]
    assert parse_callback(taken) == ("ack", 0, telegram.id)

    pressed = api.press(BOB, message.message_id, taken, username="bob")  # bob's chat, alice's notification
    assert api.wait_answer(pressed)["text"] == translate("notifications.not_found", "en")
    pressed = api.press(STRANGER, message.message_id, taken, username="stranger")
    assert api.wait_answer(pressed)["text"] == translate("telegram.link_first", "en")
    assert _statuses(in_app, telegram) == ["sent", "sent"]
    assert api.messages(ALICE)[-1].edits == 0

    pressed = api.press(ALICE, message.message_id, taken)

    assert api.wait_answer(pressed)["text"].startswith("Taken at ")
    assert _statuses(in_app, telegram) == ["acknowledged", "acknowledged"]
    wait_for(lambda: api.messages(ALICE)[-1].edits == 1, 10, "the message to show the outcome", [])
    edited = api.messages(ALICE)[-1]
    assert "Metformin 500 mg" in edited.text and "Taken at " in edited.text and edited.buttons == []
    pressed = api.press(ALICE, message.message_id, snooze_10)  # too late to snooze
    assert api.wait_answer(pressed)["text"] == translate("notifications.already_acknowledged", "en")
    assert snooze_60.startswith("snz:60:")


def test_snooze_in_telegram_sends_the_reminder_again_later(bot, api, call, make_user):
    alice = make_user()
    _link(call, api, alice, ALICE, "alice")
    _, telegram = _occurrence(alice)
    call(deliver, notification=telegram, user=alice)
    message = api.wait_messages(ALICE, 2)[-1]
    snooze_60 = message.buttons[1][1][1]

    pressed = api.press(ALICE, message.message_id, snooze_60)

    assert api.wait_answer(pressed)["text"].startswith("Snoozed until ")
    with session_scope() as session:
        row = session.get(Notification, telegram.id)
        assert row.status == "pending" and row.snooze_count == 1
        assert timedelta(minutes=59) < row.scheduled_at - datetime.now(UTC) <= timedelta(minutes=60)
    wait_for(lambda: api.messages(ALICE)[-1].edits == 1, 10, "the message to show the outcome", [])
    assert "Snoozed until " in api.messages(ALICE)[-1].text


def test_today_lists_what_is_due_and_a_plain_message_gets_the_models_answer_in_parts(bot, api, call, make_user,
                                                                                      model, worker):
    alice = make_user()
    _link(call, api, alice, ALICE, "alice")
    now = datetime.now(UTC)
    call(create_task, user=alice, title="Renew the prescription", due=Due(now.date(), time(23, 59)))
    call(create_task, user=alice, title="Book the eye test")  # no date: not today's

    api.send_text(ALICE, "/today")

    today = _said(api, ALICE, 2)
    assert "Renew the prescription" in today and "Book the eye test" not in today
    api.send_text(ALICE, "/tasks")
    assert "Book the eye test" in _said(api, ALICE, 3)
    later = (now + timedelta(days=1)).replace(microsecond=0)
    with session_scope() as session:
        session.add(Reminder(user_id=alice.id, title="Check blood pressure", timezone="UTC",
                             starts_at=later.replace(tzinfo=None), next_occurrence_at=later, next_fire_at=later))
    api.send_text(ALICE, "/reminders")
    assert "Check blood pressure" in _said(api, ALICE, 4)

    long_answer = "## Your week\n\n" + "\n\n".join(f"**Day {n}**: " + "a steady reading " * 40 for n in range(10))
    model.script(answer(long_answer[:3000], long_answer[3000:]))
    api.send_text(ALICE, "How was my week?")

    parts = api.wait_messages(ALICE, 6, timeout=60)[4:]
    assert len(parts) == 2 and parts[0].text.startswith("<b>Your week</b>")
    assert all(f"<b>Day {n}</b>" in "".join(p.text for p in parts) for n in range(10))
    link = _link_row(alice)
    assert link is not None and link.assistant_chat_id is not None
    with session_scope() as session:
        chat = session.get(Chat, link.assistant_chat_id)
        said = session.exec(select(Message.content).where(Message.chat_id == chat.id)
                            .order_by(Message.seq)).all()  # type: ignore[attr-defined]
    assert chat.user_id == alice.id and said[0] == "How was my week?" and said[-1] == long_answer


def test_a_token_telegram_refuses_is_logged_without_the_token(bot, api, call, worker):
    call(save_telegram_token, actor=bot, token=REFUSED_TOKEN)
    wait_for(lambda: "Telegram refused the bot (Unauthorized)" in worker.output(), 30,
             "the worker to try the new token", [worker])
    call(save_telegram_token, actor=bot, token="")
    wait_for(lambda: "telegram bot: token removed" in worker.output(), 30, "the worker to stop polling", [worker])
    assert REFUSED_TOKEN not in worker.output() and VALID_TOKEN not in worker.output()

"""The Telegram channel against a loopback Bot API: what a delivered notification looks like, what each failure
says (and whether it is worth a retry), the bot check, and Markdown as Telegram renders it."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest
from support.telegram_api import BOT_USERNAME, VALID_TOKEN, TelegramApiServer, telegram_api

from assistant.core.errors import Forbidden, InvalidInput
from assistant.models import Notification, TelegramLink, User
from assistant.models.reminder import Reminder
from assistant.models.user import Role
from assistant.services.channels import DeliveryError
from assistant.services.channels.config import save_telegram_token, telegram_view
from assistant.services.channels.telegram import (
    MESSAGE_LIMIT,
    check_bot,
    deliver,
    format_markdown,
    make_bot,
    parse_callback,
    split_html,
)

CHAT = 5550001
OTHER_TOKEN = "987654321:AAHk-a-token-telegram-does-not-know0"


@pytest.fixture
def api(configure):
    with telegram_api() as server:
        configure(telegram_api_url=server.url, channel_timeout_seconds=5)
        yield server


def _bot(call, make_user, token: str = VALID_TOKEN) -> User:
    admin = make_user(role=Role.ADMIN)
    call(save_telegram_token, actor=admin, token=token)
    return admin


def _linked(call, make_user, *, language: str = "en", timezone: str = "UTC") -> User:
    user = make_user()

    def _link(*, session):
        row = session.get(User, user.id)
        row.language, row.timezone = language, timezone
        session.add(row)
        session.add(TelegramLink(user_id=user.id, chat_id=CHAT, username="alice"))
        session.flush()
        return row

    return call(_link)


def _notification(call, user: User, *, title: str, body: str = "", kind: str | None = None) -> Notification:
    def _add(*, session):
        reminder = None
        if kind is not None:
            reminder = Reminder(user_id=user.id, title=title, kind=kind, timezone="UTC",
                                starts_at=datetime(2026, 7, 1, 6, 30))
            session.add(reminder)
            session.flush()
        row = Notification(user_id=user.id, type="reminder", channel="telegram", title=title, body=body,
                           reminder_id=reminder.id if reminder else None,
                           occurrence_at=datetime(2026, 7, 1, 6, 30, tzinfo=UTC))
        session.add(row)
        session.flush()
        return row

    return call(_add)


def test_a_medication_reminder_arrives_with_taken_and_snooze(call, make_user, api: TelegramApiServer):
    _bot(call, make_user)
    user = _linked(call, make_user, language="ru", timezone="Europe/Berlin")
    row = _notification(call, user, title="Aspirin <100 mg>", body="Take it **after** breakfast", kind="medication")

    reply = call(deliver, notification=row, user=user)

    [message] = api.wait_messages(CHAT, 1)
    assert reply == f"message {message.message_id}"
    assert message.parse_mode == "HTML"
    assert "<b>Aspirin &lt;100 mg&gt;</b>" in message.text
    assert "Take it <b>after</b> breakfast" in message.text
    assert "08:30" in message.text  # 06:30 UTC in Berlin's summer time
    labels = [[text for text, _ in line] for line in message.buttons]
    assert labels == [["Принято"], ["Отложить на 10 мин", "Отложить на 1 ч"]]
    datas = [data for line in message.buttons for _, data in line]
    assert [parse_callback(data) for data in datas] == [("ack", 0, row.id), ("snz", 10, row.id), ("snz", 60, row.id)]


def test_a_general_reminder_says_done_and_a_long_body_goes_in_parts(call, make_user, api):
    _bot(call, make_user)
    user = _linked(call, make_user)
    body = "\n\n".join(f"Paragraph {n}: " + "word " * 150 for n in range(12))
    row = _notification(call, user, title="Water the plants", body=body, kind="general")

    call(deliver, notification=row, user=user)

    messages = api.wait_messages(CHAT, 3)
    assert len(messages) == 3  # about 9,200 characters
    assert all(f"Paragraph {n}:" in "".join(m.text for m in messages) for n in range(12))
    assert messages[0].buttons == [] and messages[-1].buttons[0][0][0] == "Done"
    assert all(len(m.text) <= MESSAGE_LIMIT for m in messages)


@pytest.mark.parametrize(("setup", "reason", "retryable"), [
    ("blocked", "Forbidden: bot was blocked by the user", False),
    ("429", "Too Many Requests: retry after 7", True),
    ("500", "Internal Server Error", True),
    ("unlinked", "no Telegram chat is linked to the account", False),
])
def test_failures_say_why_and_whether_to_retry(call, make_user, api, setup, reason, retryable):
    _bot(call, make_user)
    user = _linked(call, make_user) if setup != "unlinked" else make_user()
    row = _notification(call, user, title="Walk", kind="general")
    if setup == "blocked":
        api.blocked.add(CHAT)
    elif setup == "429":
        api.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    elif setup == "500":
        api.fail("sendMessage", 500, "Internal Server Error")

    with pytest.raises(DeliveryError) as failed:
        call(deliver, notification=row, user=user)

    assert failed.value.reason == reason
    assert failed.value.retryable is retryable
    assert api.messages(CHAT) == []


def test_a_network_failure_is_retryable_and_never_shows_the_token(call, make_user, configure, caplog):
    _bot(call, make_user)
    user = _linked(call, make_user)
    row = _notification(call, user, title="Walk")
    with telegram_api() as gone:
        url = gone.url
    configure(telegram_api_url=url, channel_timeout_seconds=2)

    with caplog.at_level(logging.DEBUG), pytest.raises(DeliveryError) as failed:
        call(deliver, notification=row, user=user)

    assert failed.value.retryable is True
    assert VALID_TOKEN not in failed.value.reason and VALID_TOKEN not in caplog.text


def test_check_bot_stores_the_username_or_gives_telegrams_exact_refusal(call, make_user, api, caplog):
    admin = _bot(call, make_user)
    with caplog.at_level(logging.DEBUG):
        view = call(check_bot, actor=admin)
    assert view.bot_username == BOT_USERNAME and view.token_set

    call(save_telegram_token, actor=admin, token=OTHER_TOKEN)
    with caplog.at_level(logging.DEBUG), pytest.raises(InvalidInput) as refused:
        call(check_bot, actor=admin)
    assert refused.value.code == "telegram.bot_check_failed"
    assert refused.value.params == {"reason": "Unauthorized"}
    view = call(telegram_view, actor=admin)
    assert view.bot_username == "" and view.token_set
    assert OTHER_TOKEN not in repr(view) and OTHER_TOKEN not in caplog.text and VALID_TOKEN not in caplog.text

    with pytest.raises(Forbidden):
        call(check_bot, actor=make_user())


def test_check_bot_without_a_token(call, make_user):
    with pytest.raises(InvalidInput) as missing:
        call(check_bot, actor=make_user(role=Role.ADMIN))
    assert missing.value.code == "telegram.no_token"


def test_markdown_becomes_telegram_html():
    [text] = format_markdown("# Plan\n\n**Bold**, *it*, ~~gone~~, `x<y`, <script>alert(1)</script>\n\n"
                             "- one\n- [site](https://example.org/?a=1&b=2) [bad](javascript:alert(1))\n\n"
                             "> quoted\n\n```python\nif a < b:\n    pass\n```")
    assert text.startswith("<b>Plan</b>\n\n<b>Bold</b>, <i>it</i>, <s>gone</s>, <code>x&lt;y</code>, "
                           "&lt;script&gt;alert(1)&lt;/script&gt;")
    assert "• one\n• <a href=\"https://example.org/?a=1&amp;b=2\">site</a> [bad](javascript:alert(1))" in text
    assert "<blockquote>quoted</blockquote>" in text
    assert '<pre><code class="language-python">if a &lt; b:\n    pass</code></pre>' in text
    assert format_markdown("   ") == []


def test_a_long_answer_is_split_into_parts_telegram_accepts(api):
    parts = format_markdown("Intro\n\n**" + "bold words " * 600 + "end**\n\n```\n" + "code line\n" * 500 + "```")

    async def _send_all() -> list[int]:
        async with make_bot(VALID_TOKEN) as bot:  # the loopback API parses each like Telegram
            return [(await bot.send_message(CHAT, part)).message_id for part in parts]

    sent = asyncio.run(_send_all())

    assert len(sent) == len(parts) >= 3
    texts = [m.text for m in api.messages(CHAT)]
    assert "".join(texts).count("bold") == 600 and "".join(texts).count("line") == 500
    assert all(t.count("<b>") == t.count("</b>") and t.count("<pre>") == t.count("</pre>") for t in texts)


def test_a_long_list_is_split_between_lines():
    text = "<b>Tasks</b>\n" + "\n".join(f"• Task {n} <i>(overdue)</i>" for n in range(400))

    parts = split_html(text)

    assert len(parts) == 3 and all(len(part) <= MESSAGE_LIMIT for part in parts)
    assert "\n".join(parts) == text

"""The states behind the admin page's "Telegram bot" card and the Settings page's "Telegram" card, driven as a tab's
events drive them, against the loopback Bot API: what the page shows, that the token never reaches the state,
that a plain user's admin events are refused, and linking from Settings until the chat shows."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest
from support.states import open_tab, run_background
from support.telegram_api import BOT_USERNAME, VALID_TOKEN, telegram_api

from assistant.core.db import session_scope
from assistant.models.user import Role
from assistant.services.channels.config import save_telegram_token, telegram_token
from assistant.services.channels.linking import link_chat
from assistant.ui.state.telegram import TelegramLinkState
from assistant.ui.state.telegram_admin import TelegramBotState

REFUSED_TOKEN = "222222222:AAHk-a-token-telegram-does-not-know0"


@pytest.fixture
def api(configure):
    with telegram_api() as server:
        configure(telegram_api_url=server.url, channel_timeout_seconds=5)
        yield server


def _shown(state: Any) -> str:
    return json.dumps({name: getattr(state, name) for name in state.base_vars}, default=str)


def test_admin_sets_checks_and_removes_the_bot_and_never_holds_the_token(api, make_user, sign_in):
    admin = make_user(role=Role.ADMIN)
    tab = open_tab(TelegramBotState, sign_in(admin.email))
    asyncio.run(tab.load_bot())
    assert not tab.bot_token_set and tab.bot_username == ""

    asyncio.run(tab.save_bot_token({"bot_token": "not a token"}))
    assert tab.bot_error != "" and not tab.bot_token_set
    asyncio.run(tab.save_bot_token({"bot_token": ""}))
    assert tab.bot_error == "Type the bot's token first."

    asyncio.run(tab.save_bot_token({"bot_token": VALID_TOKEN}))
    assert tab.bot_token_set and tab.bot_message.startswith("The token is saved.")
    run_background(tab, "check_telegram_bot")
    assert tab.bot_check_result == f"Telegram accepts the token: the bot is @{BOT_USERNAME}."
    assert tab.bot_username == BOT_USERNAME and tab.bot_check_error == ""

    asyncio.run(tab.save_bot_token({"bot_token": REFUSED_TOKEN}))
    assert tab.bot_username == ""  # forgotten until checked
    run_background(tab, "check_telegram_bot")
    assert tab.bot_check_error == "Telegram refused the bot: Unauthorized" and tab.bot_check_result == ""
    assert VALID_TOKEN not in _shown(tab) and REFUSED_TOKEN not in _shown(tab)

    asyncio.run(tab.remove_bot_token())
    assert not tab.bot_token_set and tab.bot_message == "The token is removed; the bot stops."
    with session_scope() as session:
        assert telegram_token(session=session) is None


def test_a_plain_user_s_bot_events_are_refused_and_change_nothing(api, make_user, sign_in):
    tab = open_tab(TelegramBotState, sign_in(make_user().email))
    for event in (lambda: asyncio.run(tab.load_bot()),
                  lambda: asyncio.run(tab.save_bot_token({"bot_token": VALID_TOKEN})),
                  lambda: asyncio.run(tab.remove_bot_token()), lambda: run_background(tab, "check_telegram_bot")):
        reaction = str(event())
        assert "You do not have permission" in reaction
    with session_scope() as session:
        assert telegram_token(session=session) is None
    assert "getMe" not in api.calls


def test_a_user_links_telegram_from_settings_and_unlinks(api, make_user, sign_in, call):
    admin, user = make_user(role=Role.ADMIN), make_user()
    tab = open_tab(TelegramLinkState, sign_in(user.email))
    asyncio.run(tab.load_telegram())
    assert not tab.tg_available and tab.tg_reason == "No Telegram bot is set up yet."

    call(save_telegram_token, actor=admin, token=VALID_TOKEN)
    asyncio.run(tab.load_telegram())
    assert not tab.tg_available and "Check the bot" in tab.tg_reason
    run_background(open_tab(TelegramBotState, sign_in(admin.email)), "check_telegram_bot")
    asyncio.run(tab.load_telegram())
    assert tab.tg_available and not tab.tg_linked

    yielded: list[Any] = []
    linking = threading.Thread(target=lambda: yielded.extend(run_background(tab, "start_telegram_link")))
    linking.start()
    deadline = time.monotonic() + 10
    while tab.tg_link_url == "" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert tab.tg_link_url.startswith(f"https://t.me/{BOT_USERNAME}?start=")
    assert tab.tg_link_until.startswith("The link works once, until ")
    call(link_chat, code=tab.tg_link_url.rsplit("=", 1)[1], chat_id=4242, username="alice")
    linking.join(timeout=15)

    assert not linking.is_alive()
    assert tab.tg_linked and tab.tg_username == "alice" and tab.tg_link_url == ""
    assert tab.tg_message == "Telegram is linked (@alice)."
    [refresh] = yielded  # the Notifications section is told to offer Telegram now
    assert refresh.fn.__name__ == "load_delivery"

    assert asyncio.run(tab.unlink_telegram()).fn.__name__ == "load_delivery"
    assert not tab.tg_linked and tab.tg_message.startswith("Telegram is unlinked.")

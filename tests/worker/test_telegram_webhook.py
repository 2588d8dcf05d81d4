"""The Telegram bot in webhook mode (``ASSISTANT_TELEGRAM_WEBHOOK_URL``), in the real worker against the loopback Bot
API: the worker listens, registers its URL with a secret token, and handles what Telegram POSTs (a chat links
with its deep-link code); a POST without the secret is refused and changes nothing; getUpdates is never called."""

from __future__ import annotations

import re

import pytest
from support.smtp_server import free_port
from support.telegram_api import VALID_TOKEN, TelegramApiServer, post_update
from support.worker import leading_worker, wait_for, worker_environment

from assistant.core.db import session_scope
from assistant.core.i18n import translate
from assistant.models import TelegramLink
from assistant.models.user import Role
from assistant.services.channels.config import save_telegram_token
from assistant.services.channels.linking import start_link
from assistant.services.channels.telegram import check_bot, webhook_secret

CHAT = 7301


@pytest.fixture(scope="module")
def api():
    server = TelegramApiServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def webhook_url() -> str:
    return f"http://127.0.0.1:{free_port()}/telegram/webhook"


@pytest.fixture(scope="module")
def worker(database, tmp_path_factory, api, webhook_url):
    port = webhook_url.split(":")[2].split("/")[0]
    env = {"ASSISTANT_TELEGRAM_API_URL": api.url, "ASSISTANT_TELEGRAM_WEBHOOK_URL": webhook_url,
           "ASSISTANT_TELEGRAM_WEBHOOK_PORT": port}
    with leading_worker("telegram-webhook", tmp_path_factory.mktemp("telegram-webhook"),
                        worker_environment(database.url, database.data_dir) | env) as worker:
        yield worker


def test_updates_posted_to_the_webhook_with_its_secret_are_handled_and_others_refused(
        worker, api, webhook_url, configure, call, make_user):
    configure(telegram_api_url=api.url)
    admin = make_user(role=Role.ADMIN)
    call(save_telegram_token, actor=admin, token=VALID_TOKEN)
    call(check_bot, actor=admin)
    webhook = api.wait_webhook()
    assert webhook["url"] == webhook_url and webhook["secret_token"] == webhook_secret(VALID_TOKEN)
    wait_for(lambda: "receives updates by webhook" in worker.output(), 20, "the listener", [worker])

    user = make_user()
    code = re.search(r"start=([\w-]+)", call(start_link, user=user)).group(1)
    forged = {"update_id": 999, "message": {"message_id": 1, "date": 0, "chat": {"id": CHAT, "type": "private"},
                                            "from": {"id": CHAT, "is_bot": False, "first_name": "Mallory"},
                                            "text": f"/start {code}",
                                            "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}
    assert post_update(webhook_url, forged, None) == 401
    assert post_update(webhook_url, forged, "not-the-secret") == 401

    api.send_text(CHAT, f"/start {code}", username="pavel")  # Telegram POSTs it with the secret
    assert api.wait_messages(CHAT, 1)[0].text == translate("telegram.linked", "en")
    assert api.webhook_statuses == [200]
    with session_scope() as session:
        assert session.get_one(TelegramLink, user.id).chat_id == CHAT
    assert "getUpdates" not in api.calls and VALID_TOKEN not in worker.output()

"""A loopback HTTP server that answers like Telegram's Bot API, for tests of the bot (aiogram's custom API server
setting: ``ASSISTANT_TELEGRAM_API_URL=server.url``).

Built from the documented wire format (https://core.telegram.org/bots/api): requests are
``POST /bot<token>/<method>`` with form fields (JSON-encoded objects), answers ``{"ok": true, "result": ...}``
or ``{"ok": false, "error_code": ..., "description": ...}``. Methods: ``getMe``, ``getUpdates`` (long polling over
a queue the test fills), ``sendMessage``, ``editMessageText``, ``answerCallbackQuery``, ``deleteWebhook``,
``close``, ``logOut``, ``setMyCommands``, ``sendChatAction``, ``setWebhook``. Like Telegram:

* a token other than :attr:`TelegramApiServer.token` gets ``401 Unauthorized`` on every method;
* a text is parsed as HTML when ``parse_mode=HTML``: an unsupported or unbalanced tag gets ``400 Bad Request:
  can't parse entities: ...``; a text longer than 4,096 UTF-16 units after parsing gets ``400 Bad Request:
  message is too long``; a chat in :attr:`TelegramApiServer.blocked` gets ``403 Forbidden: bot was blocked by
  the user``; :meth:`TelegramApiServer.fail` scripts a failure (a 429 with ``retry_after``, a 500);
* while a webhook is set, ``getUpdates`` gets ``409 Conflict`` and the test's updates are POSTed to the webhook
  with the ``X-Telegram-Bot-Api-Secret-Token`` header instead of queued.

The test pushes updates with :meth:`~TelegramApiServer.send_text` (a user writes to the bot) and
:meth:`~TelegramApiServer.press` (a user presses an inline button) and reads what the bot sent:
:meth:`~TelegramApiServer.messages` (each :class:`SentMessage` with its text as last edited and its buttons),
:meth:`~TelegramApiServer.wait_messages`, :attr:`~TelegramApiServer.callback_answers`.
"""

from __future__ import annotations

import html.parser
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from support.llm_server import _QuietServer

#: A token shaped like BotFather's (``<bot id>:<35 characters>``) that the server accepts by default.
VALID_TOKEN = "123456789:AAHk-test-token-for-the-loopback-bot0"
BOT_ID = 123456789
BOT_USERNAME = "assistant_test_bot"
MESSAGE_LIMIT = 4096
_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote",
                 "tg-spoiler", "span", "tg-emoji"}


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after


@dataclass
class SentMessage:
    """A message the bot sent: ``text`` as last edited (the HTML the bot wrote), ``buttons``: the inline
    keyboard as rows of ``(text, callback_data)``; ``edits``: how many times it was edited."""

    message_id: int
    chat_id: int
    text: str
    parse_mode: str | None
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)
    edits: int = 0

    def payload(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "date": int(time.time()),
                "chat": {"id": self.chat_id, "type": "private"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Assistant", "username": BOT_USERNAME},
                "text": self.text}


class _TextLength(html.parser.HTMLParser):
    """Checks a message's HTML as Telegram does and measures its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            raise ApiError(400, f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"')
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            raise ApiError(400, f'Bad Request: can\'t parse entities: Unmatched end tag "{tag}"')
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _check_text(text: str, parse_mode: str | None) -> None:
    plain = text
    if (parse_mode or "").upper() == "HTML":
        parser = _TextLength()
        parser.feed(text)
        parser.close()
        if parser.open:
            raise ApiError(400, f'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start '
                                f'tag "{parser.open[-1]}"')
        plain = "".join(parser.text)
    if not plain.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if len(plain.encode("utf-16-le")) // 2 > MESSAGE_LIMIT:
        raise ApiError(400, "Bad Request: message is too long")


def _buttons(markup: Any) -> list[list[tuple[str, str]]]:
    if isinstance(markup, str):
        markup = json.loads(markup)
    rows = (markup or {}).get("inline_keyboard", [])
    return [[(button["text"], button.get("callback_data", "")) for button in row] for row in rows]


class TelegramApiServer:
    """The Bot API on 127.0.0.1 (a free port) in a background thread (module docstring)."""

    def __init__(self, token: str = VALID_TOKEN) -> None:
        self.token = token
        self.blocked: set[int] = set()
        self.callback_answers: list[dict[str, Any]] = []
        self.calls: list[str] = []
        self._messages: dict[int, SentMessage] = {}
        self._updates: list[dict[str, Any]] = []
        self._failures: dict[str, list[ApiError]] = {}
        #: The webhook the bot registered (``{"url", "secret_token"}``), None while it polls.
        self.webhook: dict[str, Any] | None = None
        #: The HTTP status of each update POSTed to the webhook.
        self.webhook_statuses: list[int] = []
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._changed = threading.Condition()
        self._closing = False
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="loopback-telegram", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the value of ``ASSISTANT_TELEGRAM_API_URL``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # --- what the test does ---------------------------------------------------------------------------

    def _user(self, chat_id: int, username: str) -> dict[str, Any]:
        return {"id": chat_id, "is_bot": False, "first_name": username or "User", "username": username,
                "language_code": "en"}

    def _push(self, update: dict[str, Any]) -> None:
        """Queue ``update`` for ``getUpdates``; or, while a webhook is set, POST it there as Telegram does (with
        the secret token header) and record the status."""
        with self._changed:
            update["update_id"] = next(self._update_ids)
            webhook = self.webhook
            if webhook is None:
                self._updates.append(update)
                self._changed.notify_all()
                return
        status = post_update(webhook["url"], update, webhook.get("secret_token"))
        with self._changed:
            self.webhook_statuses.append(status)
            self._changed.notify_all()

    def send_text(self, chat_id: int, text: str, *, username: str = "alice") -> int:
        """A user (private chat ``chat_id``) writes ``text`` to the bot; returns the message's id."""
        message_id = next(self._ids)
        message: dict[str, Any] = {"message_id": message_id, "date": int(time.time()),
                                   "chat": {"id": chat_id, "type": "private", "username": username},
                                   "from": self._user(chat_id, username), "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        self._push({"message": message})
        return message_id

    def press(self, chat_id: int, message_id: int, data: str, *, username: str = "alice") -> str:
        """The user of chat ``chat_id`` presses a button with ``data`` under the bot's message ``message_id``;
        returns the callback query's id (see :meth:`wait_answer`)."""
        sent = self._messages.get(message_id)
        message = sent.payload() if sent is not None else SentMessage(message_id, chat_id, "?", None).payload()
        message["chat"]["id"] = chat_id
        query_id = f"cb{next(self._ids)}"
        self._push({"callback_query": {"id": query_id, "from": self._user(chat_id, username), "message": message,
                                       "chat_instance": f"ci{chat_id}", "data": data}})
        return query_id

    def reset(self) -> None:
        """Forget what the bot sent and the calls, answers, blocked chats and failures (not the updates)."""
        with self._changed:
            self._messages.clear()
            self.callback_answers.clear()
            self.calls.clear()
            self.blocked.clear()
            self._failures.clear()

    def fail(self, method: str, status: int, description: str, *, times: int = 1,
             retry_after: int | None = None) -> None:
        """The next ``times`` calls of ``method`` fail with ``status`` and ``description``."""
        with self._changed:
            self._failures.setdefault(method, []).extend(
                [ApiError(status, description, retry_after) for _ in range(times)])

    def messages(self, chat_id: int) -> list[SentMessage]:
        """What the bot sent to ``chat_id``, in order, each as last edited."""
        with self._changed:
            return [m for m in self._messages.values() if m.chat_id == chat_id]

    def wait_messages(self, chat_id: int, count: int, timeout: float = 30.0) -> list[SentMessage]:
        """The messages to ``chat_id`` once there are at least ``count``; AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(sent := [m for m in self._messages.values() if m.chat_id == chat_id]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} message(s) to chat {chat_id} within {timeout}s, got "
                                         f"{[m.text for m in sent]}")
                self._changed.wait(left)
            return sent

    def wait_answer(self, query_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """The bot's ``answerCallbackQuery`` for ``query_id`` (its fields: ``text``, ``show_alert``)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (found := [a for a in self.callback_answers if a.get("callback_query_id") == query_id]):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no answer to callback {query_id} within {timeout}s")
                self._changed.wait(left)
            return found[0]

    def polled(self, timeout: float = 30.0) -> None:
        """Wait until the bot has called ``getUpdates`` (it is polling)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while "getUpdates" not in self.calls:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the bot did not poll within {timeout}s")
                self._changed.wait(left)

    # --- the API --------------------------------------------------------------------------------------

    def _call(self, token: str, method: str, params: dict[str, Any]) -> Any:
        with self._changed:
            self.calls.append(method)
            self._changed.notify_all()
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            failures = self._failures.get(method)
            if failures:
                raise failures.pop(0)
        if method == "getUpdates":
            return self._get_updates(params)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            raise ApiError(404, "Not Found")
        with self._changed:
            result = handler(params)
            self._changed.notify_all()
            return result

    def wait_webhook(self, timeout: float = 30.0) -> dict[str, Any]:
        """The webhook once the bot has set one (``{"url", "secret_token", ...}``)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.webhook is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the bot set no webhook within {timeout}s")
                self._changed.wait(left)
            return dict(self.webhook)

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
                                "to delete the webhook first")
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 10.0)
        with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._closing and (left := deadline - time.monotonic()) > 0:
                self._changed.wait(left)
            return list(self._updates[: int(params.get("limit") or 100)])

    def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802 - Telegram's names
        return {"id": BOT_ID, "is_bot": True, "first_name": "Assistant", "username": BOT_USERNAME,
                "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        _check_text(str(params.get("text", "")), params.get("parse_mode"))
        sent = SentMessage(next(self._ids), chat_id, str(params["text"]), params.get("parse_mode"),
                           _buttons(params.get("reply_markup")))
        self._messages[sent.message_id] = sent
        return sent.payload()

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        sent = self._messages.get(int(params.get("message_id") or 0))
        if sent is None or sent.chat_id != int(params.get("chat_id") or 0):
            raise ApiError(400, "Bad Request: message to edit not found")
        _check_text(str(params.get("text", "")), params.get("parse_mode"))
        sent.text, sent.parse_mode = str(params["text"]), params.get("parse_mode")
        sent.buttons, sent.edits = _buttons(params.get("reply_markup")), sent.edits + 1
        return sent.payload()

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:  # noqa: N802
        self.callback_answers.append(dict(params))
        return True

    def _api_setWebhook(self, params: dict[str, Any]) -> bool:  # noqa: N802
        self.webhook = dict(params)
        return True

    def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:  # noqa: N802
        self.webhook = None
        return True

    def _api_close(self, params: dict[str, Any]) -> bool:
        return True

    def _api_logOut(self, params: dict[str, Any]) -> bool:  # noqa: N802
        return True

    def _api_sendChatAction(self, params: dict[str, Any]) -> bool:  # noqa: N802
        return True

    def _api_setMyCommands(self, params: dict[str, Any]) -> bool:  # noqa: N802
        return True


def post_update(url: str, update: dict[str, Any], secret_token: str | None) -> int:
    """POST ``update`` as JSON to a webhook ``url`` the way Telegram does; returns the HTTP status."""
    headers = {"Content-Type": "application/json"}
    if secret_token is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
    request = urllib.request.Request(url, data=json.dumps(update).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _form(content_type: str, body: bytes) -> dict[str, Any]:
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        return {part.get_param("name", header="content-disposition"): part.get_content()
                for part in message.iter_parts()}
    if content_type.startswith("application/json"):
        return dict(json.loads(body or b"{}"))
    return {key: values[-1] for key, values in parse_qs(body.decode()).items()}


def _handler_for(server: TelegramApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            pass

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = self.path.split("?", 1)[0].strip("/")
            token, _, method = path.partition("/")
            try:
                params = _form(self.headers.get("Content-Type", ""), body)
                result = server._call(token.removeprefix("bot"), method, params)
                status, reply = 200, {"ok": True, "result": result}
            except ApiError as exc:
                status, reply = exc.status, {"ok": False, "error_code": exc.status, "description": exc.description}
                if exc.retry_after is not None:
                    reply["parameters"] = {"retry_after": exc.retry_after}
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST  # noqa: N815 - the stdlib's name

    return Handler


@contextmanager
def telegram_api(token: str = VALID_TOKEN) -> Iterator[TelegramApiServer]:
    """A running :class:`TelegramApiServer` accepting ``token``, closed on leaving."""
    server = TelegramApiServer(token)
    try:
        yield server
    finally:
        server.close()

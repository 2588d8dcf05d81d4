"""The Telegram channel: the bot (aiogram 3) that sends a notification with its buttons, checks the token, and
turns the assistant's Markdown into what Telegram renders.

* :func:`make_bot` builds a :class:`aiogram.Bot` on ``ASSISTANT_TELEGRAM_API_URL`` (Telegram's servers, a
  self-hosted ``telegram-bot-api``, or a loopback server in tests) with ``ASSISTANT_CHANNEL_TIMEOUT_SECONDS``
  per request and HTML as the parse mode.
* :func:`deliver` sends one ``telegram`` notification row to the user's linked chat: the title in bold, the
  body, the time in the user's zone and language, and for a reminder the buttons Taken (a medication) or
  Done, and Snooze 10 min / 1 h, whose callback data name the notification (:func:`callback_data`,
  :func:`parse_callback`); the worker's bot (:mod:`assistant.worker.telegram`) answers them.
* :func:`format_markdown` converts Markdown (markdown-it-py, raw HTML off) to Telegram's HTML subset
  (``b i u s a code pre blockquote``; nh3 keeps only those) and splits it into messages of at most
  :data:`MESSAGE_LIMIT` UTF-16 units, between blocks where it can, never inside a tag: a tag open at a split
  is closed at the end of one part and opened again at the start of the next.

The token never leaves this module in a reason or a log line: reasons are Telegram's descriptions with the
token masked (:func:`_masked`).
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import re
import uuid
from collections.abc import Coroutine
from typing import Any, TypeVar

import nh3
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from markdown_it import MarkdownIt
from markdown_it.token import Token
from sqlmodel import Session, select

from assistant.core.config import Settings, get_settings
from assistant.core.errors import InvalidInput
from assistant.core.i18n import format_datetime, translate
from assistant.models import Notification, Reminder, TelegramLink, User
from assistant.models.reminder import ReminderKind
from assistant.models.user import Role
from assistant.services.auth.permissions import require_role
from assistant.services.channels import DeliveryError
from assistant.services.channels.config import TelegramView, set_bot_username, telegram_token, telegram_view
from assistant.services.notifications.inbox import is_about_reminder

T = TypeVar("T")

#: Telegram's longest message text, in UTF-16 code units.
MESSAGE_LIMIT = 4096
#: The Snooze buttons' lengths, minutes.
SNOOZE_BUTTONS = (10, 60)
#: Callback data: ``ack:<notification id>`` (Taken/Done), ``snz:<minutes>:<notification id>`` (Snooze).
_CALLBACK = re.compile(r"^(ack|snz:(\d{1,4})):([0-9a-f-]{36})$")
_TAGS = {"b", "i", "u", "s", "a", "code", "pre", "blockquote"}
_TAG = re.compile(r"<(/?)([a-z]+)[^>]*>")
_EMPTY = re.compile(r"<([a-z]+)[^>]*>\s*</\1>")
_PIECE = re.compile(r"<[^>]+>|&#?\w+;|\s+|[^<&\s]+|[<&]")
_SCHEMES = {"http", "https", "mailto", "tg"}
_INLINE = {"strong_open": "<b>", "strong_close": "</b>", "em_open": "<i>", "em_close": "</i>",
           "s_open": "<s>", "s_close": "</s>"}


def make_bot(token: str, settings: Settings | None = None) -> Bot:
    """A bot for ``token`` talking to ``settings.telegram_api_url``, HTML messages, each request bounded by
    ``settings.channel_timeout_seconds`` (long polling adds its own wait). Close it (``async with``)."""
    settings = settings or get_settings()
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url),
                             timeout=settings.channel_timeout_seconds)
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def _run(work: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(work)


def _masked(text: str, token: str) -> str:
    return text.replace(token, "<token>") if token else text


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# --- Markdown to Telegram HTML ---------------------------------------------------------------------------

def _inline(children: list[Token]) -> str:
    out: list[str] = []
    links: list[bool] = []
    for token in children:
        if token.type in _INLINE:
            out.append(_INLINE[token.type])
        elif token.type == "code_inline":
            out.append(f"<code>{html.escape(token.content, quote=False)}</code>")
        elif token.type == "link_open":
            href = str(token.attrGet("href") or "")
            safe = href.split(":", 1)[0].lower() in _SCHEMES and ":" in href
            links.append(safe)
            if safe:
                out.append(f'<a href="{html.escape(href)}">')
        elif token.type == "link_close":
            if links.pop():
                out.append("</a>")
        elif token.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif token.type == "image":
            out.append(html.escape(token.content, quote=False))
        else:
            out.append(html.escape(token.content, quote=False))
    return "".join(out)


def _blocks(markdown: str) -> list[str]:
    """The top-level blocks of ``markdown`` as Telegram HTML (paragraphs, headings in bold, lists with
    bullets or numbers, block quotes, code blocks)."""
    tokens = MarkdownIt("commonmark", {"html": False}).enable("strikethrough").parse(markdown)
    stack: list[tuple[str, list[str], str]] = [("root", [], "")]
    counters: list[int] = []
    for token in tokens:
        kind = token.type
        parent = stack[-1][1]
        if kind == "inline":
            parent.append(_inline(token.children or []))
        elif kind == "heading_open":
            stack.append(("heading", [], ""))
        elif kind in ("fence", "code_block"):
            code = html.escape(token.content.rstrip("\n"), quote=False)
            language = re.sub(r"[^\w+#-]", "", token.info.split()[0]) if token.info.strip() else ""
            parent.append(f'<pre><code class="language-{language}">{code}</code></pre>' if language
                          else f"<pre>{code}</pre>")
        elif kind == "hr":
            parent.append("———")
        elif kind in ("bullet_list_open", "ordered_list_open"):
            counters.append(int(token.attrGet("start") or 1) if kind == "ordered_list_open" else 0)
            stack.append(("list", [], ""))
        elif kind == "list_item_open":
            number = counters[-1]
            marker = f"{number}. " if number else "• "
            if number:
                counters[-1] += 1
            stack.append(("item", [], marker))
        elif kind == "blockquote_open":
            stack.append(("quote", [], ""))
        elif kind in ("heading_close", "bullet_list_close", "ordered_list_close", "list_item_close",
                      "blockquote_close"):
            name, inner, marker = stack.pop()
            if name == "heading":
                text = f"<b>{''.join(inner)}</b>"
            elif name == "list":
                counters.pop()
                text = "\n".join(inner)
            elif name == "item":
                text = marker + "\n".join(inner).replace("\n", "\n   ")
            elif any(level[0] == "quote" for level in stack):
                text = "\n".join(inner)
            else:
                text = f"<blockquote>{chr(10).join(inner)}</blockquote>"
            stack[-1][1].append(text)
    return [_clean(block) for block in stack[0][1] if block.strip()]


def _clean(fragment: str) -> str:
    cleaned = nh3.clean(fragment, tags=_TAGS, attributes={"a": {"href"}, "code": {"class"}},
                        url_schemes=_SCHEMES, link_rel=None)
    return cleaned.replace("&nbsp;", "&#160;")


def _split(block: str, limit: int) -> list[str]:
    """Cut one block longer than ``limit`` at whitespace (inside a long word if it must, never inside a tag
    or an entity), closing the open tags at the end of a part and opening them again in the next."""
    parts: list[str] = []
    current = ""
    opened: list[tuple[str, str]] = []
    for piece in _PIECE.findall(block):
        closing = "".join(f"</{name}>" for name, _ in reversed(opened))
        reopening = "".join(tag for _, tag in opened)
        if _utf16(current + piece + closing) > limit and current != reopening:
            parts.append(current + closing)
            current = reopening
            if piece.isspace():
                continue
        while _utf16(current + piece + closing) > limit and not piece.startswith("<"):
            room = max(1, limit - _utf16(current + closing))
            head = piece[:room]
            while _utf16(head) > room and len(head) > 1:
                head = head[:-1]
            piece = piece[len(head):]
            parts.append(current + head + closing)
            current = reopening
        tag = _TAG.fullmatch(piece)
        if tag and tag.group(1):
            if opened and opened[-1][0] == tag.group(2):
                opened.pop()
        elif tag:
            opened.append((tag.group(2), piece))
        current += piece
    parts.append(current)
    return [part for part in map(_without_empty_tags, parts) if part.strip()]


def _without_empty_tags(part: str) -> str:
    while (shorter := _EMPTY.sub("", part)) != part:
        part = shorter
    return part


def _pack(blocks: list[str], limit: int = MESSAGE_LIMIT, joiner: str = "\n\n") -> list[str]:
    """Blocks (each with balanced tags) joined by ``joiner`` into as few messages of at most ``limit`` UTF-16
    units as fit."""
    parts: list[str] = []
    current = ""
    for block in blocks:
        joined = f"{current}{joiner}{block}" if current else block
        if _utf16(joined) <= limit:
            current = joined
            continue
        if current:
            parts.append(current)
        pieces = _split(block, limit) if _utf16(block) > limit else [block]
        parts.extend(pieces[:-1])
        current = pieces[-1] if pieces else ""
    if current:
        parts.append(current)
    return parts


def _balanced(line: str) -> bool:
    opened: list[str] = []
    for closing, name in _TAG.findall(line):
        if not closing:
            opened.append(name)
        elif not opened or opened.pop() != name:
            return False
    return not opened


def split_html(text: str) -> list[str]:
    """Telegram HTML (balanced tags) in parts of at most :data:`MESSAGE_LIMIT` UTF-16 units: between lines when
    every line closes its own tags, else at whitespace with a tag open at a cut closed and opened again.
    ``[text]`` when it fits."""
    if _utf16(text) <= MESSAGE_LIMIT:
        return [text]
    lines = text.split("\n")
    return _pack(lines, joiner="\n") if all(map(_balanced, lines)) else _split(text, MESSAGE_LIMIT)


def format_markdown(text: str) -> list[str]:
    """``text`` (Markdown, as the model writes it) as Telegram HTML messages: a list of parts, each at most
    :data:`MESSAGE_LIMIT` UTF-16 units with every tag it opens closed; ``[]`` for blank text. Raw HTML in
    the text is shown as text; links keep only http(s), mailto and tg addresses."""
    return _pack(_blocks(text))


# --- Sending notifications ---------------------------------------------------------------------------------

def callback_data(action: str, notification_id: uuid.UUID, minutes: int = 0) -> str:
    """The data of a button: ``action`` ``"ack"`` (Taken/Done) or ``"snz"`` (Snooze ``minutes``)."""
    return f"ack:{notification_id}" if action == "ack" else f"snz:{minutes}:{notification_id}"


def parse_callback(data: str) -> tuple[str, int, uuid.UUID] | None:
    """``(action, minutes, notification id)`` from a button's data (:func:`callback_data`), None when it is
    not one of ours."""
    match = _CALLBACK.fullmatch(data or "")
    if match is None:
        return None
    try:
        notification_id = uuid.UUID(match.group(3))
    except ValueError:
        return None
    return ("ack", 0, notification_id) if match.group(1) == "ack" else ("snz", int(match.group(2)), notification_id)


def keyboard(notification_id: uuid.UUID, *, medication: bool, language: str) -> InlineKeyboardMarkup:
    """The buttons under a reminder: Taken (``medication``) or Done, then Snooze 10 min and 1 h."""
    done = translate("notifications.taken" if medication else "notifications.done", language)
    snoozes = [InlineKeyboardButton(text=translate(f"telegram.snooze_{minutes}", language),
                                    callback_data=callback_data("snz", notification_id, minutes))
               for minutes in SNOOZE_BUTTONS]
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=done, callback_data=callback_data("ack", notification_id))], snoozes])


def notification_messages(notification: Notification, user: User) -> list[str]:
    """The notification as HTML messages: the title in bold, the body (Markdown), the time it is about in the
    user's zone and language, in italics."""
    when = notification.occurrence_at or notification.scheduled_at or notification.created_at
    blocks = [f"<b>{html.escape(notification.title, quote=False)}</b>", *_blocks(notification.body),
              f"<i>{html.escape(format_datetime(when, user.language, user.timezone), quote=False)}</i>"]
    return _pack(blocks)


def _failure(exc: Exception, token: str) -> DeliveryError:
    if isinstance(exc, TelegramRetryAfter):
        return DeliveryError(f"Too Many Requests: retry after {exc.retry_after}", retryable=True)
    if isinstance(exc, TelegramAPIError):
        retryable = isinstance(exc, TelegramNetworkError | TelegramServerError)
        return DeliveryError(_masked(exc.message, token), retryable=retryable)
    return DeliveryError(_masked(f"{type(exc).__name__}: {exc}", token), retryable=True)


async def _send(token: str, chat_id: int, parts: list[str], markup: InlineKeyboardMarkup | None) -> int:
    async with make_bot(token) as bot:
        message_id = 0
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            sent = await bot.send_message(chat_id, part, reply_markup=markup if last else None,
                                          disable_web_page_preview=True)
            message_id = sent.message_id
        return message_id


def deliver(*, session: Session, notification: Notification, user: User) -> str:
    """Send the ``telegram`` row ``notification`` of ``user`` to the chat linked to the account (sync; it runs
    its own event loop, so call it from a worker thread). A long body goes as several messages; the buttons
    (for a reminder) are under the last. Returns ``"message <id>"`` (the last message's id).

    Raises:
        DeliveryError: not retryable when the row is not ``user``'s, no bot token is set, no chat is linked,
            or Telegram refuses the
            message (400, 401, 403 such as "Forbidden: bot was blocked by the user"); retryable on network
            errors, timeouts, 429 and 5xx. ``reason`` is Telegram's description (never the token).
    """
    if notification.user_id != user.id:
        raise DeliveryError("the notification is not this user's", retryable=False)
    token = telegram_token(session=session)
    if token is None:
        raise DeliveryError("no Telegram bot is configured", retryable=False)
    chat_id = session.exec(select(TelegramLink.chat_id).where(TelegramLink.user_id == user.id)).first()
    if chat_id is None:
        raise DeliveryError("no Telegram chat is linked to the account", retryable=False)
    markup = None
    if is_about_reminder(notification):
        kind = session.exec(select(Reminder.kind).where(Reminder.id == notification.reminder_id)).first()
        markup = keyboard(notification.id, medication=kind == ReminderKind.MEDICATION.value, language=user.language)
    parts = notification_messages(notification, user)
    try:
        message_id = _run(_send(token, chat_id, parts, markup))
    except Exception as exc:
        raise _failure(exc, token) from None
    return f"message {message_id}"


async def _me(token: str) -> str:
    async with make_bot(token) as bot:
        me = await bot.get_me()
        return me.username or ""


def check_bot(*, session: Session, actor: User) -> TelegramView:
    """Ask Telegram who the stored token's bot is (``getMe``) and remember its username (for deep links).
    Returns the view with ``bot_username`` set.

    Raises:
        Forbidden: the actor is not an admin.
        InvalidInput: ``telegram.no_token`` (none stored); ``telegram.bot_check_failed`` with ``reason``:
            Telegram's exact description (such as "Unauthorized") or the network error; nothing changes.
    """
    require_role(actor, Role.ADMIN)
    token = telegram_token(session=session)
    if token is None:
        raise InvalidInput("telegram.no_token")
    try:
        username = _run(_me(token))
    except Exception as exc:
        raise InvalidInput("telegram.bot_check_failed", reason=_failure(exc, token).reason) from None
    set_bot_username(session=session, username=username)
    return telegram_view(session=session, actor=actor)


def webhook_secret(token: str) -> str:
    """The ``secret_token`` of the bot's webhook: Telegram sends it back in the
    ``X-Telegram-Bot-Api-Secret-Token`` header of every update, and updates without it are refused. Derived from
    the bot token (SHA-256, 64 hex characters, within Telegram's ``[A-Za-z0-9_-]{1,256}``), so it changes with
    the token and nobody without the token can forge an update."""
    return hashlib.sha256(f"webhook:{token}".encode()).hexdigest()

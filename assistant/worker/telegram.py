"""The leader's Telegram bot: aiogram in the service's own thread and event loop, by long polling or, with
``ASSISTANT_TELEGRAM_WEBHOOK_URL`` set, by webhook.

* **Long polling** (the default): ``getUpdates`` over outgoing HTTPS; any webhook left set is deleted first
  (Telegram refuses ``getUpdates`` while one is set). Nothing has to reach the server from outside.
* **Webhook**: the service listens on ``ASSISTANT_TELEGRAM_WEBHOOK_PORT`` (all interfaces; the reverse proxy
  forwards the webhook URL's path there), registers the URL with ``setWebhook`` and a secret token
  (:func:`~assistant.services.channels.telegram.webhook_secret`), and answers each POSTed update at once,
  handling it in the background; a request without the secret is refused (401). Updates that arrive while the
  worker is down wait at Telegram.

* The token is read from the database every :data:`TOKEN_CHECK_SECONDS`; when an admin sets, replaces or
  removes it, polling stops and starts again with the new one (or stays stopped), without a restart. A token
  Telegram refuses is logged (Telegram's reason, never the token) and tried again after
  :data:`RETRY_SECONDS` or as soon as it changes. Setting ``stop`` ends the service within
  :data:`TOKEN_CHECK_SECONDS`.
* The bot answers private chats only, and only linked ones (:mod:`assistant.services.channels.linking`):
  ``/start <code>`` links the chat; ``/today``, ``/tasks``, ``/reminders`` list what is due
  (:mod:`assistant.services.channels.agenda`); the buttons under a delivered reminder answer it as the in-app
  ones do (:func:`assistant.services.notifications.inbox.acknowledge`, ``snooze``), then the message shows the
  outcome; any other text is a turn in the user's "Telegram" chat (made once, kept in
  ``telegram_links.assistant_chat_id``) with their memory, documents and tools, answered in parts
  (:func:`assistant.services.channels.telegram.format_markdown`). Any other chat gets "link your account in
  Settings".
* Each update is handled in its own task (a long answer does not hold up a button press).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, ErrorEvent, Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from sqlmodel import Session, select

from assistant.core.config import get_settings
from assistant.core.db import in_session, session_scope
from assistant.core.errors import AppError, ConfigurationError
from assistant.core.i18n import LANGUAGES, format_time, translate
from assistant.models import Chat, Reminder, TelegramLink, User
from assistant.models.base import utcnow
from assistant.models.reminder import ReminderKind
from assistant.services.channels.agenda import reminders_text, tasks_text, today_text
from assistant.services.channels.config import telegram_token
from assistant.services.channels.linking import link_chat, user_for_chat
from assistant.services.channels.telegram import (
    MESSAGE_LIMIT,
    format_markdown,
    make_bot,
    notification_messages,
    parse_callback,
    split_html,
    webhook_secret,
)
from assistant.services.chat.chats import create_chat
from assistant.services.chat.turn_events import AnswerDelta, TurnFinished
from assistant.services.chat.turns import run_turn
from assistant.services.notifications import inbox

log = logging.getLogger(__name__)

#: Seconds between two reads of the token (and checks of ``stop``).
TOKEN_CHECK_SECONDS = 3.0
#: Seconds before polling is tried again after Telegram refused the token or polling failed.
RETRY_SECONDS = 30.0
#: The long-polling wait of one ``getUpdates``, seconds.
POLL_SECONDS = 10


def run_telegram(stop: threading.Event) -> None:
    """Poll Telegram for the stored bot until ``stop`` is set (module docstring)."""
    asyncio.run(_supervise(stop))


def _token() -> str | None:
    with session_scope() as session:
        return telegram_token(session=session)


async def _current_token(last_error: list[str]) -> str | None:
    try:
        return await asyncio.to_thread(_token)
    except ConfigurationError as exc:
        if str(exc) not in last_error:
            log.warning("telegram bot: the stored token cannot be read: %s", exc)
            last_error[:] = [str(exc)]
        return None


async def _supervise(stop: threading.Event) -> None:
    token: str | None = None
    polling: asyncio.Task[None] | None = None
    bot: Bot | None = None
    retry_at = 0.0
    errors: list[str] = []
    try:
        while not stop.is_set():
            current = await _current_token(errors)
            if current != token or (polling is not None and polling.done() and time.monotonic() >= retry_at):
                if polling is not None and polling.done() and current == token:
                    log.info("telegram bot: polling again")
                elif current != token:
                    log.info("telegram bot: token %s", "removed" if current is None else "set, starting")
                await _halt(polling, bot)
                polling, bot, token = None, None, current
                if token is not None:
                    bot = make_bot(token)
                    polling = asyncio.create_task(_poll(bot, token))
                    retry_at = time.monotonic() + RETRY_SECONDS
            await asyncio.to_thread(stop.wait, TOKEN_CHECK_SECONDS)
    finally:
        await _halt(polling, bot)
        log.info("telegram bot stopped")


async def _halt(polling: asyncio.Task[None] | None, bot: Bot | None) -> None:
    if polling is not None:
        polling.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await polling
    if bot is not None:
        await bot.session.close()


async def _poll(bot: Bot, token: str) -> None:
    try:
        me = await bot.get_me()
    except Exception as exc:
        log.warning("telegram bot: Telegram refused the bot (%s); trying again in %.0f s",
                    _reason(exc, token), RETRY_SECONDS)
        return
    webhook_url = get_settings().telegram_webhook_url
    try:
        if webhook_url:
            await _serve_webhook(bot, token, webhook_url, str(me.username))
            return
        await bot.delete_webhook()
        log.info("telegram bot @%s is polling", me.username)
        await _dispatcher(token).start_polling(bot, polling_timeout=POLL_SECONDS, handle_signals=False,
                                               close_bot_session=False)
    except Exception as exc:
        log.warning("telegram bot: %s failed (%s); trying again in %.0f s", "the webhook" if webhook_url else "polling",
                    _reason(exc, token), RETRY_SECONDS)


async def _serve_webhook(bot: Bot, token: str, url: str, username: str) -> None:
    """Listen for Telegram's POSTs on the webhook port, register ``url`` with Telegram, and serve until cancelled
    (the listener is closed then; the webhook stays registered, so updates wait at Telegram)."""
    secret = webhook_secret(token)
    dispatcher = _dispatcher(token)
    app = web.Application()
    SimpleRequestHandler(dispatcher=dispatcher, bot=bot, secret_token=secret).register(
        app, path=urlsplit(url).path or "/")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        port = get_settings().telegram_webhook_port
        await web.TCPSite(runner, "0.0.0.0", port).start()  # noqa: S104 - the proxy in front reaches it
        await bot.set_webhook(url, secret_token=secret, allowed_updates=dispatcher.resolve_used_update_types())
        log.info("telegram bot @%s receives updates by webhook on port %d", username, port)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def _reason(exc: BaseException, token: str) -> str:
    text = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
    return str(text).replace(token, "<token>")


def _dispatcher(token: str) -> Dispatcher:
    router = Router(name="assistant")
    router.message.filter(F.chat.type == "private")
    router.message.register(_on_start, CommandStart())
    router.message.register(_on_list, Command("today", "tasks", "reminders"))
    router.message.register(_on_text, F.text)
    router.callback_query.register(_on_button)
    dispatcher = Dispatcher()
    dispatcher.include_router(router)

    async def _on_error(event: ErrorEvent) -> bool:
        log.warning("telegram bot: an update failed: %s", _reason(event.exception, token))
        return True

    dispatcher.errors.register(_on_error)
    return dispatcher


def _language(message_language: str | None) -> str:
    code = (message_language or "").split("-")[0]
    return code if code in LANGUAGES else "en"


def _linked(chat_id: int) -> tuple[User, TelegramLink] | None:
    with session_scope() as session:
        found = user_for_chat(session=session, chat_id=chat_id)
        if found is not None:
            session.expunge_all()
        return found


async def _reply(message: Message, text: str) -> None:
    await message.answer(text, disable_web_page_preview=True)


async def _not_linked(message: Message) -> None:
    language = _language(message.from_user.language_code if message.from_user else None)
    await _reply(message, html.escape(translate("telegram.link_first", language), quote=False))


async def _on_start(message: Message, command: CommandObject) -> None:
    language = _language(message.from_user.language_code if message.from_user else None)
    if not command.args:
        found = await asyncio.to_thread(_linked, message.chat.id)
        if found is None:
            await _not_linked(message)
        else:
            await _reply(message, html.escape(translate("telegram.welcome", found[0].language), quote=False))
        return
    username = message.chat.username or (message.from_user.username if message.from_user else "") or ""
    code = command.args.strip()
    try:
        user = await in_session(lambda session: link_chat(session=session, code=code, chat_id=message.chat.id,
                                                          username=username))
    except AppError as exc:
        await _reply(message, html.escape(translate(exc.code, language, **exc.params), quote=False))
        return
    log.info("telegram chat linked to user %s", user.id)
    await _reply(message, html.escape(translate("telegram.linked", user.language), quote=False))


async def _on_list(message: Message, command: CommandObject) -> None:
    found = await asyncio.to_thread(_linked, message.chat.id)
    if found is None:
        await _not_linked(message)
        return
    user = found[0]
    lists = {"today": today_text, "tasks": tasks_text, "reminders": reminders_text}
    text = await in_session(lambda session: lists[command.command](session=session, user=user))
    for part in split_html(text):
        await _reply(message, part)


def _assistant_chat(session: Session, user_id: uuid.UUID) -> uuid.UUID:
    """The user's "Telegram" chat, made on the first message (and again if the user deleted it)."""
    link = session.exec(select(TelegramLink).where(TelegramLink.user_id == user_id).with_for_update()).one()
    user = session.get(User, user_id)
    assert user is not None
    existing = session.get(Chat, link.assistant_chat_id) if link.assistant_chat_id else None
    if existing is not None and existing.user_id == user_id:
        return existing.id
    chat = create_chat(session=session, user=user, title=translate("telegram.chat_title", user.language))
    link.assistant_chat_id = chat.id
    session.add(link)
    return chat.id


async def _on_text(message: Message) -> None:
    found = await asyncio.to_thread(_linked, message.chat.id)
    if found is None:
        await _not_linked(message)
        return
    user = found[0]
    text = message.text or ""
    answer: list[str] = []
    failure: tuple[str, dict[str, Any]] | None = None
    if message.bot is not None:
        with contextlib.suppress(Exception):
            await message.bot.send_chat_action(message.chat.id, "typing")
    try:
        chat_id = await in_session(lambda session: _assistant_chat(session, user.id))
        async with contextlib.aclosing(run_turn(user_id=user.id, chat_id=chat_id, text=text)) as turn:
            async for event in turn:
                if isinstance(event, AnswerDelta):
                    answer.append(event.text)
                elif isinstance(event, TurnFinished) and event.status == "error":
                    failure = (event.error_code or "errors.generic", {})
    except AppError as exc:
        failure = (exc.code, exc.params)
    parts = format_markdown("".join(answer))
    if failure is not None:
        parts.append(html.escape(translate(failure[0], user.language, **failure[1]), quote=False))
    for part in parts:
        await _reply(message, part)


def _answer_button(session: Session, user: User, action: str, minutes: int, notification_id: uuid.UUID) -> str:
    """Apply the button as ``user``; returns the outcome line (raises NotFound/InvalidInput as the inbox does)."""
    if action == "ack":
        row = inbox.acknowledge(session=session, user=user, notification_id=notification_id)
        kind = session.exec(select(Reminder.kind).where(Reminder.id == row.reminder_id)).first()
        key = "telegram.taken_at" if kind == ReminderKind.MEDICATION.value else "telegram.done_at"
        at = row.acknowledged_at or utcnow()
    else:
        row = inbox.snooze(session=session, user=user, notification_id=notification_id, minutes=minutes)
        key, at = "telegram.snoozed_until", row.scheduled_at or utcnow()
    return translate(key, user.language, time=format_time(at, user.language, user.timezone))


def _edited_text(session: Session, user: User, notification_id: uuid.UUID, outcome: str) -> str:
    row = inbox.get_notification(session=session, user=user, notification_id=notification_id)
    text = f"{notification_messages(row, user)[-1]}\n\n<i>{html.escape(outcome, quote=False)}</i>"
    return text if len(text.encode("utf-16-le")) // 2 <= MESSAGE_LIMIT else f"<i>{html.escape(outcome)}</i>"


async def _on_button(query: CallbackQuery) -> None:
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    found = await asyncio.to_thread(_linked, chat_id)
    parsed = parse_callback(query.data or "")
    if found is None:
        language = _language(query.from_user.language_code)
        await query.answer(translate("telegram.link_first", language), show_alert=True)
        return
    user = found[0]
    if parsed is None:
        await query.answer(translate("notifications.not_found", user.language))
        return
    action, minutes, notification_id = parsed
    try:
        outcome = await in_session(lambda session: _answer_button(session, user, action, minutes, notification_id))
    except AppError as exc:
        await query.answer(translate(exc.code, user.language, **exc.params))
        return
    await query.answer(outcome)
    if query.message is not None and query.bot is not None:
        text = await in_session(lambda session: _edited_text(session, user, notification_id, outcome))
        with contextlib.suppress(Exception):
            await query.bot.edit_message_text(text=text, chat_id=chat_id, message_id=query.message.message_id,
                                              reply_markup=None)

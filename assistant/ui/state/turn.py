"""Answering in the open chat: a turn is sent, its answer streamed into state, and it can be stopped.

:class:`StreamedTurn` is a state mixin of :class:`assistant.ui.state.chat.ChatState`: Reflex copies its
event handlers (``send``, ``regenerate``, ``stop``) onto the chat state, so the page calls them as
``ChatState.send`` and a socket names them ``<chat state>.send``. It holds the vars of the turn being
answered; the answer's text is held in pieces by :class:`assistant.ui.state.streaming.StreamedText`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import reflex as rx
from sqlmodel import Session

from assistant.core.errors import AppError, Conflict, InvalidInput
from assistant.models import User
from assistant.models.chat import MessageRole, MessageStatus
from assistant.services.chat.turn_events import (
    AnswerDelta,
    TitleChanged,
    ToolActivity,
    TurnEvent,
    TurnFinished,
    TurnMode,
    TurnStarted,
)
from assistant.services.chat.turns import run_turn
from assistant.ui.state.auth import AuthState, parse_id
from assistant.ui.state.streaming import StreamedText

log = logging.getLogger(__name__)

#: Seconds between two state updates while text streams in (deltas arriving faster are batched).
FLUSH_SECONDS = 0.05
#: Seconds between checks of the stop button while the model is silent.
STOP_POLL_SECONDS = 0.2


class StreamedTurn(AuthState, StreamedText, mixin=True):
    """One turn of the open chat at a time: the question shown, the answer streamed, tools, errors."""

    streaming: bool = False
    stop_requested: bool = False
    stream_question: str = ""
    stream_tools: list[dict[str, Any]] = []
    error_notice: str = ""
    can_retry: bool = False

    if TYPE_CHECKING:
        # What the chat state using this mixin provides (see assistant.ui.state.chat.ChatState).
        chat_id: str
        chat_title: str
        chats: list[dict[str, Any]]
        messages: list[dict[str, Any]]
        draft: str
        editing: bool

        def _list_filter(self) -> tuple[str, bool]: ...

        def _show_chat(self, view: dict[str, Any]) -> None: ...

        @staticmethod
        def _chat_rows(session: Session, user: User, list_filter: tuple[str, bool]) -> list[dict[str, Any]]: ...

        @staticmethod
        def _chat_view(session: Session, user: User, chat_id: uuid.UUID, lang: str,
                       reach: uuid.UUID | None = None) -> dict[str, Any]: ...

    @rx.event
    def stop(self) -> None:
        """Stop the answer being streamed (what arrived is kept, marked incomplete)."""
        if self.streaming:
            self.stop_requested = True

    @rx.event(background=True)
    async def send(self) -> AsyncIterator[Any]:
        """Send the draft (or, while editing, replace the last user message with it) and stream the answer."""
        async for event in self._turn(None, None):
            yield event

    @rx.event(background=True)
    async def regenerate(self) -> AsyncIterator[Any]:
        """Answer the last user message again (also the retry after a failed answer)."""
        async for event in self._turn("regenerate", None):
            yield event

    async def _turn(self, mode: TurnMode | None, text: str | None) -> AsyncIterator[Any]:
        """One answer: ``mode`` None sends the draft (``edit`` while editing, else ``send``)."""
        # One state update before the answer starts (each one re-renders the page): the turn is claimed
        # and the question shown at once; a session check that fails takes them back.
        async with self:
            if self.streaming or not self.chat_id:
                return
            self.streaming, self.stop_requested = True, False  # one turn at a time, claimed before the check
            chat_id = parse_id(self.chat_id)
            if mode is None:
                mode, text = ("edit" if self.editing else "send"), self.draft
            draft = self.draft
            self._reset_stream_text()
            self.stream_tools, self.error_notice, self.can_retry = [], "", False
            self._show_question(mode, text)
        try:
            user_id = await self._run_as_user(lambda session, user: user.id)
        except AppError as exc:
            async with self:
                self.streaming, self.stream_question, self.draft = False, "", draft
                refused = self._handle_error(exc)
            yield refused
            return

        queue: asyncio.Queue[TurnEvent | BaseException | None] = asyncio.Queue()

        async def produce() -> None:
            try:
                async for event in run_turn(user_id=user_id, chat_id=chat_id, mode=mode, text=text):
                    await queue.put(event)
            except AppError as exc:
                await queue.put(exc)
            except Exception as exc:
                log.exception("answering in chat %s failed", chat_id)
                await queue.put(exc)
            else:
                await queue.put(None)

        producer = asyncio.create_task(produce())
        pending, last_flush, finished = "", 0.0, False
        shown = False  # the first text is shown at once, later text in batches
        try:
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), timeout=FLUSH_SECONDS if pending else STOP_POLL_SECONDS)
                except TimeoutError:
                    if finished:
                        continue
                    async with self:
                        if pending:  # text held back for batching is shown once the model pauses
                            self._append_text(pending)
                        stop = self.stop_requested
                    pending, last_flush = "", time.monotonic()
                    if stop:
                        break
                    continue
                if item is None:
                    break
                if isinstance(item, TurnStarted):
                    continue  # already on screen (see _show_question)
                if isinstance(item, BaseException):
                    if not finished:
                        if text and isinstance(item, InvalidInput | Conflict):
                            async with self:
                                self.draft = text  # a refused message goes back into the input
                        finished = True
                        yield await self._finish_stream(chat_id, item)
                    break
                if isinstance(item, AnswerDelta):
                    pending += item.text
                    if shown and time.monotonic() - last_flush < FLUSH_SECONDS:
                        continue
                    shown = True
                async with self:
                    stop = self._apply(item, pending, chat_id)
                pending, last_flush = "", time.monotonic()
                if isinstance(item, TurnFinished):
                    finished = True
                    yield await self._finish_stream(chat_id, None)
                if stop and not finished:
                    break
        finally:
            if not finished and not producer.done():
                producer.cancel()
                with contextlib.suppress(BaseException):
                    await producer
        if not finished:
            yield await self._finish_stream(chat_id, None)

    def _show_question(self, mode: TurnMode, text: str | None) -> None:
        """Show the message being answered at once, before the server has stored it: a new one, or the
        last one (edited) with its old answer taken off the screen."""
        self.draft = ""
        if mode == "send":
            self.stream_question = (text or "").strip()
            return
        last = next((message for message in reversed(self.messages) if message["role"] == MessageRole.USER), None)
        self.stream_question = (text or "").strip() if mode == "edit" else (last["content"] if last else "")
        if last is not None:
            self.messages = [message for message in self.messages if message["seq"] < last["seq"]]

    async def _finish_stream(self, chat_id: uuid.UUID, failure: BaseException | None) -> Any:
        """The answer is stored (or failed): read the chat as stored (the cards of the memory changes the
        turn made from their rows), then end the streaming view and show it in one step. Returns the
        reaction to ``failure`` (or None)."""
        async with self:
            reopen, list_filter, lang = self.chat_id == str(chat_id), self._list_filter(), self.lang
        chat_view, chat_rows = self._chat_view, self._chat_rows

        def reload(session: Session, user: User) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
            view = chat_view(session, user, chat_id, lang) if reopen else None
            return view, chat_rows(session, user, list_filter)

        try:
            view, rows = await self._run_as_user(reload)
        except AppError as exc:
            view, rows, failure = None, None, exc
        async with self:
            notice, retry = self.error_notice, self.can_retry
            self.streaming = self.stop_requested = self.editing = False
            self.stream_question = ""
            self._reset_stream_text()
            self.stream_tools = []
            if view is not None and self.chat_id == str(chat_id):
                self._show_chat(view)
            if rows is not None:
                self.chats = rows
            self.error_notice, self.can_retry = notice, retry
            if isinstance(failure, AppError):
                return self._handle_error(failure)
            if failure is not None:
                return rx.toast.error(self._t("errors.generic"))
        return None

    def _apply(self, event: TurnEvent, pending: str, chat_id: uuid.UUID) -> bool:
        """Show one event after the batched delta text ``pending``; True when the user asked to stop."""
        if pending:
            self._append_text(pending)
        if isinstance(event, ToolActivity):
            self.stream_tools = self.stream_tools + [{
                "name": event.name, "arguments": json.dumps(event.arguments, ensure_ascii=False),
                "result": event.result, "is_error": event.is_error,
            }]
        elif isinstance(event, TurnFinished):
            if event.error_code and event.status != MessageStatus.COMPLETE:
                self.error_notice = self._t(event.error_code)
                self.can_retry = event.retryable
        elif isinstance(event, TitleChanged):
            if self.chat_id == str(chat_id):
                self.chat_title = event.title
            self.chats = [dict(chat, title=event.title) if chat["id"] == str(chat_id) else chat for chat in self.chats]
        return self.stop_requested

"""The chat page: the chat list, one open chat (a page of its messages), sending and streaming.

State keeps only what is on screen: chat summaries, the visible page of messages as display dicts, and
the answer being streamed (held in pieces, see :mod:`assistant.ui.state.streaming`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx
from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.core.errors import AppError, InvalidInput, NotFound
from assistant.models import User
from assistant.services.chat import chats as chat_service
from assistant.ui.state.chat_view import chat_dict, message_dicts
from assistant.services.chat.skills import list_skills
from assistant.services.chat.turns import (
    AnswerDelta,
    TitleChanged,
    ToolActivity,
    TurnEvent,
    TurnFinished,
    TurnMode,
    TurnStarted,
    run_turn,
)
from assistant.services.llm.tiers import get_tier, provider_status
from assistant.models.user import Role
from assistant.ui.state.auth import AuthState
from assistant.ui.state.context import shown_role_suffices
from assistant.ui.state.streaming import StreamedText

log = logging.getLogger(__name__)

CHATS_ROUTE = "/chats"
#: Seconds between two state updates while text streams in (deltas arriving faster are batched).
FLUSH_SECONDS = 0.05
#: Seconds between checks of the stop button while the model is silent.
STOP_POLL_SECONDS = 0.2
NO_SKILL = "none"


def chat_route(chat_id: uuid.UUID | str) -> str:
    """The address of one chat."""
    return f"{CHATS_ROUTE}/{chat_id}"


class ChatState(AuthState, StreamedText):
    """Chats of the signed-in user and the open chat."""

    chats: list[dict[str, Any]] = []
    show_archived: bool = False
    search_query: str = ""
    skills: list[dict[str, str]] = []

    chat_id: str = ""
    chat_title: str = ""
    chat_tier: str = "medium"
    chat_skill: str = NO_SKILL
    chat_archived: bool = False
    offline: bool = False

    messages: list[dict[str, Any]] = []
    has_older: bool = False
    draft: str = ""
    editing: bool = False

    streaming: bool = False
    stop_requested: bool = False
    stream_question: str = ""
    stream_tools: list[dict[str, Any]] = []
    error_notice: str = ""
    can_retry: bool = False

    rename_value: str = ""
    context_sections: list[dict[str, str]] = []

    @rx.var
    def last_user_id(self) -> str:
        """The id of the last user message shown (the one "edit" replaces)."""
        return next((m["id"] for m in reversed(self.messages) if m["role"] == "user"), "")

    @rx.var
    def last_answer_id(self) -> str:
        """The id of the last assistant message shown (the one "regenerate" replaces)."""
        return next((m["id"] for m in reversed(self.messages) if m["role"] == "assistant"), "")

    # ----- loading -----------------------------------------------------------------------------

    def _route_chat_id(self) -> uuid.UUID | None:
        parts = [part for part in str(self.router.url.path).split("/") if part]
        if len(parts) == 2 and parts[0] == CHATS_ROUTE.strip("/"):
            try:
                return uuid.UUID(parts[1])
            except ValueError:
                return None
        return None

    def _refresh_list(self, session: Session, user: User) -> None:
        if self.search_query.strip():
            found = chat_service.search_chats(session=session, user=user, query=self.search_query)
        else:
            found = chat_service.list_chats(session=session, user=user, archived=self.show_archived)
        self.chats = [chat_dict(chat) for chat in found]

    def _open(self, session: Session, user: User, chat_id: uuid.UUID) -> None:
        chat = chat_service.get_chat(session=session, user=user, chat_id=chat_id)
        page = chat_service.list_messages(session=session, user=user, chat_id=chat_id)
        self.chat_id, self.chat_title, self.chat_tier = str(chat.id), chat.title, chat.tier
        self.chat_skill = str(chat.skill_id) if chat.skill_id else NO_SKILL
        self.chat_archived = chat.archived_at is not None
        self.messages = message_dicts(page.messages, self.t)
        self.has_older = page.has_older
        self.offline = not provider_status(get_settings())[get_tier(session=session, name=chat.tier).provider]
        self.error_notice, self.can_retry, self.editing = "", False, False

    def _close(self) -> None:
        self.chat_id, self.chat_title, self.messages, self.has_older = "", "", [], False
        self.error_notice, self.can_retry, self.editing, self.draft = "", False, False, ""

    @rx.event
    def load(self) -> Any:
        """``on_load`` of ``/chats`` and ``/chats/<id>``: the list, the skills and the chat in the URL.
        Skipped when ``AuthState.check_login`` just found no session (it has already reacted)."""
        if not shown_role_suffices(self, Role.USER):
            return None
        chat_id = self._route_chat_id()

        def work(session: Session, user: User) -> None:
            self._refresh_list(session, user)
            self.skills = [{"id": str(skill.id), "name": skill.name, "icon": skill.icon}
                           for skill in list_skills(session=session, user=user, active_only=True)]
            if chat_id is None:
                self._close()
            else:
                self._open(session, user, chat_id)

        try:
            self.run_as_user(work)
        except NotFound as exc:
            self._close()
            return [rx.toast.error(self.t(exc.code)), rx.redirect(CHATS_ROUTE)]
        except AppError as exc:
            return self.handle_error(exc)
        return None

    @rx.event
    def load_older(self) -> Any:
        """Prepend the page of messages before the oldest one shown."""
        if not self.chat_id or not self.messages:
            return None
        before = int(self.messages[0]["seq"])
        try:
            page = self.run_as_user(lambda session, user: chat_service.list_messages(
                session=session, user=user, chat_id=uuid.UUID(self.chat_id), before_seq=before))
        except AppError as exc:
            return self.handle_error(exc)
        self.messages = message_dicts(page.messages, self.t) + self.messages
        self.has_older = page.has_older
        return None

    # ----- the chat list -----------------------------------------------------------------------

    @rx.event
    def set_search_query(self, value: str) -> Any:
        """Filter the list by title and content as the user types."""
        self.search_query = value
        try:
            self.run_as_user(self._refresh_list)
        except AppError as exc:
            return self.handle_error(exc)
        return None

    @rx.event
    def toggle_archived(self) -> Any:
        """Switch the list between active and archived chats."""
        self.show_archived = not self.show_archived
        try:
            self.run_as_user(self._refresh_list)
        except AppError as exc:
            return self.handle_error(exc)
        return None

    @rx.event
    def new_chat(self) -> Any:
        """Start an empty chat (same tier and skill as the open one) and open it."""
        tier = self.chat_tier
        skill_id = uuid.UUID(self.chat_skill) if self.chat_skill != NO_SKILL else None
        try:
            created = self.run_as_user(lambda session, user: chat_service.create_chat(
                session=session, user=user, tier=tier, skill_id=skill_id))
        except NotFound:
            created = None
        except AppError as exc:
            return self.handle_error(exc)
        if created is None:
            try:
                created = self.run_as_user(lambda session, user: chat_service.create_chat(session=session, user=user))
            except AppError as exc:
                return self.handle_error(exc)
        return rx.redirect(chat_route(created.id))

    # ----- the open chat -----------------------------------------------------------------------

    def _update_chat(self, action: Any) -> Any:
        try:
            self.run_as_user(action)
            self.run_as_user(self._refresh_list)
        except AppError as exc:
            return self.handle_error(exc)
        return None

    @rx.event
    def set_tier(self, tier: str) -> Any:
        """Answer the next turns with another model tier."""
        chat_id = uuid.UUID(self.chat_id)

        def work(session: Session, user: User) -> None:
            chat_service.set_tier(session=session, user=user, chat_id=chat_id, tier=tier)
            self.chat_tier = tier
            self.offline = not provider_status(get_settings())[get_tier(session=session, name=tier).provider]

        return self._update_chat(work)

    @rx.event
    def set_skill(self, skill: str) -> Any:
        """Use another skill (or none) for the next turns."""
        chat_id = uuid.UUID(self.chat_id)
        skill_id = None if skill == NO_SKILL else uuid.UUID(skill)

        def work(session: Session, user: User) -> None:
            chat_service.set_skill(session=session, user=user, chat_id=chat_id, skill_id=skill_id)
            self.chat_skill = skill

        return self._update_chat(work)

    @rx.event
    def start_rename(self) -> None:
        self.rename_value = self.chat_title

    @rx.event
    def set_rename_value(self, value: str) -> None:
        self.rename_value = value

    @rx.event
    def rename(self) -> Any:
        """Save the title typed in the rename dialog."""
        chat_id, title = uuid.UUID(self.chat_id), self.rename_value

        def work(session: Session, user: User) -> None:
            self.chat_title = chat_service.rename_chat(session=session, user=user, chat_id=chat_id, title=title).title

        return self._update_chat(work)

    @rx.event
    def toggle_chat_archived(self) -> Any:
        """Archive the open chat, or bring it back."""
        chat_id, archived = uuid.UUID(self.chat_id), not self.chat_archived

        def work(session: Session, user: User) -> None:
            chat_service.set_archived(session=session, user=user, chat_id=chat_id, archived=archived)
            self.chat_archived = archived

        return self._update_chat(work)

    @rx.event
    def delete_chat(self) -> Any:
        """Delete the open chat for good and go back to the list."""
        chat_id = uuid.UUID(self.chat_id)
        try:
            self.run_as_user(lambda session, user: chat_service.delete_chat(session=session, user=user, chat_id=chat_id))
        except AppError as exc:
            return self.handle_error(exc)
        self._close()
        return [rx.toast.success(self.t("chat.deleted")), rx.redirect(CHATS_ROUTE)]

    @rx.event
    def show_context(self, message_id: str) -> Any:
        """Fill the "what the assistant saw" dialog for one answer."""
        try:
            sections = self.run_as_user(lambda session, user: chat_service.get_message_context(
                session=session, user=user, message_id=uuid.UUID(message_id)))
        except AppError as exc:
            return self.handle_error(exc)
        self.context_sections = [
            {"label": self.t(f"chat.context.{section['kind']}") + (f": {section['title']}" if section.get("title") else ""),
             "tokens": self.t("chat.context.tokens", tokens=section["tokens"]),
             "content": self.t("chat.context.history_count", count=int(section["content"]))
             if section["kind"] == "history" else section["content"]}
            for section in sections
        ]
        return None

    # ----- sending and streaming ---------------------------------------------------------------

    @rx.event
    def set_draft(self, value: str) -> None:
        self.draft = value

    @rx.event
    def start_edit(self) -> None:
        """Put the last user message back into the input; sending replaces it and its answer."""
        last = next((message for message in reversed(self.messages) if message["role"] == "user"), None)
        if last is not None and not self.streaming:
            self.draft, self.editing = last["content"], True

    @rx.event
    def cancel_edit(self) -> None:
        self.draft, self.editing = "", False

    @rx.event
    def stop(self) -> None:
        """Stop the answer being streamed (what arrived is kept, marked incomplete)."""
        if self.streaming:
            self.stop_requested = True

    @rx.event(background=True)
    async def send(self) -> AsyncIterator[Any]:
        """Send the draft (or, while editing, replace the last user message with it) and stream the answer."""
        async with self:
            mode: TurnMode = "edit" if self.editing else "send"
            text = self.draft
        async for event in self._turn(mode, text):
            yield event

    @rx.event(background=True)
    async def regenerate(self) -> AsyncIterator[Any]:
        """Answer the last user message again (also the retry after a failed answer)."""
        async for event in self._turn("regenerate", None):
            yield event

    async def _turn(self, mode: TurnMode, text: str | None) -> AsyncIterator[Any]:
        refused = None
        async with self:
            if self.streaming or not self.chat_id:
                return
            try:
                with session_scope() as session:
                    user_id = self.acting_user(session).id
            except AppError as exc:
                refused = self.handle_error(exc)
            else:
                chat_id = uuid.UUID(self.chat_id)
                self.streaming, self.stop_requested = True, False
                self._reset_stream_text()
                self.stream_tools, self.error_notice, self.can_retry = [], "", False
                self._show_question(mode, text)
        if refused is not None:
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
        pending, last_flush, finished, result = "", 0.0, False, None
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
                        async with self:
                            if text and isinstance(item, InvalidInput):
                                self.draft = text  # a refused message goes back into the input
                            result = self._finish_stream(chat_id, item)
                        finished = True
                    break
                if isinstance(item, AnswerDelta):
                    pending += item.text
                    if shown and time.monotonic() - last_flush < FLUSH_SECONDS:
                        continue
                    shown = True
                async with self:
                    stop = self._apply(item, pending, chat_id)
                    if isinstance(item, TurnFinished):
                        result = self._finish_stream(chat_id, None)
                        finished = True
                pending, last_flush = "", time.monotonic()
                if result is not None:
                    yield result
                    result = None
                if stop and not finished:
                    break
        finally:
            if not finished and not producer.done():
                producer.cancel()
                with contextlib.suppress(BaseException):
                    await producer
        if not finished:
            async with self:
                result = self._finish_stream(chat_id, None)
        if result is not None:
            yield result

    def _show_question(self, mode: TurnMode, text: str | None) -> None:
        """Show the message being answered at once, before the server has stored it: a new one, or the
        last one (edited) with its old answer taken off the screen."""
        self.draft = ""
        if mode == "send":
            self.stream_question = (text or "").strip()
            return
        last = next((message for message in reversed(self.messages) if message["role"] == "user"), None)
        self.stream_question = (text or "").strip() if mode == "edit" else (last["content"] if last else "")
        if last is not None:
            self.messages = [message for message in self.messages if message["seq"] < last["seq"]]

    def _finish_stream(self, chat_id: uuid.UUID, failure: BaseException | None) -> Any:
        """The answer is stored (or failed): show the chat as stored and end the streaming view."""

        def reload(session: Session, user: User) -> None:
            if self.chat_id == str(chat_id):
                self._open(session, user, chat_id)
            self._refresh_list(session, user)

        notice, retry = self.error_notice, self.can_retry
        self.streaming = self.stop_requested = self.editing = False
        self.stream_question = ""
        self._reset_stream_text()
        self.stream_tools = []
        try:
            self.run_as_user(reload)
        except AppError as exc:
            return self.handle_error(exc)
        self.error_notice, self.can_retry = notice, retry
        if isinstance(failure, AppError):
            return self.handle_error(failure)
        if failure is not None:
            return rx.toast.error(self.t("errors.generic"))
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
            if event.error_code and event.status != "complete":
                self.error_notice = self.t(event.error_code)
                self.can_retry = event.retryable
        elif isinstance(event, TitleChanged):
            if self.chat_id == str(chat_id):
                self.chat_title = event.title
            self.chats = [dict(chat, title=event.title) if chat["id"] == str(chat_id) else chat for chat in self.chats]
        return self.stop_requested

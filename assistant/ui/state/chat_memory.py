"""Memory in the open chat: the cards of the assistant's memory changes and "Remember this" on a message.

:class:`ChatMemory` is a state mixin of :class:`assistant.ui.state.chat.ChatState` (like
:class:`assistant.ui.state.turn.StreamedTurn`): Reflex copies its event handlers onto the chat state, so
the page calls them as ``ChatState.undo_memory_change`` and a socket names them ``<chat state>.<event>``.
A card (:func:`assistant.ui.state.chat_view.memory_card`) is read from its
:class:`~assistant.models.MemoryChange` row, with Undo, or Confirm/Reject for a proposal; "Remember this"
saves a message's text, edited, as a fact of the user's linked to that message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import reflex as rx
from sqlmodel import Session

from assistant.core.errors import Conflict, InvalidInput, NotFound
from assistant.core.i18n import translate
from assistant.models import MAX_MEMORY_CHARS, MemoryChange, User
from assistant.models.chat import MessageRole
from assistant.services.memory import changes as memory_changes
from assistant.services.memory.entries import Provenance, add_memory
from assistant.ui.state.auth import AuthState, guarded, parse_id
from assistant.ui.state.chat_view import memory_card
from assistant.ui.state.memory import AUTO_IMPORTANCE, CHANGE_NOT_FOUND


class ChatMemory(AuthState, mixin=True):
    """The memory-change cards among the messages shown, and the "Remember this" dialog."""

    remember_open: bool = False
    remember_text: str = ""
    remember_error: str = ""
    #: Changed whenever the "Remember this" dialog opens on a message, so its form starts from that text.
    remember_key: int = 0
    _remember_message_id: str = ""

    if TYPE_CHECKING:
        # What the chat state using this mixin provides (see assistant.ui.state.chat.ChatState).
        chat_id: str
        messages: list[dict[str, Any]]

    # ----- the assistant's changes (cards) -----------------------------------------------------

    def _show_cards(self, cards: list[dict[str, Any]]) -> None:
        """Show ``cards`` (:func:`~assistant.ui.state.chat_view.memory_card`) on the messages that carry them."""
        by_id = {card["change_id"]: card for card in cards}
        if any(message["change_id"] in by_id for message in self.messages):
            self.messages = [dict(message, memory=by_id[message["change_id"]]) if message["change_id"] in by_id
                             else message for message in self.messages]

    async def _resolve_change(self, change_id: str, action: Callable[..., MemoryChange]) -> None:
        """Run ``action(session=, user=, change_id=)`` (undo, confirm or reject), then show that change's
        card as stored. A refused action (e.g. answered meanwhile on the memory page) shows the card as
        it is now and raises for the toast."""
        ident, lang = parse_id(change_id, CHANGE_NOT_FOUND), self.lang

        def t(code: str, **params: Any) -> str:
            return translate(code, lang, **params)

        try:
            card = await self._run_as_user(lambda session, user: memory_card(
                action(session=session, user=user, change_id=ident), t))
        except (Conflict, NotFound):
            stored = await self._run_as_user(lambda session, user: [memory_card(change, t) for change in
                                                                    memory_changes.changes_by_id(
                                                                        session=session, user=user,
                                                                        change_ids=[ident]).values()])
            self._show_cards(stored)
            raise
        self._show_cards([card])

    @rx.event
    @guarded
    async def undo_memory_change(self, change_id: str) -> None:
        """Take back a memory change the assistant made (its card then says "Undone")."""
        await self._resolve_change(change_id, memory_changes.undo)

    @rx.event
    @guarded
    async def confirm_memory_change(self, change_id: str) -> None:
        """Apply the assistant's proposal (its card then shows the change, with Undo)."""
        await self._resolve_change(change_id, memory_changes.confirm)

    @rx.event
    @guarded
    async def reject_memory_change(self, change_id: str) -> None:
        """Decline the assistant's proposal: nothing is stored (its card then says "Rejected")."""
        await self._resolve_change(change_id, memory_changes.reject)

    # ----- "Remember this" -----------------------------------------------------------------------

    @rx.event
    def open_remember(self, message_id: str) -> None:
        """Open "Remember this" on a user or assistant message shown: its text (the first
        :data:`~assistant.models.MAX_MEMORY_CHARS` characters) to edit into a fact."""
        message = next((message for message in self.messages if message["id"] == message_id
                        and message["role"] in (MessageRole.USER, MessageRole.ASSISTANT)), None)
        if message is None:
            return
        self._remember_message_id = message_id
        self.remember_text = str(message["content"])[:MAX_MEMORY_CHARS]
        self.remember_error = ""
        self.remember_key += 1
        self.remember_open = True

    @rx.event
    def set_remember_open(self, is_open: bool) -> None:
        """The dialog's own open/close (Escape, overlay click, Cancel)."""
        self.remember_open = bool(is_open)

    @rx.event
    @guarded
    async def save_remembered(self, form: dict[str, Any]) -> Any:
        """Remember the dialog's fact as the user's own, its source this chat's message; a refused one is
        explained in the dialog, as typed."""
        if not self.remember_open or not self._remember_message_id:
            return None
        chat_id, message_id = parse_id(self.chat_id), parse_id(self._remember_message_id)
        content, category = str(form.get("content", "")), str(form.get("category", ""))
        importance = str(form.get("importance", ""))
        self.remember_error = ""

        def save(session: Session, user: User) -> tuple[bool, str]:
            saved = add_memory(session=session, user=user, content=content, category=category,
                               importance=None if importance in ("", AUTO_IMPORTANCE) else importance,
                               provenance=Provenance(chat_id=chat_id, message_id=message_id))
            return saved.duplicate, saved.previous.content if saved.previous is not None else ""

        try:
            duplicate, previous = await self._run_as_user(save)
        except InvalidInput as exc:
            self.remember_error = self._t(exc.code, **exc.params)
            return None
        self.remember_open = False
        if duplicate:
            return rx.toast.info(self._t("memory.page.duplicate"))
        if previous:
            return rx.toast.success(self._t("memory.page.replaced", previous=previous))
        return rx.toast.success(self._t("memory.page.added"))

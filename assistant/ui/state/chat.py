"""The chat page: the chat list, one open chat (a page of its messages), sending and streaming.

State keeps only what is on screen: chat summaries, the visible page of messages as display dicts, and
the answer being streamed. Sending and streaming a turn is the mixin :class:`StreamedTurn`
(:mod:`assistant.ui.state.turn`, its text held in pieces, see :mod:`assistant.ui.state.streaming`).

Memory in the chat: the assistant's memory changes show as cards read from their
:class:`~assistant.models.MemoryChange` rows (Undo, or Confirm/Reject for a proposal) and "Remember this"
saves a message's text as a fact of the user's, linked to the message: the mixin :class:`ChatMemory`
(:mod:`assistant.ui.state.chat_memory`). ``/chats/<id>?message=<id>`` (a fact's source link) opens the
chat with that message marked and scrolled into view.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.core.errors import NotFound
from assistant.core.i18n import translate
from assistant.models import MemoryChange, User
from assistant.models.chat import MessageRole
from assistant.models.user import Role
from assistant.services.chat import chats as chat_service
from assistant.services.chat.chats import MessageView
from assistant.services.chat.skills import list_skills
from assistant.services.llm.tiers import tier_offline
from assistant.services.memory import changes as memory_changes
from assistant.ui import routes
from assistant.ui.state.auth import AuthState, guarded, parse_id
from assistant.ui.state.chat_agent import NO_AGENT, ChatAgent, agent_choices, agent_view
from assistant.ui.state.chat_memory import ChatMemory
from assistant.ui.state.chat_view import change_ids, chat_dict, message_dicts
from assistant.ui.state.proposals import ChatProposals, proposal_cards, request_message, with_proposals
from assistant.ui.state.report_card import ChatReports, report_cards, with_reports
from assistant.ui.state.turn import StreamedTurn

T = TypeVar("T")
NO_SKILL = "none"
#: Older pages read at most to reach the message a link names (50 messages each); beyond, it opens unmarked.
MAX_LINKED_PAGES = 20
#: The DOM id of a message's element is this prefix and the message id.
MESSAGE_ELEMENT = "message-"
#: Scrolls the marked message into view once the page shows it (tried for up to 2 s).
SCROLL_SCRIPT = ("(function show(tries) {{ const element = document.getElementById('{element}'); "
                 "if (element) {{ element.scrollIntoView({{block: 'center'}}); }} "
                 "else if (tries > 0) {{ setTimeout(() => show(tries - 1), 100); }} }})(20)")


def _optional_id(value: str) -> uuid.UUID | None:
    """The id in a URL parameter, or None when there is none or it is no id."""
    try:
        return parse_id(value) if value else None
    except NotFound:
        return None


def _changes(session: Session, user: User, messages: list[MessageView]) -> dict[uuid.UUID, MemoryChange]:
    """The memory changes the cards among ``messages`` show: one query (on a worker thread)."""
    return memory_changes.changes_by_id(session=session, user=user, change_ids=change_ids(messages))


class ChatState(StreamedTurn, ChatMemory, ChatAgent, ChatProposals, ChatReports, AuthState):
    """Chats of the signed-in user and the open chat; sending and streaming come from the mixin
    :class:`StreamedTurn`, the memory cards and "Remember this" from the mixin :class:`ChatMemory`, the agent
    picker from :class:`ChatAgent`, the cards of
    proposed medication reminders from :class:`ChatProposals`, the cards of reports from :class:`ChatReports`.
    ``AuthState`` stays named as a base although the mixins derive from it: a state whose bases are all
    mixins is itself a mixin to Reflex (no substate, no events)."""

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

    rename_value: str = ""
    context_sections: list[dict[str, str]] = []

    #: The message a link (``?message=<id>``) marked, "" for none.
    marked_message_id: str = ""

    @rx.var
    def last_user_id(self) -> str:
        """The id of the last user message shown (the one "edit" replaces)."""
        return next((m["id"] for m in reversed(self.messages) if m["role"] == MessageRole.USER), "")

    @rx.var
    def last_answer_id(self) -> str:
        """The id of the last assistant message shown (the one "regenerate" replaces)."""
        return next((m["id"] for m in reversed(self.messages) if m["role"] == MessageRole.ASSISTANT), "")

    # ----- loading -----------------------------------------------------------------------------

    def _route_chat_id(self) -> uuid.UUID | None:
        parts = routes.path_segments(str(self.router.url.path))
        if len(parts) == 2 and parts[0] == routes.CHATS.strip("/"):
            try:
                return parse_id(parts[1])
            except NotFound:
                return None
        return None

    def _list_filter(self) -> tuple[str, bool]:
        return self.search_query, self.show_archived

    @staticmethod
    def _chat_rows(session: Session, user: User, list_filter: tuple[str, bool]) -> list[dict[str, Any]]:
        """The chat list as shown for ``(search query, archived)`` (on a worker thread)."""
        query, archived = list_filter
        if query.strip():
            return [chat_dict(chat) for chat in chat_service.search_chats(session=session, user=user, query=query)]
        return [chat_dict(chat) for chat in chat_service.list_chats(session=session, user=user, archived=archived)]

    @staticmethod
    def _chat_view(session: Session, user: User, chat_id: uuid.UUID, lang: str,
                   reach: uuid.UUID | None = None) -> dict[str, Any]:
        """One chat as shown, by state var name (on a worker thread): the latest page of messages, and
        older pages back to message ``reach`` when that is in the chat (at most :data:`MAX_LINKED_PAGES`).

        Raises:
            NotFound: not one of the user's chats.
        """
        chat = chat_service.get_chat(session=session, user=user, chat_id=chat_id)
        page = chat_service.list_messages(session=session, user=user, chat_id=chat_id)
        shown = page.messages
        seq = None if reach is None else chat_service.message_seq(session=session, user=user, chat_id=chat_id,
                                                                  message_id=reach)
        pages, choices = 1, agent_choices(session, user)
        while seq is not None and page.has_older and shown and shown[0].seq > seq and pages <= MAX_LINKED_PAGES:
            page = chat_service.list_messages(session=session, user=user, chat_id=chat_id, before_seq=shown[0].seq)
            shown, pages = page.messages + shown, pages + 1
        return {
            "chat_id": str(chat.id), "chat_title": chat.title, "chat_tier": chat.tier,
            "chat_skill": str(chat.skill_id) if chat.skill_id else NO_SKILL,
            "chat_archived": chat.archived_at is not None,
            "messages": with_reports(with_proposals(
                message_dicts(shown, lambda code, **params: translate(code, lang, **params),
                              _changes(session, user, shown)),
                proposal_cards(session, user, shown, lang)), report_cards(session, user, shown, lang)),
            "has_older": page.has_older,
            "agents": choices,
            **agent_view(session, chat, choices),
        }

    def _show_chat(self, view: dict[str, Any]) -> None:
        for name, value in view.items():
            setattr(self, name, value)
        self.error_notice, self.can_retry, self.editing = "", False, False

    def _close(self) -> None:
        self.chat_id, self.chat_title, self.messages, self.has_older = "", "", [], False
        self.error_notice, self.can_retry, self.editing, self.draft = "", False, False, ""
        self.marked_message_id, self.remember_open = "", False

    async def _update_list(self) -> None:
        """Show the chat list again (after a change to a chat)."""
        list_filter = self._list_filter()
        self.chats = await self._run_as_user(lambda session, user: ChatState._chat_rows(session, user, list_filter))

    @rx.event
    @guarded
    async def load(self) -> Any:
        """``on_load`` of ``/chats`` and ``/chats/<id>``: the list, the skills and the chat in the URL.
        Skipped when ``AuthState.check_login`` just found no session (it has already reacted)."""
        if not self._role_shown(Role.USER):
            return None
        chat_id, list_filter, lang = self._route_chat_id(), self._list_filter(), self.lang
        linked = _optional_id(str(self.router.url.query_parameters.get("message", "")))
        propose = _optional_id(str(self.router.url.query_parameters.get("propose", "")))

        def work(session: Session, user: User) -> tuple[list[dict[str, Any]], list[dict[str, str]],
                                                        dict[str, Any] | None, str, list[dict[str, str]]]:
            skills = [{"id": str(skill.id), "name": skill.name, "icon": skill.icon}
                      for skill in list_skills(session=session, user=user, active_only=True)]
            view = None if chat_id is None else ChatState._chat_view(session, user, chat_id, lang, linked)
            request = request_message(session, user, propose, lang, view["messages"]) if view else ""
            agents = view["agents"] if view else agent_choices(session, user)
            return ChatState._chat_rows(session, user, list_filter), skills, view, request, agents

        try:
            self.chats, self.skills, view, request, self.agents = await self._run_as_user(work)
        except NotFound as exc:
            self._close()
            return [rx.toast.error(self._t(exc.code)), rx.redirect(routes.CHATS)]
        if view is None:
            self._close()
            return None
        self._show_chat(view)
        self.remember_open = False
        if request:  # opened from a document's "Propose reminders": ask at once
            self.draft = request
            return ChatState.send
        shown = linked is not None and any(message["id"] == str(linked) for message in self.messages)
        self.marked_message_id = str(linked) if shown else ""
        return rx.call_script(SCROLL_SCRIPT.format(element=MESSAGE_ELEMENT + str(linked))) if shown else None

    @rx.event
    @guarded
    async def load_older(self) -> None:
        """Prepend the page of messages before the oldest one shown."""
        if not self.chat_id or not self.messages:
            return
        before, chat_id, lang = int(self.messages[0]["seq"]), parse_id(self.chat_id), self.lang

        def work(session: Session, user: User) -> tuple[chat_service.MessagePage, dict[uuid.UUID, MemoryChange],
                                                        dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
            page = chat_service.list_messages(session=session, user=user, chat_id=chat_id, before_seq=before)
            return (page, _changes(session, user, page.messages), proposal_cards(session, user, page.messages, lang),
                    report_cards(session, user, page.messages, lang))

        page, changes, cards, reports = await self._run_as_user(work)
        self.messages = with_reports(with_proposals(message_dicts(page.messages, self._t, changes), cards),
                                     reports) + self.messages
        self.has_older = page.has_older

    # ----- the chat list -----------------------------------------------------------------------

    @rx.event
    @guarded
    async def set_search_query(self, value: str) -> None:
        """Filter the list by title and content as the user types."""
        self.search_query = value
        await self._update_list()

    @rx.event
    @guarded
    async def toggle_archived(self) -> None:
        """Switch the list between active and archived chats."""
        self.show_archived = not self.show_archived
        await self._update_list()

    @rx.event
    @guarded
    async def new_chat(self) -> Any:
        """Start an empty chat (same tier, skill and agent as the open one) and open it; a skill or an agent that
        is gone leaves the new chat without either."""
        tier = self.chat_tier if self.chat_id else None  # no chat open: the user's default tier
        skill_id = parse_id(self.chat_skill) if self.chat_skill != NO_SKILL else None
        agent_id = parse_id(self.chat_agent) if self.chat_id and self.chat_agent != NO_AGENT else None

        def create(session: Session, user: User) -> uuid.UUID:
            try:
                with session.begin_nested():
                    return chat_service.create_chat(session=session, user=user, tier=tier, skill_id=skill_id,
                                                    agent_id=agent_id).id
            except NotFound:
                return chat_service.create_chat(session=session, user=user).id

        return rx.redirect(routes.chat(await self._run_as_user(create)))

    # ----- the open chat -----------------------------------------------------------------------

    async def _update_chat(self, action: Callable[[Session, User], T]) -> T:
        """Run ``action(session, user)`` on the open chat, then show the chat list again."""
        list_filter = self._list_filter()

        def work(session: Session, user: User) -> tuple[T, list[dict[str, Any]]]:
            return action(session, user), ChatState._chat_rows(session, user, list_filter)

        result, self.chats = await self._run_as_user(work)
        return result

    @rx.event
    @guarded
    async def set_tier(self, tier: str) -> None:
        """Answer the next turns with another model tier."""
        chat_id = parse_id(self.chat_id)

        def work(session: Session, user: User) -> bool:
            chat_service.set_tier(session=session, user=user, chat_id=chat_id, tier=tier)
            return tier_offline(session=session, name=tier, settings=get_settings())

        self.offline = await self._update_chat(work)
        self.chat_tier = tier

    @rx.event
    @guarded
    async def set_skill(self, skill: str) -> None:
        """Use another skill (or none) for the next turns."""
        chat_id = parse_id(self.chat_id)
        skill_id = None if skill == NO_SKILL else parse_id(skill, "skills.not_found")
        await self._update_chat(lambda session, user: chat_service.set_skill(
            session=session, user=user, chat_id=chat_id, skill_id=skill_id))
        self.chat_skill = skill

    @rx.event
    def start_rename(self) -> None:
        self.rename_value = self.chat_title

    @rx.event
    def set_rename_value(self, value: str) -> None:
        self.rename_value = value

    @rx.event
    @guarded
    async def rename(self) -> None:
        """Save the title typed in the rename dialog."""
        chat_id, title = parse_id(self.chat_id), self.rename_value
        self.chat_title = await self._update_chat(lambda session, user: chat_service.rename_chat(
            session=session, user=user, chat_id=chat_id, title=title).title)

    @rx.event
    @guarded
    async def toggle_chat_archived(self) -> None:
        """Archive the open chat, or bring it back."""
        chat_id, archived = parse_id(self.chat_id), not self.chat_archived
        await self._update_chat(lambda session, user: chat_service.set_archived(
            session=session, user=user, chat_id=chat_id, archived=archived))
        self.chat_archived = archived

    @rx.event
    @guarded
    async def delete_chat(self) -> Any:
        """Delete the open chat for good and go back to the list."""
        chat_id = parse_id(self.chat_id)
        await self._run_as_user(lambda session, user: chat_service.delete_chat(session=session, user=user,
                                                                               chat_id=chat_id))
        self._close()
        return [rx.toast.success(self._t("chat.deleted")), rx.redirect(routes.CHATS)]

    @rx.event
    @guarded
    async def show_context(self, message_id: str) -> None:
        """Fill the "what the assistant saw" dialog for one answer."""
        sections = await self._run_as_user(lambda session, user: chat_service.get_message_context(
            session=session, user=user, message_id=parse_id(message_id)))
        self.context_sections = [
            {"label": self._t(f"chat.context.{section['kind']}")
             + (f": {section['title']}" if section.get("title") else ""),
             "tokens": self._t("chat.context.tokens", tokens=section["tokens"]),
             "content": self._t("chat.context.history_count", count=int(section["content"]))
             if section["kind"] == "history" else section["content"]}
            for section in sections
        ]

    # ----- the draft (sending and streaming it: StreamedTurn) ----------------------------------

    @rx.event
    def set_draft(self, value: str) -> None:
        self.draft = value

    @rx.event
    def start_edit(self) -> None:
        """Put the last user message back into the input; sending replaces it and its answer."""
        last = next((message for message in reversed(self.messages) if message["role"] == MessageRole.USER), None)
        if last is not None and not self.streaming:
            self.draft, self.editing = last["content"], True

    @rx.event
    def cancel_edit(self) -> None:
        self.draft, self.editing = "", False

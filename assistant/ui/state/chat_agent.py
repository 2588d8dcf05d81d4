"""The agent of the open chat: the picker's choices (:func:`~assistant.services.agents.availability.agents_for`),
the agent shown on the chat (its icon and name, and whether the user may still use it), picking another one,
and starting a chat with an agent.

:class:`ChatAgent` is a state mixin of :class:`assistant.ui.state.chat.ChatState` (like
:class:`assistant.ui.state.chat_memory.ChatMemory`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import reflex as rx
from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.models import Agent, Chat, LlmProvider, User
from assistant.services.agents.availability import agents_for
from assistant.services.chat import chats as chat_service
from assistant.services.llm.providers import provider_configured
from assistant.services.llm.tiers import tier_offline
from assistant.ui import routes
from assistant.ui.state.auth import AuthState, guarded, parse_id

T = TypeVar("T")
#: The picker's value for the default assistant (no agent).
NO_AGENT = "none"


def agent_choices(session: Session, user: User) -> list[dict[str, str]]:
    """The agents the user may pick, as the picker shows them: ``{id, name, icon}``."""
    return [{"id": str(a.id), "name": a.name, "icon": a.icon} for a in agents_for(session=session, user=user)]


def agent_view(session: Session, chat: Chat, choices: list[dict[str, str]]) -> dict[str, Any]:
    """The chat's agent as shown, by state var name: ``chat_agent`` (its id or :data:`NO_AGENT`), its name and
    icon, ``chat_agent_available`` (among ``choices``, the user's :func:`agent_choices`) and ``offline`` (what
    answers, the agent's provider or tier or else the chat's tier, has no credentials)."""
    agent = session.get(Agent, chat.agent_id) if chat.agent_id else None
    available = agent is not None and any(choice["id"] == str(agent.id) for choice in choices)
    tier = (agent.tier if agent is not None and available else None) or chat.tier
    provider = session.get(LlmProvider, agent.provider_id) if agent and available and agent.provider_id else None
    offline = (not provider_configured(session=session, name=provider.name, settings=get_settings()) if provider
               else tier_offline(session=session, name=tier, settings=get_settings()))
    return {
        "chat_agent": str(agent.id) if agent is not None else NO_AGENT,
        "chat_agent_name": agent.name if agent is not None else "",
        "chat_agent_icon": agent.icon if agent is not None else "bot",
        "chat_agent_available": available,
        "offline": offline,
    }


class ChatAgent(AuthState, mixin=True):
    """The agent picker of the chat page and the agent of the open chat."""

    agents: list[dict[str, str]] = []
    chat_agent: str = NO_AGENT
    chat_agent_name: str = ""
    chat_agent_icon: str = "bot"
    chat_agent_available: bool = True

    if TYPE_CHECKING:
        # What the chat state using this mixin provides (see assistant.ui.state.chat.ChatState).
        chat_id: str
        offline: bool

        async def _update_chat(self, action: Callable[[Session, User], T]) -> T: ...

    @rx.event
    @guarded
    async def set_agent(self, value: str) -> None:
        """Talk to another agent (or, with :data:`NO_AGENT`, the default assistant) from the next turn."""
        chat_id = parse_id(self.chat_id)
        agent_id = None if value == NO_AGENT else parse_id(value, "agents.not_found")

        def work(session: Session, user: User) -> tuple[list[dict[str, str]], dict[str, Any]]:
            chat_service.set_agent(session=session, user=user, chat_id=chat_id, agent_id=agent_id)
            choices = agent_choices(session, user)
            chat = chat_service.get_chat(session=session, user=user, chat_id=chat_id)
            return choices, agent_view(session, chat, choices)

        self.agents, view = await self._update_chat(work)
        for name, shown in view.items():
            setattr(self, name, shown)

    @rx.event
    @guarded
    async def new_chat_with(self, agent_id: str) -> Any:
        """Start an empty chat with agent ``agent_id`` and open it."""
        agent = parse_id(agent_id, "agents.not_found")

        def create(session: Session, user: User) -> uuid.UUID:
            return chat_service.create_chat(session=session, user=user, agent_id=agent).id

        return rx.redirect(routes.chat(await self._run_as_user(create)))

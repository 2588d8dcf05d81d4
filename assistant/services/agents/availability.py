"""Which agents a user may pick, defined once, and what an agent changes in a chat turn.

The rule (:func:`available_to`): a user may use their own (personal) agents and every active general agent
(``owner_id`` None) granted to them, directly in ``agent_grants`` or to a group they belong to in
``agent_group_grants``. Nothing else: an admin's role gives no agent by itself. The rule is read at every
call, so revoking a grant or a membership takes effect at the next one (the next turn of a chat is refused).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col, func, select

from assistant.core.errors import Conflict, NotFound
from assistant.models import (
    Agent,
    AgentCollection,
    AgentGrant,
    AgentGroupGrant,
    GroupMember,
    LlmProvider,
    Skill,
    User,
)


def available_to(user_id: uuid.UUID) -> ColumnElement[bool]:
    """The SQL condition "user ``user_id`` may use this agent" on the ``agents`` table (the module's rule)."""
    my_groups = select(GroupMember.group_id).where(col(GroupMember.user_id) == user_id)
    granted = or_(
        col(Agent.id).in_(select(AgentGrant.agent_id).where(col(AgentGrant.user_id) == user_id)),
        col(Agent.id).in_(select(AgentGroupGrant.agent_id).where(col(AgentGroupGrant.group_id).in_(my_groups))),
    )
    return or_(col(Agent.owner_id) == user_id, and_(col(Agent.owner_id).is_(None), col(Agent.is_active), granted))


@dataclass(frozen=True)
class AgentChoice:
    """An agent as a picker shows it: ``general`` True for one admins manage (else the user's own)."""

    id: uuid.UUID
    name: str
    description: str
    icon: str
    general: bool


def agents_for(*, session: Session, user: User) -> list[AgentChoice]:
    """The agents ``user`` may pick (:func:`available_to`): general ones first, then their own, each by name."""
    rows = session.exec(
        select(Agent).where(available_to(user.id))
        .order_by(col(Agent.owner_id).is_not(None), func.lower(Agent.name), col(Agent.created_at))
    )
    return [AgentChoice(agent.id, agent.name, agent.description, agent.icon, agent.owner_id is None)
            for agent in rows]


def get_available_agent(*, session: Session, user: User, agent_id: uuid.UUID) -> Agent:
    """The agent ``agent_id`` if ``user`` may use it now.

    Raises:
        NotFound: ``agents.not_found`` for a missing agent, another user's personal agent, an inactive general
            agent or one not granted to the user (all alike).
    """
    agent = session.exec(select(Agent).where(Agent.id == agent_id, available_to(user.id))).first()
    if agent is None:
        raise NotFound("agents.not_found")
    return agent


@dataclass(frozen=True)
class AgentSetup:
    """What an agent changes in a turn.

    Attributes:
        id, name: the agent.
        tier: the model tier it answers with (``small``/``medium``/``large``); None: the chat's tier.
        provider, model: the administrator's provider (its name, as tiers name providers) and model that answer
            instead of the tier's (its token limits stay); None and "": the tier's own.
        skill: its skill, when that is active and still one its owner may use (general, or the owner's own);
            None: no skill section.
        collections: the collections retrieval is limited to (empty when the agent's were all deleted: it
            finds nothing); None: the user's normal scope (the agent was given none).
        tools: the names of the tools offered; None: every tool.
    """

    id: uuid.UUID
    name: str
    tier: str | None
    provider: str | None
    model: str
    skill: Skill | None
    collections: frozenset[uuid.UUID] | None
    tools: tuple[str, ...] | None


def agent_setup(*, session: Session, user: User, agent_id: uuid.UUID) -> AgentSetup:
    """What the agent ``agent_id`` of a chat of ``user`` changes in the turn being prepared.

    Raises:
        Conflict: ``agents.unavailable`` (``name``: the agent's name) when the user may no longer use it
            (:func:`available_to`: a grant or a membership revoked, the agent switched off); raised before
            anything of the turn is stored.
    """
    agent = session.exec(select(Agent).where(Agent.id == agent_id, available_to(user.id))).first()
    if agent is None:
        gone: Any = session.get(Agent, agent_id)
        raise Conflict("agents.unavailable", name=gone.name if gone is not None else "")
    skill = session.get(Skill, agent.skill_id) if agent.skill_id else None
    if skill is not None and not (skill.is_active and skill.owner_id in (None, agent.owner_id)):
        skill = None
    collections = frozenset(session.exec(select(AgentCollection.collection_id)
                                         .where(AgentCollection.agent_id == agent.id)))
    provider = session.get(LlmProvider, agent.provider_id) if agent.provider_id and agent.model else None
    return AgentSetup(id=agent.id, name=agent.name, tier=agent.tier, provider=provider.name if provider else None,
                      model=agent.model if provider else "", skill=skill,
                      collections=collections if agent.limits_collections else None,
                      tools=tuple(agent.tools) if agent.tools is not None else None)

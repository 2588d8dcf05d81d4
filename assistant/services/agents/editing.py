"""Creating, changing and deleting agents, and what the editor offers.

General agents (``owner_id`` None) are managed by admins only (``Forbidden`` for anyone else, checked first);
every change of one is written to the audit log in the same transaction. Personal agents belong to one user,
who alone sees and edits them (another user's agent id gives ``NotFound``, like a missing one). An agent may
only search collections its editor may read (:func:`assistant.services.rag.access.granted_collections`; a
collection already on the agent may stay), and use a general skill or, for a personal agent, its owner's own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import delete, func, or_
from sqlmodel import Session, col, select

from assistant.core.errors import Forbidden, InvalidInput, NotFound
from assistant.models import TIERS, Agent, AgentCollection, Collection, LlmProvider, Role, Skill, User
from assistant.models.base import utcnow
from assistant.services.admin import audit
from assistant.services.auth.permissions import has_role, require_role
from assistant.services.rag.access import granted_collections
from assistant.services.tools.builtin import builtin_registry

#: Lucide icon names an agent may show.
AGENT_ICONS = (
    "bot", "sparkles", "stethoscope", "pill", "heart-pulse", "book-open", "graduation-cap", "briefcase",
    "scale", "code", "languages", "lightbulb", "shield", "user-round",
)
#: The most collections one agent searches.
MAX_COLLECTIONS = 50

AgentScope = Literal["general", "personal"]


def tool_names() -> list[str]:
    """The names of the tools an agent may be limited to, in the order the model is offered them."""
    return [spec.name for spec in builtin_registry().specs()]


class AgentInput(BaseModel):
    """What an editor submits for an agent.

    ``tools`` None: every tool; a list: only those (``[]``: none). ``collection_ids`` empty: the agent searches
    what the user may read, like the default assistant. ``provider_id`` (an administrator's provider; general
    agents only) with ``model`` (required then) override the tier's provider and model; the tier still gives
    the token limits.

    Raises:
        pydantic.ValidationError: a blank or too long name, a long description, an unknown icon, tier or tool,
            too many collections.
    """

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=500)
    icon: str = "bot"
    skill_id: uuid.UUID | None = None
    tier: str = "medium"
    provider_id: uuid.UUID | None = None
    model: str = Field(default="", max_length=200)
    collection_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_COLLECTIONS)
    tools: list[str] | None = None
    is_active: bool = True

    @field_validator("icon")
    @classmethod
    def _known_icon(cls, value: str) -> str:
        if value not in AGENT_ICONS:
            raise ValueError("unknown icon")
        return value

    @field_validator("tier")
    @classmethod
    def _known_tier(cls, value: str) -> str:
        if value not in TIERS:
            raise ValueError("unknown tier")
        return value

    @field_validator("tools")
    @classmethod
    def _known_tools(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        known = tool_names()
        if any(name not in known for name in value):
            raise ValueError("unknown tool")
        return [name for name in known if name in value]


def _validated(data: dict[str, Any]) -> AgentInput:
    try:
        values = AgentInput.model_validate(data)
    except ValidationError as exc:
        location = exc.errors()[0]["loc"]
        raise InvalidInput("agents.invalid", field=str(location[0]) if location else "agent") from exc
    if values.provider_id is not None and not values.model:
        raise InvalidInput("agents.invalid", field="model")
    if values.provider_id is None:
        values.model = ""
    return values


@dataclass(frozen=True)
class AgentView:
    """An agent as its editor shows it: ``general`` True for an admin-managed one; ``collection_ids`` the
    collections it searches; ``collections_gone`` True when collections were chosen and all have since been
    deleted (it searches nothing until others are chosen); ``tools`` None for every tool."""

    id: uuid.UUID
    name: str
    description: str
    icon: str
    skill_id: uuid.UUID | None
    tier: str
    provider_id: uuid.UUID | None
    model: str
    collection_ids: list[uuid.UUID]
    tools: list[str] | None
    is_active: bool
    general: bool
    collections_gone: bool = False


def _view(session: Session, agent: Agent) -> AgentView:
    collections = list(session.exec(select(AgentCollection.collection_id).where(AgentCollection.agent_id == agent.id)
                                    .order_by(col(AgentCollection.collection_id))))
    return AgentView(id=agent.id, name=agent.name, description=agent.description, icon=agent.icon,
                     skill_id=agent.skill_id, tier=agent.tier or "medium", provider_id=agent.provider_id,
                     model=agent.model, collection_ids=collections,
                     tools=list(agent.tools) if agent.tools is not None else None, is_active=agent.is_active,
                     general=agent.owner_id is None, collections_gone=agent.limits_collections and not collections)


def _audit_values(view: AgentView) -> dict[str, Any]:
    """An agent's fields as the audit log keeps them (JSON-ready)."""
    return {"name": view.name, "description": view.description, "icon": view.icon,
            "skill_id": str(view.skill_id) if view.skill_id else None, "tier": view.tier,
            "provider_id": str(view.provider_id) if view.provider_id else None, "model": view.model,
            "collection_ids": [str(ident) for ident in view.collection_ids], "tools": view.tools,
            "is_active": view.is_active}


def list_agents(*, session: Session, user: User, scope: AgentScope) -> list[AgentView]:
    """``user``'s own agents (``personal``) or, for an admin, every general agent (``general``), by name.

    Raises:
        Forbidden: ``general`` below admin.
    """
    if scope == "general":
        require_role(user, Role.ADMIN)
    owner = col(Agent.owner_id).is_(None) if scope == "general" else col(Agent.owner_id) == user.id
    rows = session.exec(select(Agent).where(owner).order_by(func.lower(Agent.name), col(Agent.created_at)))
    return [_view(session, agent) for agent in rows]


def get_agent(*, session: Session, user: User, agent_id: uuid.UUID) -> AgentView:
    """The agent ``agent_id`` as its editor shows it: the user's own, or a general one for an admin.

    Raises:
        NotFound: ``agents.not_found`` (missing, or another user's).
        Forbidden: a general agent below admin.
    """
    return _view(session, _editable(session, user, agent_id))


def _editable(session: Session, user: User, agent_id: uuid.UUID) -> Agent:
    agent = session.get(Agent, agent_id, with_for_update=True)
    if agent is None or (agent.owner_id is not None and agent.owner_id != user.id):
        raise NotFound("agents.not_found")
    if agent.owner_id is None and not has_role(user, Role.ADMIN):
        raise Forbidden("errors.forbidden")
    return agent


def _check_skill(session: Session, editor: User, skill_id: uuid.UUID | None, general: bool) -> None:
    if skill_id is None:
        return
    skill = session.get(Skill, skill_id)
    allowed = (None,) if general else (None, editor.id)
    if skill is None or not skill.is_active or skill.owner_id not in allowed:
        raise NotFound("skills.not_found")


def _check_collections(session: Session, editor: User, wanted: list[uuid.UUID], kept: set[uuid.UUID]) -> None:
    """Every collection in ``wanted`` exists and, unless already on the agent (``kept``), ``editor`` may read it."""
    new = set(wanted) - kept
    if not new:
        return
    readable = set(session.exec(select(Collection.id).where(col(Collection.id).in_(new),
                                                            col(Collection.id).in_(granted_collections(editor.id)))))
    if readable != new:
        raise NotFound("collections.not_found")


def _check_provider(session: Session, provider_id: uuid.UUID | None, general: bool) -> None:
    """Only a general agent names a provider (administrators configure them); it must exist."""
    if provider_id is None:
        return
    if not general:
        raise InvalidInput("agents.invalid", field="provider_id")
    if session.get(LlmProvider, provider_id) is None:
        raise NotFound("providers.not_found")


def _save(session: Session, agent: Agent, values: AgentInput) -> None:
    agent.name, agent.description, agent.icon = values.name, values.description, values.icon
    agent.provider_id, agent.model = values.provider_id, values.model
    agent.limits_collections = bool(values.collection_ids)
    agent.skill_id, agent.tier, agent.tools, agent.is_active = (values.skill_id, values.tier, values.tools,
                                                                values.is_active or agent.owner_id is not None)
    agent.updated_at = utcnow()
    session.add(agent)
    session.flush()
    session.execute(delete(AgentCollection).where(col(AgentCollection.agent_id) == agent.id))
    for collection_id in dict.fromkeys(values.collection_ids):
        session.add(AgentCollection(agent_id=agent.id, collection_id=collection_id))
    session.flush()


def create_agent(*, session: Session, user: User, scope: AgentScope, data: dict[str, Any]) -> AgentView:
    """Create a personal agent for ``user`` or, for an admin, a general one (audited as ``agent.create``).
    A personal agent is always active.

    Args:
        data: the fields of :class:`AgentInput`.

    Raises:
        Forbidden: a general agent below admin (nothing is stored).
        InvalidInput: ``agents.invalid`` (``field`` names the first rejected field).
        NotFound: ``skills.not_found`` for a skill the agent may not use; ``collections.not_found`` for a
            collection ``user`` may not read; ``providers.not_found`` for a missing provider.
    """
    general = scope == "general"
    if general:
        require_role(user, Role.ADMIN)
    values = _validated(data)
    _check_skill(session, user, values.skill_id, general)
    _check_provider(session, values.provider_id, general)
    _check_collections(session, user, values.collection_ids, set())
    agent = Agent(owner_id=None if general else user.id, name=values.name)
    _save(session, agent, values)
    view = _view(session, agent)
    if general:
        audit.record(session, actor=user, action="agent.create", target_type="agent", target_id=agent.id,
                     target_label=agent.name, after=_audit_values(view))
    return view


def update_agent(*, session: Session, user: User, agent_id: uuid.UUID, data: dict[str, Any]) -> AgentView:
    """Replace an agent's fields (a general one audited as ``agent.update`` with its values before and after).

    Raises:
        NotFound: ``agents.not_found``; ``skills.not_found``, ``collections.not_found``, ``providers.not_found``
            as :func:`create_agent`.
        Forbidden: a general agent below admin.
        InvalidInput: ``agents.invalid``.
    """
    agent = _editable(session, user, agent_id)
    values = _validated(data)
    before = _view(session, agent)
    _check_skill(session, user, values.skill_id, agent.owner_id is None)
    _check_provider(session, values.provider_id, agent.owner_id is None)
    _check_collections(session, user, values.collection_ids, set(before.collection_ids))
    _save(session, agent, values)
    view = _view(session, agent)
    if agent.owner_id is None:
        audit.record(session, actor=user, action="agent.update", target_type="agent", target_id=agent.id,
                     target_label=agent.name, before=_audit_values(before), after=_audit_values(view))
    return view


def delete_agent(*, session: Session, user: User, agent_id: uuid.UUID) -> None:
    """Delete an agent, its grants and its collection list; chats that used it go on with the default
    assistant. A general one is audited as ``agent.delete``.

    Raises:
        NotFound, Forbidden: as :func:`update_agent`.
    """
    agent = _editable(session, user, agent_id)
    if agent.owner_id is None:
        audit.record(session, actor=user, action="agent.delete", target_type="agent", target_id=agent.id,
                     target_label=agent.name, before=_audit_values(_view(session, agent)))
    session.delete(agent)
    session.flush()


@dataclass(frozen=True)
class EditorOptions:
    """What the editor of an agent of one scope offers: ``skills``, ``collections`` and ``providers`` as
    ``(id, name)`` by name (general skills only for a general agent; the collections the editor may read; the
    administrators' providers, names only, for a general agent), and the tool names."""

    skills: list[tuple[uuid.UUID, str]]
    collections: list[tuple[uuid.UUID, str]]
    providers: list[tuple[uuid.UUID, str]]
    tools: list[str]


def editor_options(*, session: Session, user: User, scope: AgentScope) -> EditorOptions:
    """The choices of the editor of a ``scope`` agent for ``user``.

    Raises:
        Forbidden: ``general`` below admin.
    """
    if scope == "general":
        require_role(user, Role.ADMIN)
    owners = (col(Skill.owner_id).is_(None) if scope == "general"
              else or_(col(Skill.owner_id).is_(None), col(Skill.owner_id) == user.id))
    skills = session.exec(select(Skill.id, Skill.name).where(owners, col(Skill.is_active))
                          .order_by(func.lower(Skill.name)))
    collections = session.exec(select(Collection.id, Collection.name)
                               .where(col(Collection.id).in_(granted_collections(user.id)))
                               .order_by(func.lower(Collection.name)))
    providers = session.exec(select(LlmProvider.id, LlmProvider.name).where(scope == "general")
                             .order_by(func.lower(LlmProvider.name)))
    return EditorOptions(skills=[(ident, name) for ident, name in skills],
                         collections=[(ident, name) for ident, name in collections],
                         providers=[(ident, name) for ident, name in providers], tools=tool_names())

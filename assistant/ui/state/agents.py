"""The Agents page: the user's own agents (create, edit, delete), the general agents granted to them and, for
admins, every general agent with its grants to users and groups.

State keeps what the rows show; the editor dialog loads one agent and the editor's choices (skills,
collections) when opened. Every event re-checks the account; those on general agents and grants require an
admin (``_run_as_user(..., minimum_role=Role.ADMIN)``), and the services check again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from assistant.models import User
from assistant.models.user import Role
from assistant.services.agents import editing, grants
from assistant.services.agents.availability import agents_for
from assistant.services.auth.permissions import has_role
from assistant.ui.state.auth import AuthState, guarded, parse_id
from assistant.ui.state.offered_models import offered_models

T = TypeVar("T")

NO_SKILL = "none"
#: The provider picker's value for "the tier's provider and model".
NO_PROVIDER = "none"
#: The editor's fields, as :class:`~assistant.services.agents.editing.AgentInput` names them.
FIELDS = ("name", "description", "icon", "skill_id", "tier", "provider_id", "model", "collection_ids", "tools",
          "is_active")
_EMPTY_DRAFT: dict[str, Any] = {"name": "", "description": "", "icon": "bot", "skill": NO_SKILL, "tier": "medium",
                                "provider": NO_PROVIDER, "model": "", "is_active": True}


def _row(agent: editing.AgentView) -> dict[str, Any]:
    return {"id": str(agent.id), "name": agent.name, "description": agent.description, "icon": agent.icon,
            "tier": agent.tier, "is_active": agent.is_active, "collections": len(agent.collection_ids)}


def _role(scope: str) -> Role:
    return Role.ADMIN if scope == "general" else Role.USER


def _scope(scope: str) -> editing.AgentScope:
    return "general" if scope == "general" else "personal"


class AgentsState(AuthState):
    """The lists of the Agents page, its editor dialog, delete confirmation and (admins) grants dialog."""

    own_agents: list[dict[str, Any]] = []
    granted_agents: list[dict[str, Any]] = []
    general_agents: list[dict[str, Any]] = []

    dialog_open: bool = False
    editing_id: str = ""
    editor_scope: str = "personal"
    draft: dict[str, Any] = dict(_EMPTY_DRAFT)
    draft_collections: list[str] = []
    #: The agent's collections were all deleted since they were chosen: it searches nothing (the editor says so).
    draft_collections_gone: bool = False
    draft_all_tools: bool = True
    draft_tools: list[str] = []
    skill_options: list[dict[str, str]] = []
    collection_options: list[dict[str, str]] = []
    provider_options: list[dict[str, str]] = []
    #: The provider picked in the editor (its value, before Save) and the models it offered when asked.
    draft_provider: str = NO_PROVIDER
    provider_models: list[str] = []
    listing_models: bool = False

    delete_id: str = ""
    delete_name: str = ""

    grants_id: str = ""
    grants_name: str = ""
    grant_users: list[dict[str, str]] = []
    grant_groups: list[dict[str, str]] = []
    group_options: list[dict[str, str]] = []
    grant_email: str = ""
    grant_group_id: str = ""

    @staticmethod
    def _lists(session: Session, user: User) -> dict[str, list[dict[str, Any]]]:
        """What the lists show, by state var name (on a worker thread)."""
        own = editing.list_agents(session=session, user=user, scope="personal")
        granted = [{"id": str(a.id), "name": a.name, "description": a.description, "icon": a.icon}
                   for a in agents_for(session=session, user=user) if a.general]
        general = []
        if has_role(user, Role.ADMIN):
            for agent in editing.list_agents(session=session, user=user, scope="general"):
                who = grants.list_grantees(session=session, actor=user, agent_id=agent.id)
                general.append({**_row(agent), "users": ", ".join(u.email for u in who.users),
                                "groups": ", ".join(g.name for g in who.groups)})
        return {"own_agents": [_row(a) for a in own], "granted_agents": granted, "general_agents": general}

    async def _run(self, action: Callable[[Session, User], T], minimum_role: Role = Role.USER) -> T:
        """Run ``action(session, user)`` for a re-checked user (at least ``minimum_role``), then list the agents
        again. A rejected field is named in the user's language."""
        return await self._run_and_list(action, AgentsState._lists, minimum_role, catalogue="agents", fields=FIELDS)

    @rx.event
    @guarded
    async def load(self) -> None:
        """``on_load`` after ``AuthState.check_login``: the lists (skipped when that check found no session)."""
        self.dialog_open, self.delete_id, self.grants_id = False, "", ""
        if self._role_shown(Role.USER):
            await self._run(lambda session, user: None)

    # ----- the editor ----------------------------------------------------------------------------

    async def _open(self, scope: str, agent_id: str) -> None:
        """Open the editor of a ``scope`` agent: a new one (``agent_id`` "") or the one named."""
        wanted = parse_id(agent_id, "agents.not_found") if agent_id else None
        kind = _scope(scope)

        def work(session: Session, user: User) -> tuple[editing.EditorOptions, editing.AgentView | None]:
            options = editing.editor_options(session=session, user=user, scope=kind)
            agent = editing.get_agent(session=session, user=user, agent_id=wanted) if wanted else None
            return options, agent

        options, agent = await self._run(work, _role(kind))
        self.skill_options = [{"id": str(ident), "name": name} for ident, name in options.skills]
        self.collection_options = [{"id": str(ident), "name": name} for ident, name in options.collections]
        self.provider_options = [{"id": str(ident), "name": name} for ident, name in options.providers]
        self.editor_scope, self.editing_id = kind, agent_id
        self.draft_collections_gone = agent is not None and agent.collections_gone
        if agent is None:
            self.draft, self.draft_collections = dict(_EMPTY_DRAFT), []
            self.draft_all_tools, self.draft_tools = True, []
        else:
            self.draft = {"name": agent.name, "description": agent.description, "icon": agent.icon,
                          "skill": str(agent.skill_id) if agent.skill_id else NO_SKILL, "tier": agent.tier,
                          "provider": str(agent.provider_id) if agent.provider_id else NO_PROVIDER,
                          "model": agent.model, "is_active": agent.is_active}
            self.draft_collections = [str(ident) for ident in agent.collection_ids]
            self.draft_all_tools, self.draft_tools = agent.tools is None, list(agent.tools or [])
        self.draft_provider, self.provider_models = self.draft["provider"], []
        self.dialog_open = True

    @rx.event
    @guarded
    async def open_new(self, scope: str) -> None:
        """Open the editor on a new agent (``general``: admins only; else personal)."""
        await self._open(scope, "")

    @rx.event
    @guarded
    async def open_edit(self, scope: str, agent_id: str) -> None:
        """Open the editor on an existing agent of ``scope``."""
        await self._open(scope, agent_id)

    @rx.event
    def set_dialog_open(self, is_open: bool) -> None:
        """The dialog's own open/close (Escape, overlay click, Cancel)."""
        self.dialog_open = is_open

    @rx.event
    def choose_provider(self, value: str) -> None:
        """The provider picked in the editor (stored only with Save): forget the previous one's models."""
        self.draft_provider, self.provider_models = value, []

    @rx.event
    def list_models(self) -> Any:
        """Ask the provider picked in the editor for its models (in the background: :meth:`fetch_models`)."""
        if self.listing_models or self.draft_provider == NO_PROVIDER:
            return None
        self.listing_models = True
        return AgentsState.fetch_models

    @rx.event(background=True)
    @guarded
    async def fetch_models(self) -> Any:
        """List the models of the provider picked in the editor; they become the model field's suggestions
        (any name may still be typed). A refusal is shown as a toast, translated; admins only."""
        async with self:
            provider = self.draft_provider
            name = next((option["name"] for option in self.provider_options if option["id"] == provider), provider)
        try:
            found = await offered_models(self, provider)
        finally:
            async with self:
                self.listing_models = False
        async with self:
            if self.draft_provider == provider:
                self.provider_models = found
            return rx.toast.success(self._t("tiers.models_listed", provider=name, count=len(found)))

    @rx.event
    def toggle_collection(self, collection_id: str, checked: bool) -> None:
        """Add a collection to the agent being edited, or take it off."""
        rest = [ident for ident in self.draft_collections if ident != collection_id]
        self.draft_collections = rest + [collection_id] if checked else rest

    @rx.event
    def set_all_tools(self, checked: bool) -> None:
        """Let the agent being edited use every tool, or only those ticked."""
        self.draft_all_tools = checked

    @rx.event
    def toggle_tool(self, name: str, checked: bool) -> None:
        """Tick a tool for the agent being edited, or untick it."""
        rest = [tool for tool in self.draft_tools if tool != name]
        self.draft_tools = rest + [name] if checked else rest

    @rx.event
    @guarded
    async def save(self, form: dict[str, Any]) -> Any:
        """Create or update the agent from the editor; on an error the dialog stays open as typed."""
        skill, provider = str(form.get("skill", NO_SKILL)), str(form.get("provider", NO_PROVIDER))
        data = {"name": form.get("name", ""), "description": form.get("description", ""),
                "icon": form.get("icon", "bot"), "tier": form.get("tier", "medium"),
                "provider_id": None if provider == NO_PROVIDER else provider, "model": form.get("model", ""),
                "skill_id": None if skill == NO_SKILL else skill, "collection_ids": list(self.draft_collections),
                "tools": None if self.draft_all_tools else list(self.draft_tools),
                "is_active": form.get("is_active") == "on" or self.editor_scope != "general"}
        editing_id, scope = self.editing_id, _scope(self.editor_scope)

        def _save(session: Session, user: User) -> None:
            if editing_id:
                editing.update_agent(session=session, user=user,
                                     agent_id=parse_id(editing_id, "agents.not_found"), data=data)
            else:
                editing.create_agent(session=session, user=user, scope=scope, data=data)

        await self._run(_save, _role(scope))
        self.dialog_open = False
        return rx.toast.success(self._t("agents.saved"))

    # ----- deleting ------------------------------------------------------------------------------

    @rx.event
    def ask_delete(self, agent_id: str, name: str) -> None:
        """Open the delete confirmation for one agent."""
        self.delete_id, self.delete_name = agent_id, name

    @rx.event
    def set_delete_open(self, is_open: bool) -> None:
        """The confirmation's own close (Escape, Cancel): nothing is deleted."""
        if not is_open:
            self.delete_id, self.delete_name = "", ""

    @rx.event
    @guarded
    async def confirm_delete(self) -> Any:
        """Delete the agent the confirmation was opened for (a general one only by an admin: the service checks)."""
        agent_id = parse_id(self.delete_id, "agents.not_found")
        self.delete_id, self.delete_name = "", ""
        await self._run(lambda session, user: editing.delete_agent(session=session, user=user, agent_id=agent_id))
        return rx.toast.success(self._t("agents.deleted"))

    # ----- grants (admins) -----------------------------------------------------------------------

    async def _grants(self, change: Callable[[Session, User, uuid.UUID], object] | None = None) -> None:
        """Apply ``change(session, admin, agent id)`` to the open grants dialog's agent, then show its grantees."""
        agent_id = parse_id(self.grants_id, "agents.not_found")

        def work(session: Session, user: User) -> tuple[grants.Grantees, list[tuple[uuid.UUID, str]]]:
            if change is not None:
                change(session, user, agent_id)
            return (grants.list_grantees(session=session, actor=user, agent_id=agent_id),
                    grants.group_choices(session=session, actor=user))

        who, groups = await self._run(work, Role.ADMIN)
        self.grant_users = [{"id": str(u.user_id), "email": u.email} for u in who.users]
        self.grant_groups = [{"id": str(g.group_id), "label": self._t("agents.group_members", name=g.name,
                                                                      count=g.members)} for g in who.groups]
        self.group_options = [{"id": str(ident), "name": name} for ident, name in groups]

    @rx.event
    @guarded
    async def open_grants(self, agent_id: str, name: str) -> None:
        """Open the grants dialog of a general agent."""
        self.grants_id, self.grants_name, self.grant_email, self.grant_group_id = agent_id, name, "", ""
        await self._grants()

    @rx.event
    def set_grants_open(self, is_open: bool) -> None:
        """The grants dialog's own close."""
        if not is_open:
            self.grants_id = ""

    @rx.event
    def set_grant_email(self, value: str) -> None:
        self.grant_email = value

    @rx.event
    def set_grant_group_id(self, value: str) -> None:
        self.grant_group_id = value

    @rx.event
    @guarded
    async def grant_user(self) -> None:
        """Grant the agent to the account with the e-mail typed."""
        email = self.grant_email
        await self._grants(lambda session, user, agent_id: grants.grant_user(
            session=session, actor=user, agent_id=agent_id, email=email))
        self.grant_email = ""

    @rx.event
    @guarded
    async def grant_group(self) -> None:
        """Grant the agent to the group picked."""
        group_id = parse_id(self.grant_group_id, "agents.group_not_found")
        await self._grants(lambda session, user, agent_id: grants.grant_group(
            session=session, actor=user, agent_id=agent_id, group_id=group_id))
        self.grant_group_id = ""

    @rx.event
    @guarded
    async def revoke_user(self, user_id: str) -> None:
        """Take the agent away from one user."""
        grantee = parse_id(user_id)
        await self._grants(lambda session, user, agent_id: grants.revoke_user(
            session=session, actor=user, agent_id=agent_id, user_id=grantee))

    @rx.event
    @guarded
    async def revoke_group(self, group_id: str) -> None:
        """Take the agent away from one group."""
        group = parse_id(group_id, "agents.group_not_found")
        await self._grants(lambda session, user, agent_id: grants.revoke_group(
            session=session, actor=user, agent_id=agent_id, group_id=group))

"""Skill editors: the user's personal skills (settings page) and the general skills (admin page).

Both share one mixin; each concrete state fixes the scope and the role its events require. The lists in
state hold what a row shows (no system prompts); the editor dialog loads one skill's prompt when opened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import reflex as rx
from sqlmodel import Session

from assistant.core.errors import NotFound
from assistant.models import Skill, User
from assistant.models.user import Role
from assistant.services.chat import skills as skill_service
from assistant.ui.state.auth import AuthState, guarded, parse_id

T = TypeVar("T")

#: The fields of the editor form, as :class:`~assistant.services.chat.skills.SkillInput` names them.
FIELDS = ("name", "description", "system_prompt", "icon", "is_active", "position")
_EMPTY_DRAFT = {"name": "", "description": "", "system_prompt": "", "icon": "sparkles", "is_active": True,
                "position": "0"}


def _row(skill: Skill) -> dict[str, Any]:
    return {
        "id": str(skill.id),
        "name": skill.name,
        "description": skill.description,
        "icon": skill.icon,
        "is_active": skill.is_active,
    }


class SkillEditorState(AuthState, mixin=True):
    """One scope's skill list with create, edit, switch on/off and delete.

    Subclasses set :attr:`scope` and :attr:`minimum_role`.
    """

    scope: ClassVar[skill_service.SkillScope]
    minimum_role: ClassVar[Role]

    skills: list[dict[str, Any]] = []
    dialog_open: bool = False
    editing_id: str = ""
    draft: dict[str, Any] = dict(_EMPTY_DRAFT)
    delete_id: str = ""
    delete_name: str = ""

    @classmethod
    def _lists(cls, session: Session, user: User) -> dict[str, list[dict[str, Any]]]:
        """What the lists show, by state var name (on a worker thread)."""
        rows = skill_service.list_skills(session=session, user=user, scope=cls.scope)
        return {"skills": [_row(skill) for skill in rows]}

    @classmethod
    def _find(cls, session: Session, user: User, skill_id: str) -> Skill:
        """This scope's skill ``skill_id`` as ``user`` sees it (inactive ones included)."""
        wanted = parse_id(skill_id, "skills.not_found")
        for skill in skill_service.list_skills(session=session, user=user, scope=cls.scope):
            if skill.id == wanted:
                return skill
        raise NotFound("skills.not_found")

    async def _run(self, action: Callable[[Session, User], T]) -> T:
        """Run ``action(session, user)`` for a re-checked user, then list the skills again. A rejected
        field is named in the user's language."""
        return await self._run_and_list(action, type(self)._lists, self.minimum_role, catalogue="skills",
                                        fields=FIELDS)

    @rx.event
    @guarded
    async def load(self) -> None:
        """``on_load`` after ``AuthState.check_login``: the skills of this scope.

        Skipped when that check found no session or too low a role (the page's first loader has already
        reacted); every event re-checks the account anyway.
        """
        self.dialog_open = False
        self.delete_id = ""
        if self._role_shown(self.minimum_role):
            await self._run(lambda session, user: None)

    @rx.event
    def open_new(self) -> None:
        """Open the editor on an empty skill."""
        self.editing_id = ""
        self.draft = dict(_EMPTY_DRAFT)
        self.dialog_open = True

    @rx.event
    @guarded
    async def open_edit(self, skill_id: str) -> None:
        """Open the editor on an existing skill, its prompt read now."""
        find = type(self)._find
        skill = await self._run(lambda session, user: find(session, user, skill_id))
        self.editing_id = skill_id
        self.draft = {
            "name": skill.name,
            "description": skill.description,
            "system_prompt": skill.system_prompt,
            "icon": skill.icon,
            "is_active": skill.is_active,
            "position": str(skill.position),
        }
        self.dialog_open = True

    @rx.event
    def set_dialog_open(self, is_open: bool) -> None:
        """The dialog's own open/close (Escape, overlay click, Cancel)."""
        self.dialog_open = is_open

    @rx.event
    @guarded
    async def save(self, form: dict[str, Any]) -> Any:
        """Create or update the skill from the editor form; on an error the dialog stays open as typed."""
        data = {field: form.get(field, "") for field in FIELDS}
        data["is_active"] = form.get("is_active") == "on"
        data["position"] = str(form.get("position", "")).strip() or "0"
        editing_id, scope = self.editing_id, self.scope

        def _save(session: Session, user: User) -> None:
            if editing_id:
                skill_id = parse_id(editing_id, "skills.not_found")
                skill_service.update_skill(session=session, user=user, skill_id=skill_id, data=data)
            else:
                skill_service.create_skill(session=session, user=user, scope=scope, data=data)

        await self._run(_save)
        self.dialog_open = False
        return rx.toast.success(self._t("skills.saved"))

    @rx.event
    @guarded
    async def set_active(self, skill_id: str, active: bool) -> None:
        """Switch a skill on or off from its row."""
        find = type(self)._find

        def _switch(session: Session, user: User) -> None:
            skill = find(session, user, skill_id)
            data = {field: getattr(skill, field) for field in FIELDS}
            skill_service.update_skill(session=session, user=user, skill_id=skill.id,
                                       data={**data, "is_active": bool(active)})

        await self._run(_switch)

    @rx.event
    def ask_delete(self, skill_id: str, name: str) -> None:
        """Open the delete confirmation for one skill."""
        self.delete_id = skill_id
        self.delete_name = name

    @rx.event
    def set_delete_open(self, is_open: bool) -> None:
        """The confirmation's own close (Escape, Cancel): nothing is deleted."""
        if not is_open:
            self.delete_id = ""
            self.delete_name = ""

    @rx.event
    @guarded
    async def confirm_delete(self) -> Any:
        """Delete the skill the confirmation was opened for."""
        skill_id = self.delete_id
        self.delete_id = ""
        self.delete_name = ""
        await self._run(lambda session, user: skill_service.delete_skill(
            session=session, user=user, skill_id=parse_id(skill_id, "skills.not_found")))
        return rx.toast.success(self._t("skills.deleted"))


class PersonalSkillsState(SkillEditorState, AuthState):
    """The signed-in user's own skills, and the general ones read-only (settings page)."""

    scope: ClassVar[skill_service.SkillScope] = "personal"
    minimum_role: ClassVar[Role] = Role.USER

    general_skills: list[dict[str, Any]] = []

    @classmethod
    def _lists(cls, session: Session, user: User) -> dict[str, list[dict[str, Any]]]:
        general = skill_service.list_skills(session=session, user=user, scope="general", active_only=True)
        return {**super()._lists(session, user), "general_skills": [_row(skill) for skill in general]}


class GeneralSkillsState(SkillEditorState, AuthState):
    """The general skills every user may pick (admin page)."""

    scope: ClassVar[skill_service.SkillScope] = "general"
    minimum_role: ClassVar[Role] = Role.ADMIN

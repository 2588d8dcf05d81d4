"""The Groups section of the admin console's Users page: create, rename and describe, members by e-mail,
delete (refused while a collection or an agent is granted to the group). Every event re-checks the admin role in
the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from assistant.models import User
from assistant.models.user import Role
from assistant.services.admin import groups as service
from assistant.ui.state.auth import AuthState, guarded, parse_id

T = TypeVar("T")
NOT_FOUND = "groups.not_found"


def _rows(session: Session, actor: User) -> list[dict[str, Any]]:
    """The groups as shown (on a worker thread)."""
    return [
        {
            "id": str(view.id),
            "name": view.name,
            "description": view.description,
            "members": [{"user_id": str(m.user_id), "email": m.email} for m in view.members],
            "uses": ", ".join([*view.collections, *view.agents]),
        }
        for view in service.list_groups(session=session, actor=actor)
    ]


class GroupsState(AuthState):
    """``groups`` as shown: ``id``, ``name``, ``description``, ``members`` (``[{"user_id", "email"}]``) and
    ``uses`` (the collections and agents granted to it, by name)."""

    groups: list[dict[str, Any]] = []
    #: Changes after a group is created, so the form shows empty inputs again.
    group_form_key: int = 0
    #: The group whose edit dialog is open ("" when none).
    editing_id: str = ""

    async def _admin(self, action: Callable[[Session, User], T]) -> T:
        """Run ``action(session, actor)`` as a re-checked admin, then show the groups again."""
        def run(session: Session, actor: User) -> tuple[T, list[dict[str, Any]]]:
            return action(session, actor), _rows(session, actor)

        result, self.groups = await self._run_as_user(run, minimum_role=Role.ADMIN)
        return result

    @rx.event
    @guarded
    async def load(self) -> None:
        """``on_load``: the groups (skipped when the page's session check found no session)."""
        if self._role_shown(Role.USER):  # signed in (a plain user is refused, not shown an empty page)
            await self._admin(lambda session, actor: None)

    @rx.event
    @guarded
    async def create(self, form: dict[str, Any]) -> Any:
        """Create a group from the form's ``name`` and ``description``."""
        name = await self._admin(lambda session, actor: service.create_group(
            session=session, actor=actor, name=str(form.get("name", "")),
            description=str(form.get("description", ""))).name)
        self.group_form_key += 1
        return rx.toast.success(self._t("groups.created", name=name))

    @rx.event
    def edit(self, group_id: str) -> None:
        """Open the edit dialog of ``group_id`` (it shows the name and description as listed)."""
        self.editing_id = group_id

    @rx.event
    def close_edit(self, is_open: bool = False) -> None:
        """Close the edit dialog (its cancel button, Escape or a click outside it)."""
        if not is_open:
            self.editing_id = ""

    @rx.event
    @guarded
    async def update(self, form: dict[str, Any]) -> Any:
        """Rename and describe ``form["group_id"]`` from the form's ``name`` and ``description``; the dialog
        stays open with what was typed when the name is refused."""
        name = await self._admin(lambda session, actor: service.update_group(
            session=session, actor=actor, group_id=parse_id(form.get("group_id", ""), NOT_FOUND),
            name=str(form.get("name", "")), description=str(form.get("description", ""))).name)
        self.editing_id = ""
        return rx.toast.success(self._t("groups.updated", name=name))

    @rx.event
    @guarded
    async def add_member(self, form: dict[str, Any]) -> Any:
        """Add the account with ``form["email"]`` to ``form["group_id"]``."""
        email = await self._admin(lambda session, actor: service.add_member(
            session=session, actor=actor, group_id=parse_id(form.get("group_id", ""), NOT_FOUND),
            email=str(form.get("email", ""))).email)
        return rx.toast.success(self._t("groups.member_added", email=email))

    @rx.event
    @guarded
    async def remove_member(self, group_id: str, user_id: str, email: str) -> Any:
        """Take ``user_id`` out of the group (``email`` only names them in the message)."""
        await self._admin(lambda session, actor: service.remove_member(
            session=session, actor=actor, group_id=parse_id(group_id, NOT_FOUND), user_id=parse_id(user_id)))
        return rx.toast.success(self._t("groups.member_removed", email=email))

    @rx.event
    @guarded
    async def delete(self, group_id: str, name: str) -> Any:
        """Delete the group (after the confirmation dialog); refused while it is granted something."""
        await self._admin(lambda session, actor: service.delete_group(
            session=session, actor=actor, group_id=parse_id(group_id, NOT_FOUND)))
        return rx.toast.success(self._t("groups.deleted", name=name))

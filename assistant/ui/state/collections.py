"""The collections card of the admin page: create, list with counts, grant to a user by e-mail or to a group,
revoke, delete. Every event re-checks the admin role (:meth:`AuthState._run_as_user` with ``Role.ADMIN``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.models import User
from assistant.models.user import Role
from assistant.services.admin import groups as group_service
from assistant.services.rag import collections as service
from assistant.ui.state.auth import AuthState, guarded, parse_id

T = TypeVar("T")
NOT_FOUND = "collections.not_found"


class CollectionsState(AuthState):
    """``collections`` as shown: ``id``, ``name``, ``description``, ``documents`` and ``grants`` (counts as
    text), ``grantees`` (``[{"user_id", "email", "name"}]``) and ``groups`` granted it (``[{"group_id", "name"}]``);
    ``group_options``: every group (``{"id", "name"}``) to grant to."""

    collections: list[dict[str, Any]] = []
    group_options: list[dict[str, str]] = []
    loaded: bool = False
    #: Changes after a collection is created, so the creation form shows empty inputs again.
    form_key: int = 0

    @staticmethod
    def _rows(session: Session, user: User) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
        """The collections as shown and the groups to grant to (on a worker thread)."""
        grantees = service.grantees_by_collection(session=session, user=user)
        groups = group_service.groups_by_collection(session=session, actor=user)
        options = [{"id": str(g.id), "name": g.name} for g in group_service.list_groups(session=session, actor=user)]
        return [
            {
                "id": str(view.id),
                "name": view.name,
                "description": view.description,
                "documents": str(view.document_count),
                "grants": str(view.grant_count),
                "grantees": [{"user_id": str(g.user_id), "email": g.email, "name": g.display_name}
                             for g in grantees.get(view.id, [])],
                "groups": [{"group_id": str(group_id), "name": name} for group_id, name in groups.get(view.id, [])],
            }
            for view in service.list_collections(session=session, user=user)
        ], options

    async def _admin(self, action: Callable[[Session, User], T]) -> T:
        """Run ``action(session, user)`` as a re-checked admin, then show the collections again.
        Returns what ``action`` returned, or raises its :class:`AppError`."""
        def run(session: Session, user: User) -> tuple[T, tuple[list[dict[str, Any]], list[dict[str, str]]]]:
            return action(session, user), CollectionsState._rows(session, user)

        result, (self.collections, self.group_options) = await self._run_as_user(run, minimum_role=Role.ADMIN)
        self.loaded = True
        return result

    @rx.event
    @guarded
    async def load(self) -> None:
        """Show the collections (chained from ``AdminState.load``); skipped when the page's session check
        found no admin (it has already reacted)."""
        if self._role_shown(Role.ADMIN):
            await self._admin(lambda session, user: None)

    @rx.event
    @guarded
    async def create(self, form: dict[str, Any]) -> Any:
        """Create a collection from the form's ``name`` and ``description``; on an error the form keeps
        what was typed."""
        def create(session: Session, user: User) -> str:
            return service.create_collection(session=session, user=user, name=str(form.get("name", "")),
                                             description=str(form.get("description", ""))).name

        name = await self._admin(create)
        self.form_key += 1
        return rx.toast.success(self._t("collections.created", name=name))

    @rx.event
    @guarded
    async def grant(self, form: dict[str, Any]) -> Any:
        """Grant the collection ``form["collection_id"]`` to the account with ``form["email"]``."""
        email = str(form.get("email", ""))

        def grant(session: Session, user: User) -> tuple[str, str]:
            collection_id = parse_id(form.get("collection_id", ""), NOT_FOUND)
            grantee = service.grant(session=session, user=user, collection_id=collection_id, email=email)
            return grantee.email, service.get_collection(session=session, user=user, collection_id=collection_id).name

        granted, name = await self._admin(grant)
        return rx.toast.success(self._t("collections.granted", email=granted, name=name))

    @rx.event
    @guarded
    async def revoke(self, collection_id: str, user_id: str, email: str) -> Any:
        """Take the collection away from ``user_id`` (``email`` only names them in the message)."""
        await self._admin(lambda session, user: service.revoke(
            session=session, user=user, collection_id=parse_id(collection_id, NOT_FOUND),
            user_id=parse_id(user_id, NOT_FOUND)))
        return rx.toast.success(self._t("collections.revoked", email=email))

    @rx.event
    @guarded
    async def grant_group(self, form: dict[str, Any]) -> Any:
        """Grant the collection ``form["collection_id"]`` to the group ``form["group_id"]``."""
        def grant(session: Session, user: User) -> tuple[str, str]:
            collection_id = parse_id(form.get("collection_id", ""), NOT_FOUND)
            group_id = parse_id(form.get("group_id", ""), "groups.not_found")
            group_service.grant_collection(session=session, actor=user, collection_id=collection_id,
                                           group_id=group_id)
            return (group_service.get_group(session=session, actor=user, group_id=group_id).name,
                    service.get_collection(session=session, user=user, collection_id=collection_id).name)

        group, name = await self._admin(grant)
        return rx.toast.success(self._t("collections.group_granted", group=group, name=name))

    @rx.event
    @guarded
    async def revoke_group(self, collection_id: str, group_id: str, group: str) -> Any:
        """Take the collection away from the group ``group_id`` (``group`` only names it in the message)."""
        await self._admin(lambda session, user: group_service.revoke_collection(
            session=session, actor=user, collection_id=parse_id(collection_id, NOT_FOUND),
            group_id=parse_id(group_id, "groups.not_found")))
        return rx.toast.success(self._t("collections.group_revoked", group=group))

    @rx.event
    @guarded
    async def delete(self, collection_id: str) -> Any:
        """Delete the collection and its documents (after the confirmation dialog)."""
        settings = get_settings()

        def delete(session: Session, user: User) -> tuple[str, int]:
            cid = parse_id(collection_id, NOT_FOUND)
            name = service.get_collection(session=session, user=user, collection_id=cid).name
            return name, service.delete_collection(session=session, user=user, collection_id=cid, settings=settings)

        name, count = await self._admin(delete)
        return rx.toast.success(self._t("collections.deleted", name=name, count=count))

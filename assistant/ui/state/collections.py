"""The collections card of the admin page: create, list with counts, grant by e-mail, revoke, delete.
Every event re-checks the admin role (:meth:`AuthState.run_as_user` with ``Role.ADMIN``)."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx
from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.core.errors import AppError, NotFound
from assistant.models import User
from assistant.models.user import Role
from assistant.services.rag import collections as service
from assistant.ui.state.auth import AuthState
from assistant.ui.state.context import shown_role_suffices


def _parse_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFound("collections.not_found") from exc


class CollectionsState(AuthState):
    """``collections`` as shown: ``id``, ``name``, ``description``, ``documents`` and ``grants`` (counts as
    text) and ``grantees`` (``[{"user_id", "email", "name"}]``)."""

    collections: list[dict[str, Any]] = []
    loaded: bool = False
    #: Changes after a collection is created, so the creation form shows empty inputs again.
    form_key: int = 0

    def _show(self, session: Session, user: User) -> None:
        grantees = service.grantees_by_collection(session=session, user=user)
        self.collections = [
            {
                "id": str(view.id),
                "name": view.name,
                "description": view.description,
                "documents": str(view.document_count),
                "grants": str(view.grant_count),
                "grantees": [{"user_id": str(g.user_id), "email": g.email, "name": g.display_name}
                             for g in grantees.get(view.id, [])],
            }
            for view in service.list_collections(session=session, user=user)
        ]
        self.loaded = True

    def _admin(self, action: Any) -> Any:
        """Run ``action(session, user)`` as a re-checked admin, then show the collections again.
        Returns what ``action`` returned, or raises its :class:`AppError`."""
        def run(session: Session, user: User) -> Any:
            result = action(session, user)
            self._show(session, user)
            return result

        return self.run_as_user(run, minimum_role=Role.ADMIN)

    @rx.event
    def load(self) -> Any:
        """Show the collections (chained from ``AdminState.load``); skipped when the page's session check
        found no admin (it has already reacted)."""
        if not shown_role_suffices(self, Role.ADMIN):
            return None
        try:
            self._admin(lambda session, user: None)
        except AppError as exc:
            return self.handle_error(exc)
        return None

    @rx.event
    def create(self, form: dict[str, Any]) -> Any:
        """Create a collection from the form's ``name`` and ``description``; on an error the form keeps
        what was typed."""
        def create(session: Session, user: User) -> str:
            return service.create_collection(session=session, user=user, name=str(form.get("name", "")),
                                             description=str(form.get("description", ""))).name

        try:
            name = self._admin(create)
        except AppError as exc:
            return self.handle_error(exc)
        self.form_key += 1
        return rx.toast.success(self.t("collections.created", name=name))

    @rx.event
    def grant(self, form: dict[str, Any]) -> Any:
        """Grant the collection ``form["collection_id"]`` to the account with ``form["email"]``."""
        email = str(form.get("email", ""))

        def grant(session: Session, user: User) -> tuple[str, str]:
            collection_id = _parse_id(form.get("collection_id", ""))
            grantee = service.grant(session=session, user=user, collection_id=collection_id, email=email)
            return grantee.email, service.get_collection(session=session, user=user, collection_id=collection_id).name

        try:
            granted, name = self._admin(grant)
        except AppError as exc:
            return self.handle_error(exc)
        return rx.toast.success(self.t("collections.granted", email=granted, name=name))

    @rx.event
    def revoke(self, collection_id: str, user_id: str, email: str) -> Any:
        """Take the collection away from ``user_id`` (``email`` only names them in the message)."""
        try:
            self._admin(lambda session, user: service.revoke(
                session=session, user=user, collection_id=_parse_id(collection_id), user_id=_parse_id(user_id)))
        except AppError as exc:
            return self.handle_error(exc)
        return rx.toast.success(self.t("collections.revoked", email=email))

    @rx.event
    def delete(self, collection_id: str) -> Any:
        """Delete the collection and its documents (after the confirmation dialog)."""
        settings = get_settings()

        def delete(session: Session, user: User) -> tuple[str, int]:
            cid = _parse_id(collection_id)
            name = service.get_collection(session=session, user=user, collection_id=cid).name
            return name, service.delete_collection(session=session, user=user, collection_id=cid, settings=settings)

        try:
            name, count = self._admin(delete)
        except AppError as exc:
            return self.handle_error(exc)
        return rx.toast.success(self.t("collections.deleted", name=name, count=count))

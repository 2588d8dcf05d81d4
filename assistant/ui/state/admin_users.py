"""The admin console's Users page: the accounts (role, active, chat limit), creating one with a one-time password
or an invitation link (shown once), resetting a password, deleting an account. Every event re-checks the admin
role in the database (:meth:`AuthState._run_as_user` with ``Role.ADMIN``); the rules are the service's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

import reflex as rx
from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.core.errors import InvalidInput
from assistant.models import User
from assistant.models.user import Role
from assistant.services.admin import users as admin_users
from assistant.ui.state.auth import AuthState, guarded, parse_id

T = TypeVar("T")


def _rows(session: Session, actor: User) -> list[dict[str, str]]:
    """The accounts as shown (on a worker thread)."""
    return [
        {
            "id": str(user.id),
            "email": user.email,
            "name": user.display_name,
            "role": user.role,
            "active": "yes" if user.is_active else "no",
            "is_self": "yes" if user.id == actor.id else "no",
            "max_chats": "" if user.max_chats is None else str(user.max_chats),
            "pending": "yes" if user.must_change_password else "no",
        }
        for user in admin_users.list_users(session=session, actor=actor)
    ]


def _max_chats(value: object) -> int | None:
    """The chat limit typed in the form: a whole number, or None when left empty.

    Raises:
        InvalidInput: ``admin.users.max_chats_range`` for anything else.
    """
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError as exc:
        low, high = admin_users.MAX_CHATS_RANGE
        raise InvalidInput("admin.users.max_chats_range", low=low, high=high) from exc


class AdminUsersState(AuthState):
    """``users`` as shown (``id``, ``email``, ``name``, ``role``, ``active``/``is_self``/``pending`` as
    ``yes``/``no``, ``max_chats`` or ``""`` for the default). ``secret``: the one-time password or invitation
    link just made, shown once in a dialog (``secret_kind`` ``password`` or ``invitation``, for
    ``secret_email``) and forgotten when the dialog closes."""

    users: list[dict[str, str]] = []
    secret: str = ""
    secret_kind: str = ""
    secret_email: str = ""
    #: Changes after an account is created, so the form shows empty inputs again.
    create_form_key: int = 0

    async def _admin(self, action: Callable[[Session, User], T]) -> T:
        """Run ``action(session, actor)`` as a re-checked admin, then show the accounts again."""
        def run(session: Session, actor: User) -> tuple[T, list[dict[str, str]]]:
            return action(session, actor), _rows(session, actor)

        result, self.users = await self._run_as_user(run, minimum_role=Role.ADMIN)
        return result

    def _show_secret(self, kind: str, email: str, secret: str) -> None:
        self.secret_kind, self.secret_email, self.secret = kind, email, secret

    @rx.event
    @guarded
    async def load(self) -> None:
        """``on_load``: the accounts (skipped when the page's session check found no session)."""
        self.secret = self.secret_kind = self.secret_email = ""
        if self._role_shown(Role.USER):  # signed in (a plain user is refused, not shown an empty page)
            await self._admin(lambda session, actor: None)

    @rx.event
    @guarded
    async def create(self, form: dict[str, Any]) -> None:
        """Create a plain user from the form's ``email``, ``display_name`` and ``method`` (``password`` or
        ``invitation``); show what to hand over once."""
        method: Literal["password", "invitation"] = "invitation" if form.get("method") == "invitation" else "password"
        language = self.lang

        def create(session: Session, actor: User) -> admin_users.CreatedUser:
            return admin_users.create_user(session=session, actor=actor, email=str(form.get("email", "")),
                                           display_name=str(form.get("display_name", "")), language=language,
                                           method=method)

        created = await self._admin(create)
        self.create_form_key += 1
        self._show_secret(method, created.user.email, created.one_time_password or created.invitation_link)

    @rx.event
    def close_secret(self, is_open: bool = False) -> None:
        """The secret's dialog closed: forget the secret."""
        if not is_open:
            self.secret = self.secret_kind = self.secret_email = ""

    @rx.event
    @guarded
    async def change_role(self, user_id: str, role: str) -> Any:
        await self._admin(lambda session, actor: admin_users.set_role(
            session=session, actor=actor, user_id=parse_id(user_id), role=role))
        return rx.toast.success(self._t("common.saved"))

    @rx.event
    @guarded
    async def toggle_active(self, user_id: str, active: str) -> None:
        await self._admin(lambda session, actor: admin_users.set_active(
            session=session, actor=actor, user_id=parse_id(user_id), active=active != "yes"))

    @rx.event
    @guarded
    async def reset_password(self, user_id: str) -> None:
        """A new one-time password for the account, shown once."""
        def reset(session: Session, actor: User) -> tuple[str, str]:
            password = admin_users.reset_password(session=session, actor=actor, user_id=parse_id(user_id))
            target = session.get(User, parse_id(user_id))
            return (target.email if target else ""), password

        email, password = await self._admin(reset)
        self._show_secret("password", email, password)

    @rx.event
    @guarded
    async def save_max_chats(self, form: dict[str, Any]) -> Any:
        """Store the form's ``max_chats`` (empty: the instance's default) for ``user_id``."""
        await self._admin(lambda session, actor: admin_users.set_max_chats(
            session=session, actor=actor, user_id=parse_id(form.get("user_id", "")),
            max_chats=_max_chats(form.get("max_chats"))))
        return rx.toast.success(self._t("common.saved"))

    @rx.event
    @guarded
    async def delete_user(self, user_id: str, email: str) -> Any:
        """Delete the account with all its data (after the confirmation dialog)."""
        settings = get_settings()
        await self._admin(lambda session, actor: admin_users.delete_user(
            session=session, actor=actor, user_id=parse_id(user_id), settings=settings))
        return rx.toast.success(self._t("admin.users.deleted", email=email))

"""The admin page: registration switch and user management. Every event re-checks the admin role."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from assistant.core.errors import AppError, InvalidInput, NotFound
from assistant.models.user import Role
from assistant.services.admin import users as admin_users
from assistant.services.admin.settings import DEFAULT_MAX_CHATS, REGISTRATION_ENABLED, get_setting, set_setting
from assistant.ui.state.auth import AuthState


def _parse_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound("errors.not_found") from exc


class AdminState(AuthState):
    registration_enabled: bool = True
    default_max_chats: str = ""
    users: list[dict[str, str]] = []

    def _refresh(self, session: Any, actor: Any) -> None:
        self.registration_enabled = bool(get_setting(session=session, key=REGISTRATION_ENABLED))
        self.default_max_chats = str(get_setting(session=session, key=DEFAULT_MAX_CHATS))
        self.users = [
            {
                "id": str(user.id),
                "email": user.email,
                "name": user.display_name,
                "role": user.role,
                "active": "yes" if user.is_active else "no",
                "is_self": "yes" if user.id == actor.id else "no",
            }
            for user in admin_users.list_users(session=session, actor=actor)
        ]

    def _admin_action(self, action: Any) -> Any:
        def _run(session: Any, actor: Any) -> None:
            action(session, actor)
            self._refresh(session, actor)

        try:
            self.run_as_user(_run, minimum_role=Role.ADMIN)
        except AppError as exc:
            return self.handle_error(exc)
        return None

    @rx.event
    def load(self) -> Any:
        return self._admin_action(lambda session, actor: None)

    @rx.event
    def set_registration(self, enabled: bool) -> Any:
        return self._admin_action(
            lambda session, actor: set_setting(session=session, actor=actor, key=REGISTRATION_ENABLED, value=bool(enabled))
        )

    @rx.event
    def save_default_max_chats(self, form: dict[str, Any]) -> Any:
        """Store how many chats a user may keep unless their account has its own limit."""
        def save(session: Any, actor: Any) -> None:
            try:
                value = int(str(form.get("default_max_chats", "")).strip())
            except ValueError as exc:
                raise InvalidInput("admin.bad_setting_value", key=DEFAULT_MAX_CHATS) from exc
            set_setting(session=session, actor=actor, key=DEFAULT_MAX_CHATS, value=value)

        failed = self._admin_action(save)
        return failed if failed is not None else rx.toast.success(self.t("common.saved"))

    @rx.event
    def change_role(self, user_id: str, role: str) -> Any:
        return self._admin_action(
            lambda session, actor: admin_users.set_role(session=session, actor=actor, user_id=_parse_id(user_id), role=role)
        )

    @rx.event
    def toggle_active(self, user_id: str, active: str) -> Any:
        return self._admin_action(
            lambda session, actor: admin_users.set_active(
                session=session, actor=actor, user_id=_parse_id(user_id), active=active != "yes"
            )
        )

"""The admin page: registration switch and user management. Every event re-checks the admin role."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from assistant.core.errors import AppError, InvalidInput, NotFound
from assistant.models.user import Role
from assistant.services.admin import users as admin_users
from assistant.services.admin.settings import (
    DEFAULT_MAX_CHATS,
    MAX_DOCUMENTS_PER_USER,
    MAX_UPLOAD_MB,
    RANGES,
    REGISTRATION_ENABLED,
    USER_STORAGE_QUOTA_MB,
    get_setting,
    set_setting,
)
from assistant.ui.state.auth import AuthState
from assistant.ui.state.collections import CollectionsState

#: The upload limits' form: field name -> (setting, label key).
UPLOAD_FIELDS = {
    "max_upload_mb": (MAX_UPLOAD_MB, "admin.uploads.max_upload_mb"),
    "user_quota_mb": (USER_STORAGE_QUOTA_MB, "admin.uploads.user_quota_mb"),
    "max_documents": (MAX_DOCUMENTS_PER_USER, "admin.uploads.max_documents"),
}


def _parse_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound("errors.not_found") from exc


class AdminState(AuthState):
    registration_enabled: bool = True
    default_max_chats: str = ""
    users: list[dict[str, str]] = []
    #: The upload limits as stored, by the names of :data:`UPLOAD_FIELDS`.
    upload_limits: dict[str, str] = {}
    #: Changes whenever the upload limits' inputs must show the stored values again.
    upload_limits_key: int = 0

    @rx.var
    def upload_form_key(self) -> str:
        """Key of the upload limits' form: new when stored values arrive or were just saved."""
        return "-".join([str(self.upload_limits_key), *(self.upload_limits.get(field, "") for field in UPLOAD_FIELDS)])

    def _refresh(self, session: Any, actor: Any) -> None:
        self.registration_enabled = bool(get_setting(session=session, key=REGISTRATION_ENABLED))
        self.default_max_chats = str(get_setting(session=session, key=DEFAULT_MAX_CHATS))
        self.upload_limits = {field: str(get_setting(session=session, key=key))
                              for field, (key, _) in UPLOAD_FIELDS.items()}
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
        """``on_load``: settings and users, then the collections card (its own substate)."""
        failed = self._admin_action(lambda session, actor: None)
        return failed if failed is not None else CollectionsState.load

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
    def save_upload_limits(self, form: dict[str, Any]) -> Any:
        """Store the largest upload, the space per user and the documents per user, all or none: a
        value that is no whole number or is out of range names its field and nothing is changed."""
        def save(session: Any, actor: Any) -> None:
            for field, (key, label) in UPLOAD_FIELDS.items():
                try:
                    value = int(str(form.get(field, "")).strip())
                    set_setting(session=session, actor=actor, key=key, value=value)
                except (ValueError, InvalidInput) as exc:
                    low, high = RANGES[key]
                    raise InvalidInput("admin.uploads.out_of_range", field=self.t(label), low=low, high=high) from exc

        failed = self._admin_action(save)
        if failed is not None:
            return failed  # the inputs keep what was typed
        self.upload_limits_key += 1  # show the values as stored
        return rx.toast.success(self.t("admin.uploads.saved"))

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

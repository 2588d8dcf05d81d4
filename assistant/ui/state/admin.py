"""The admin page: registration switch, chat and upload limits. Every event re-checks the admin role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx
from sqlmodel import Session

from assistant.core.errors import InvalidInput
from assistant.models import User
from assistant.models.user import Role
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
from assistant.ui.state.auth import AuthState, guarded
from assistant.ui.state.collections import CollectionsState

#: The upload limits' form: field name -> (setting, label key).
UPLOAD_FIELDS = {
    "max_upload_mb": (MAX_UPLOAD_MB, "admin.uploads.max_upload_mb"),
    "user_quota_mb": (USER_STORAGE_QUOTA_MB, "admin.uploads.user_quota_mb"),
    "max_documents": (MAX_DOCUMENTS_PER_USER, "admin.uploads.max_documents"),
}


class AdminState(AuthState):
    registration_enabled: bool = True
    default_max_chats: str = ""
    #: The upload limits as stored, by the names of :data:`UPLOAD_FIELDS`.
    upload_limits: dict[str, str] = {}
    #: Changes whenever the upload limits' inputs must show the stored values again.
    upload_limits_key: int = 0

    @rx.var
    def upload_form_key(self) -> str:
        """Key of the upload limits' form: new when stored values arrive or were just saved."""
        return "-".join([str(self.upload_limits_key), *(self.upload_limits.get(field, "") for field in UPLOAD_FIELDS)])

    @staticmethod
    def _stored(session: Session, actor: User) -> dict[str, Any]:
        """What the page shows, by state var name (on a worker thread)."""
        return {
            "registration_enabled": bool(get_setting(session=session, key=REGISTRATION_ENABLED)),
            "default_max_chats": str(get_setting(session=session, key=DEFAULT_MAX_CHATS)),
            "upload_limits": {field: str(get_setting(session=session, key=key))
                              for field, (key, _) in UPLOAD_FIELDS.items()},
        }

    async def _admin_action(self, action: Callable[[Session, User], object]) -> None:
        """Run ``action(session, actor)`` as a re-checked admin, then show the settings again.

        Raises:
            AppError: what the check or ``action`` raised.
        """
        def run(session: Session, actor: User) -> dict[str, Any]:
            action(session, actor)
            return AdminState._stored(session, actor)

        for name, value in (await self._run_as_user(run, minimum_role=Role.ADMIN)).items():
            setattr(self, name, value)

    @rx.event
    @guarded
    async def load(self) -> Any:
        """``on_load``: the settings, then the collections card (its own substate)."""
        await self._admin_action(lambda session, actor: None)
        return CollectionsState.load

    @rx.event
    @guarded
    async def set_registration(self, enabled: bool) -> None:
        await self._admin_action(
            lambda session, actor: set_setting(session=session, actor=actor, key=REGISTRATION_ENABLED,
                                               value=bool(enabled))
        )

    @rx.event
    @guarded
    async def save_default_max_chats(self, form: dict[str, Any]) -> Any:
        """Store how many chats a user may keep unless their account has its own limit."""
        def save(session: Session, actor: User) -> None:
            try:
                value = int(str(form.get("default_max_chats", "")).strip())
            except ValueError as exc:
                raise InvalidInput("admin.bad_setting_value", key=DEFAULT_MAX_CHATS) from exc
            set_setting(session=session, actor=actor, key=DEFAULT_MAX_CHATS, value=value)

        await self._admin_action(save)
        return rx.toast.success(self._t("common.saved"))

    @rx.event
    @guarded
    async def save_upload_limits(self, form: dict[str, Any]) -> Any:
        """Store the largest upload, the space per user and the documents per user, all or none: a
        value that is no whole number or is out of range names its field and nothing is changed."""
        labels = {field: self._t(label) for field, (_, label) in UPLOAD_FIELDS.items()}

        def save(session: Session, actor: User) -> None:
            for field, (key, _) in UPLOAD_FIELDS.items():
                try:
                    value = int(str(form.get(field, "")).strip())
                    set_setting(session=session, actor=actor, key=key, value=value)
                except (ValueError, InvalidInput) as exc:
                    low, high = RANGES[key]
                    raise InvalidInput("admin.uploads.out_of_range", field=labels[field], low=low, high=high) from exc

        await self._admin_action(save)  # on an error the inputs keep what was typed
        self.upload_limits_key += 1  # show the values as stored
        return rx.toast.success(self._t("admin.uploads.saved"))

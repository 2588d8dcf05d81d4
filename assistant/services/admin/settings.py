"""Instance settings stored in ``app_settings`` (admin-editable at run time)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from assistant.core.errors import InvalidInput
from assistant.models import AppSetting, User
from assistant.models.user import Role
from assistant.services.admin import audit
from assistant.services.auth.permissions import require_role

REGISTRATION_ENABLED = "registration_enabled"
#: How many chats a user may keep unless their account sets its own ``max_chats``.
DEFAULT_MAX_CHATS = "default_max_chats"
#: The largest file a user may upload, in MiB.
MAX_UPLOAD_MB = "max_upload_mb"
#: How much a user's uploads may take together, in MiB.
USER_STORAGE_QUOTA_MB = "user_storage_quota_mb"
#: How many documents a user may keep.
MAX_DOCUMENTS_PER_USER = "max_documents_per_user"
#: ``{tier: {provider, model, max_tokens, temperature, context_window}}``, see ``services.llm.tiers``.
MODEL_TIERS = "model_tiers"

#: Known settings and their defaults; anything else is refused.
DEFAULTS: dict[str, Any] = {
    REGISTRATION_ENABLED: True,
    DEFAULT_MAX_CHATS: 1000,
    MODEL_TIERS: {},
    MAX_UPLOAD_MB: 100,
    USER_STORAGE_QUOTA_MB: 2048,
    MAX_DOCUMENTS_PER_USER: 1000,
}
#: Inclusive bounds of numeric settings.
RANGES: dict[str, tuple[int, int]] = {
    DEFAULT_MAX_CHATS: (1, 100_000),
    MAX_UPLOAD_MB: (1, 4096),
    USER_STORAGE_QUOTA_MB: (1, 10_000_000),
    MAX_DOCUMENTS_PER_USER: (1, 1_000_000),
}


def get_setting(*, session: Session, key: str) -> Any:
    """The stored value of ``key``, or its default.

    Raises:
        InvalidInput: ``admin.unknown_setting`` for a key not in :data:`DEFAULTS`.
    """
    if key not in DEFAULTS:
        raise InvalidInput("admin.unknown_setting", key=key)
    row = session.get(AppSetting, key)
    return DEFAULTS[key] if row is None else row.value


def set_setting(*, session: Session, actor: User, key: str, value: Any) -> None:
    """Store ``value`` for ``key``; only admins may.

    Raises:
        Forbidden: the actor is not an admin.
        InvalidInput: unknown key, a value of another type than the default's, or a number outside
            :data:`RANGES`.
    """
    require_role(actor, Role.ADMIN)
    if key not in DEFAULTS:
        raise InvalidInput("admin.unknown_setting", key=key)
    if type(value) is not type(DEFAULTS[key]):
        raise InvalidInput("admin.bad_setting_value", key=key)
    if key in RANGES and not RANGES[key][0] <= value <= RANGES[key][1]:
        raise InvalidInput("admin.setting_out_of_range", low=RANGES[key][0], high=RANGES[key][1])
    write_setting_row(session, key, value, actor=actor)


def write_setting_row(session: Session, key: str, value: Any, *, actor: User | None) -> None:
    """Insert or replace the ``app_settings`` row ``key`` with ``value`` (JSON) without any check: for the
    callers that validated the value and the actor themselves (:func:`set_setting`, the channel settings).

    Args:
        actor: the admin who changed it: the change goes to the audit log (``setting.update``, the value
            before and after, secrets redacted); None for a change the system makes (nothing is logged).
    """
    row = session.get(AppSetting, key)
    before = DEFAULTS.get(key) if row is None else row.value
    if row is None:
        session.add(AppSetting(key=key, value=value))
    else:
        row.value = value
        session.add(row)
    session.flush()
    if actor is not None and before != value:
        audit.record(session, actor=actor, action="setting.update", target_type="setting", target_id=key,
                     target_label=key, before=before, after=value)

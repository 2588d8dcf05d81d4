"""Role checks shared by every service."""

from __future__ import annotations

from assistant.core.errors import Forbidden
from assistant.models.user import Role, User


def has_role(user: User, minimum: Role) -> bool:
    """True when ``user`` is active and at least ``minimum`` (superadmin > admin > user)."""
    return user.is_active and Role(user.role).rank >= minimum.rank


def require_role(user: User, minimum: Role) -> None:
    """Raise ``Forbidden`` unless ``user`` is active and holds at least ``minimum``."""
    if not has_role(user, minimum):
        raise Forbidden("errors.forbidden")

"""User management by admins: list, change role, activate or deactivate."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from assistant.core.errors import Forbidden, InvalidInput, NotFound
from assistant.models import AuthSession, User
from assistant.models.user import Role
from assistant.services.auth.permissions import require_role


def list_users(*, session: Session, actor: User) -> list[User]:
    """All accounts, oldest first. Admins only (raises ``Forbidden``)."""
    require_role(actor, Role.ADMIN)
    return list(session.exec(select(User).order_by(col(User.created_at))).all())


def _target(session: Session, actor: User, user_id: uuid.UUID) -> User:
    target = session.get(User, user_id)
    if target is None:
        raise NotFound("errors.not_found")
    if target.id == actor.id:
        raise Forbidden("admin.cannot_change_self")
    if Role(target.role) is Role.SUPERADMIN and Role(actor.role) is not Role.SUPERADMIN:
        raise Forbidden("errors.forbidden")
    return target


def set_role(*, session: Session, actor: User, user_id: uuid.UUID, role: str) -> User:
    """Give ``user_id`` the role ``role``. Admins manage users; only a superadmin grants or removes
    admin and superadmin. Nobody changes their own role.

    Raises:
        Forbidden, NotFound, InvalidInput (``admin.unknown_role``).
    """
    require_role(actor, Role.ADMIN)
    try:
        new_role = Role(role)
    except ValueError as exc:
        raise InvalidInput("admin.unknown_role") from exc
    target = _target(session, actor, user_id)
    if Role(actor.role) is not Role.SUPERADMIN and (new_role is not Role.USER or Role(target.role) is not Role.USER):
        raise Forbidden("errors.forbidden")
    target.role = new_role.value
    session.add(target)
    session.flush()
    return target


def set_active(*, session: Session, actor: User, user_id: uuid.UUID, active: bool) -> User:
    """Activate or deactivate an account; deactivation revokes all its login sessions.

    Raises:
        Forbidden, NotFound.
    """
    require_role(actor, Role.ADMIN)
    target = _target(session, actor, user_id)
    if Role(actor.role) is not Role.SUPERADMIN and Role(target.role) is not Role.USER:
        raise Forbidden("errors.forbidden")
    target.is_active = active
    session.add(target)
    if not active:
        now = datetime.now(UTC)
        for auth_session in session.exec(
            select(AuthSession).where(AuthSession.user_id == target.id, col(AuthSession.revoked_at).is_(None))
        ).all():
            auth_session.revoked_at = now
            session.add(auth_session)
    session.flush()
    return target

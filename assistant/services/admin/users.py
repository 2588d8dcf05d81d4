"""User management by admins: list, create (with a one-time password or an invitation link), change role,
activate or deactivate, reset a password, set how many chats a user may keep, delete with all their data.

The rules, checked here for every caller: only admins act (``Forbidden`` otherwise); nobody changes their own
role, state or password here, nor deletes themselves (``admin.cannot_change_self``); an admin manages plain
users only, a superadmin everyone (so an admin cannot demote, deactivate or delete a superadmin); the last active
superadmin cannot be demoted, deactivated or deleted (``admin.last_superadmin``). Every change is in the audit
log; one-time passwords and invitation codes never are.

A one-time password is shown once to the admin; the account must choose its own at the next sign-in
(``User.must_change_password``, :func:`choose_new_password`). An invitation link (``/invite?code=...``) is
single use and expires after :data:`INVITATION_TTL`; opening it lets the invitee choose a password
(:func:`accept_invitation`).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import quote

from sqlmodel import Session, col, delete, select

from assistant.core.config import Settings, get_settings
from assistant.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from assistant.core.security import hash_password, validate_password, verify_password
from assistant.models import AuthSession, CodePurpose, OneTimeCode, User
from assistant.models.user import Role
from assistant.services.account.deletion import erase_account
from assistant.services.admin import audit
from assistant.services.auth import service as auth
from assistant.services.auth.permissions import require_role
from assistant.services.channels.codes import consume_code, issue_code

#: How long an invitation link works.
INVITATION_TTL = timedelta(days=7)
#: The path of the page an invitation link opens (``assistant.ui.routes.INVITE``).
INVITE_PATH = "/invite"
#: Inclusive bounds of an account's own chat limit.
MAX_CHATS_RANGE = (1, 100_000)


@dataclass(frozen=True)
class CreatedUser:
    """A new account and what to hand its owner, shown once: ``one_time_password`` or ``invitation_link``
    (the other is ``""``)."""

    user: User
    one_time_password: str
    invitation_link: str


def list_users(*, session: Session, actor: User) -> list[User]:
    """All accounts, oldest first. Admins only (raises ``Forbidden``)."""
    require_role(actor, Role.ADMIN)
    return list(session.exec(select(User).order_by(col(User.created_at))).all())


def _target(session: Session, actor: User, user_id: uuid.UUID, *, allow_self: bool = False) -> User:
    """The account ``user_id``, locked, if ``actor`` may manage it (module rules)."""
    require_role(actor, Role.ADMIN)
    target = session.exec(select(User).where(col(User.id) == user_id).with_for_update()).first()
    if target is None:
        raise NotFound("errors.not_found")
    if target.id == actor.id and not allow_self:
        raise Forbidden("admin.cannot_change_self")
    if Role(actor.role) is not Role.SUPERADMIN and Role(target.role) is not Role.USER and target.id != actor.id:
        raise Forbidden("errors.forbidden")
    return target


def _keep_a_superadmin(session: Session, target: User) -> None:
    """Refuse to take away ``target``'s superadmin powers when no other active superadmin would be left."""
    if target.role != Role.SUPERADMIN.value or not target.is_active:
        return
    others = session.exec(select(User.id).where(col(User.role) == Role.SUPERADMIN.value, col(User.is_active),
                                                col(User.id) != target.id).with_for_update()).all()
    if not others:
        raise Conflict("admin.last_superadmin")


def _revoke_sessions(session: Session, user: User, keep: uuid.UUID | None = None) -> None:
    now = datetime.now(UTC)
    for auth_session in session.exec(
        select(AuthSession).where(AuthSession.user_id == user.id, col(AuthSession.revoked_at).is_(None))
    ).all():
        if auth_session.id != keep:
            auth_session.revoked_at = now
            session.add(auth_session)


def one_time_password() -> str:
    """A fresh one-time password: 16 URL-safe random characters with a digit (passes the strength rule)."""
    return secrets.token_urlsafe(12) + str(secrets.randbelow(10))


def invitation_link(code: str, settings: Settings | None = None) -> str:
    """The absolute address of the page that accepts the invitation ``code``."""
    return f"{(settings or get_settings()).base_url}{INVITE_PATH}?code={quote(code, safe='')}"


def create_user(*, session: Session, actor: User, email: str, display_name: str = "", language: str = "en",
                method: Literal["password", "invitation"] = "password") -> CreatedUser:
    """Create a plain user account for ``email`` (registration being off does not matter).

    Args:
        method: ``password``: a one-time password the user must replace at the next sign-in; ``invitation``: a
            link valid for :data:`INVITATION_TTL`, used once, where the user chooses the password (until then
            the account has a random password nobody knows).

    Returns:
        The account and the password or link to hand over (shown once; never stored in clear or logged).

    Raises:
        Forbidden: the actor is not an admin.
        InvalidInput: ``auth.email_invalid``, ``admin.users.unknown_method``, an unsupported language.
        Conflict: ``auth.email_taken``.
    """
    require_role(actor, Role.ADMIN)
    if method not in ("password", "invitation"):
        raise InvalidInput("admin.users.unknown_method")
    password = one_time_password()
    user = auth.register(session=session, by_admin=actor, data={
        "email": email, "password": password, "display_name": display_name, "language": language})
    user.must_change_password = method == "password"
    session.add(user)
    link = ""
    if method == "invitation":
        link = invitation_link(issue_code(session=session, user=user, purpose=CodePurpose.INVITATION,
                                          ttl=INVITATION_TTL, target=user.email))
    session.flush()
    audit.record(session, actor=actor, action="user.create", target_type="user", target_id=user.id,
                 target_label=user.email, after={"email": user.email, "role": user.role, "method": method})
    return CreatedUser(user=user, one_time_password=password if method == "password" else "", invitation_link=link)


def set_role(*, session: Session, actor: User, user_id: uuid.UUID, role: str) -> User:
    """Give ``user_id`` the role ``role``. Admins manage users; only a superadmin grants or removes
    admin and superadmin. Nobody changes their own role.

    Raises:
        Forbidden, NotFound, InvalidInput (``admin.unknown_role``), Conflict (``admin.last_superadmin``).
    """
    require_role(actor, Role.ADMIN)
    try:
        new_role = Role(role)
    except ValueError as exc:
        raise InvalidInput("admin.unknown_role") from exc
    target = _target(session, actor, user_id)
    if Role(actor.role) is not Role.SUPERADMIN and (new_role is not Role.USER or Role(target.role) is not Role.USER):
        raise Forbidden("errors.forbidden")
    before = target.role
    if new_role is not Role.SUPERADMIN:
        _keep_a_superadmin(session, target)
    target.role = new_role.value
    session.add(target)
    session.flush()
    if before != target.role:
        audit.record(session, actor=actor, action="user.role", target_type="user", target_id=target.id,
                     target_label=target.email, before={"role": before}, after={"role": target.role})
    return target


def set_active(*, session: Session, actor: User, user_id: uuid.UUID, active: bool) -> User:
    """Activate or deactivate an account; deactivation revokes all its login sessions.

    Raises:
        Forbidden, NotFound, Conflict (``admin.last_superadmin``).
    """
    target = _target(session, actor, user_id)
    if not active:
        _keep_a_superadmin(session, target)
    before = target.is_active
    target.is_active = active
    session.add(target)
    if not active:
        _revoke_sessions(session, target)
    session.flush()
    if before != active:
        audit.record(session, actor=actor, action="user.activate" if active else "user.deactivate",
                     target_type="user", target_id=target.id, target_label=target.email,
                     before={"active": before}, after={"active": active})
    return target


def reset_password(*, session: Session, actor: User, user_id: uuid.UUID) -> str:
    """Give the account a new one-time password (returned, to show once); its login sessions are revoked, an
    unused invitation link stops working, and its next sign-in must choose a new password.

    Raises:
        Forbidden, NotFound.
    """
    target = _target(session, actor, user_id)
    password = one_time_password()
    target.password_hash = hash_password(password)
    target.must_change_password = True
    session.add(target)
    session.execute(delete(OneTimeCode).where(col(OneTimeCode.user_id) == target.id,
                                              col(OneTimeCode.purpose) == CodePurpose.INVITATION.value,
                                              col(OneTimeCode.used_at).is_(None)))
    _revoke_sessions(session, target)
    session.flush()
    audit.record(session, actor=actor, action="user.reset_password", target_type="user", target_id=target.id,
                 target_label=target.email)
    return password


def set_max_chats(*, session: Session, actor: User, user_id: uuid.UUID, max_chats: int | None) -> User:
    """How many chats the account may keep: a number in :data:`MAX_CHATS_RANGE`, or None for the instance's
    default. An admin may set their own.

    Raises:
        Forbidden, NotFound, InvalidInput (``admin.users.max_chats_range``).
    """
    target = _target(session, actor, user_id, allow_self=True)
    low, high = MAX_CHATS_RANGE
    if max_chats is not None and not low <= max_chats <= high:
        raise InvalidInput("admin.users.max_chats_range", low=low, high=high)
    before = target.max_chats
    target.max_chats = max_chats
    session.add(target)
    session.flush()
    if before != max_chats:
        audit.record(session, actor=actor, action="user.max_chats", target_type="user", target_id=target.id,
                     target_label=target.email, before={"max_chats": before}, after={"max_chats": max_chats})
    return target


def delete_user(*, session: Session, actor: User, user_id: uuid.UUID, settings: Settings | None = None) -> None:
    """Delete the account with all its data, as the user's own account deletion does
    (:func:`assistant.services.account.deletion.erase_account`); files go once the transaction commits.

    Raises:
        Forbidden, NotFound, Conflict (``admin.last_superadmin``).
    """
    target = _target(session, actor, user_id)
    _keep_a_superadmin(session, target)
    label, role = target.email, target.role
    erase_account(session=session, account=target, settings=settings)
    audit.record(session, actor=actor, action="user.delete", target_type="user", target_id=user_id,
                 target_label=label, before={"email": label, "role": role})


def accept_invitation(*, session: Session, code: str, password: str) -> User:
    """Use an invitation link's ``code`` once: the account gets ``password`` (checked for strength) and is
    returned (the caller signs it in with that password).

    Raises:
        InvalidInput: ``channels.code_invalid`` (unknown or used), ``channels.code_expired``, a weak password
            (the code is then not used up).
        NotFound: the account is gone.
    """
    validate_password(password)
    row = consume_code(session=session, purpose=CodePurpose.INVITATION, code=code.strip())
    user = session.exec(select(User).where(col(User.id) == row.user_id).with_for_update()).first()
    if user is None:
        raise NotFound("errors.not_found")
    user.password_hash = hash_password(password)
    user.must_change_password = False
    session.add(user)
    _revoke_sessions(session, user)
    session.flush()
    return user


def choose_new_password(*, session: Session, user: User, password: str, keep_session_id: uuid.UUID | None) -> None:
    """The signed-in ``user`` whose password an admin set replaces it with ``password``: the flag
    ``must_change_password`` is cleared and their other login sessions are revoked.

    Raises:
        Forbidden: the account has no password to replace (``admin.users.no_password_change_due``).
        InvalidInput: a weak password, or the one-time password itself (``admin.users.same_password``).
    """
    account = session.exec(select(User).where(col(User.id) == user.id).with_for_update()).one()
    if not account.must_change_password:
        raise Forbidden("admin.users.no_password_change_due")
    validate_password(password)
    if verify_password(password, account.password_hash):
        raise InvalidInput("admin.users.same_password")
    account.password_hash = hash_password(password)
    account.must_change_password = False
    session.add(account)
    _revoke_sessions(session, account, keep=keep_session_id)
    session.flush()

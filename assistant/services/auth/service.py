"""Registration, login, token refresh and logout.

Refresh tokens have the form ``<session id>.<secret>``; only the SHA-256 of the secret is stored.
Each refresh rotates the secret; presenting an already-rotated secret is treated as theft and revokes
the whole session (refresh-token reuse detection, OAuth 2.0 Security BCP, RFC 9700 §4.14.2).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from assistant.core.config import Settings, get_settings
from assistant.core.errors import Conflict, Forbidden, InvalidInput, TooManyRequests, Unauthorized
from assistant.core.security import (
    create_access_token,
    decode_access_token,
    decode_download_ticket,
    hash_password,
    hash_refresh_secret,
    new_refresh_secret,
    refresh_secret_matches,
    validate_password,
    verify_password,
)
from assistant.models import AuthSession, LoginAttempt, User, UserCreate
from assistant.models.user import Role
from assistant.services.admin.settings import REGISTRATION_ENABLED, get_setting
from assistant.services.auth.permissions import require_role
from assistant.services.auth.profile import check_display_name, check_language, check_timezone

_REGISTRATION_LOCK = 0x6173_7369_7374  # pg advisory lock key serialising "first user" checks


@dataclass(frozen=True)
class TokenPair:
    """What a successful login or refresh returns: both tokens and the account."""

    access_token: str
    refresh_token: str
    user: User
    session_id: uuid.UUID


def normalize_email(email: str) -> str:
    """Trimmed, lower-cased e-mail used as the account key."""
    return email.strip().lower()


def _parse_user_create(data: UserCreate | dict[str, Any]) -> UserCreate:
    try:
        return data if isinstance(data, UserCreate) else UserCreate.model_validate(data)
    except ValidationError as exc:
        fields = {str(err["loc"][0]) for err in exc.errors() if err.get("loc")}
        if "email" in fields:
            raise InvalidInput("auth.email_invalid") from exc
        raise InvalidInput("errors.invalid_input") from exc


def register(*, session: Session, data: UserCreate | dict[str, Any], by_admin: User | None = None) -> User:
    """Create an account. The first account ever created becomes superadmin; others are users.

    A ``role`` in ``data`` is ignored. Registration can be disabled by the ``registration_enabled``
    setting, except for the very first account and for accounts created by an admin (``by_admin``).

    Raises:
        InvalidInput: bad e-mail, weak or over-long password, unsupported language or time zone.
        Forbidden: ``auth.registration_disabled``.
        Conflict: ``auth.email_taken``.
    """
    payload = _parse_user_create(data)
    email = normalize_email(str(payload.email))
    validate_password(payload.password)
    language = check_language(payload.language)
    timezone = check_timezone(payload.timezone)
    display_name = check_display_name(payload.display_name) or email.split("@")[0]
    if by_admin is not None:
        require_role(by_admin, Role.ADMIN)

    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _REGISTRATION_LOCK})
    first = session.exec(select(func.count()).select_from(User)).one() == 0
    if not first and by_admin is None and not get_setting(session=session, key=REGISTRATION_ENABLED):
        raise Forbidden("auth.registration_disabled")
    if session.exec(select(User).where(User.email == email)).first() is not None:
        raise Conflict("auth.email_taken")

    user = User(
        email=email,
        display_name=display_name,
        password_hash=hash_password(payload.password),
        role=(Role.SUPERADMIN if first else Role.USER).value,
        language=language,
        timezone=timezone,
    )
    session.add(user)
    session.flush()
    return user


def ensure_superadmin(*, session: Session, email: str, password: str, reset_existing: bool) -> tuple[User, bool]:
    """Create a superadmin account, or (with ``reset_existing``) promote an existing one.

    Returns:
        ``(user, created)``; ``created`` is False when the e-mail already existed.

    Raises:
        InvalidInput: bad e-mail or password.
    """
    email = normalize_email(email)
    validate_password(password)
    existing = session.exec(select(User).where(User.email == email)).first()
    if existing is not None:
        if reset_existing:
            existing.role = Role.SUPERADMIN.value
            existing.is_active = True
            existing.password_hash = hash_password(password)
            session.add(existing)
            session.flush()
        return existing, False
    payload = _parse_user_create({"email": email, "password": password})
    user = User(
        email=normalize_email(str(payload.email)),
        display_name=email.split("@")[0],
        password_hash=hash_password(password),
        role=Role.SUPERADMIN.value,
    )
    session.add(user)
    session.flush()
    return user, True


#: An address that signed in to an account within this many days is the owner's: failures from other addresses
#: do not delay sign-ins from it (OWASP's "device cookie" idea, keyed by the client address).
KNOWN_ADDRESS_DAYS = 90


def _delay_left(failures: int, last: datetime | None, free: int, settings: Settings, now: datetime) -> float:
    """Seconds still to wait after ``failures`` counted failures, the last at ``last`` (0 when free)."""
    if last is None or failures < free:
        return 0.0
    delay = min(settings.login_delay_max_seconds, settings.login_delay_first_seconds * 2.0 ** (failures - free))
    return max(0.0, (last - now).total_seconds() + delay)


def login_wait_seconds(*, session: Session, email: str, client_address: str) -> float:
    """Seconds a sign-in to ``email`` from ``client_address`` must still wait (0: it may try now).

    Counted in the last ``login_window_minutes``: the account's failures since its last success (only those
    from ``client_address`` when that address signed in to the account within :data:`KNOWN_ADDRESS_DAYS`), and
    the address's failures on any account. Each count past its free allowance
    (``login_free_failures_per_account``, ``login_free_failures_per_address``) asks for
    ``login_delay_first_seconds`` after the last of those failures, doubled per further failure, at most
    ``login_delay_max_seconds``; the larger wait of the two applies. The same queries run for known and
    unknown e-mails.
    """
    settings = get_settings()
    now = datetime.now(UTC)
    since = now - timedelta(minutes=settings.login_window_minutes)
    email = normalize_email(email)
    address = client_address[:64]
    known_since = now - timedelta(days=KNOWN_ADDRESS_DAYS)
    last_success, known = session.exec(
        select(func.max(LoginAttempt.created_at).filter(col(LoginAttempt.success).is_(True)),
               func.coalesce(func.bool_or(col(LoginAttempt.success).is_(True)
                                          & (col(LoginAttempt.client_address) == address)
                                          & (col(LoginAttempt.created_at) > known_since)), False))
        .where(LoginAttempt.email == email)
    ).one()
    account_since = max(since, last_success) if last_success is not None else since
    failed = select(func.count(), func.max(LoginAttempt.created_at)).where(col(LoginAttempt.success).is_(False))
    account_query = failed.where(LoginAttempt.email == email, col(LoginAttempt.created_at) > account_since)
    if known:
        account_query = account_query.where(LoginAttempt.client_address == address)
    account_count, account_last = session.exec(account_query).one()
    address_count, address_last = session.exec(
        failed.where(LoginAttempt.client_address == address, col(LoginAttempt.created_at) > since)).one()
    return max(_delay_left(account_count, account_last, settings.login_free_failures_per_account, settings, now),
               _delay_left(address_count, address_last, settings.login_free_failures_per_address, settings, now))


def _issue_session(
    session: Session, user: User, *, device_info: str, client_address: str, settings: Settings
) -> TokenPair:
    secret = new_refresh_secret()
    auth_session = AuthSession(
        user_id=user.id,
        refresh_token_hash=hash_refresh_secret(secret),
        device_info=device_info[:300],
        client_address=client_address[:64],
        expires_at=datetime.now(UTC) + timedelta(days=settings.refresh_token_days),
    )
    session.add(auth_session)
    session.flush()
    return TokenPair(
        access_token=create_access_token(user_id=user.id, session_id=auth_session.id, settings=settings),
        refresh_token=f"{auth_session.id}.{secret}",
        user=user,
        session_id=auth_session.id,
    )


def login(
    *, session: Session, email: str, password: str, client_address: str = "", device_info: str = ""
) -> TokenPair:
    """Check the password and open a login session.

    Throttling delays, never locks (:func:`login_wait_seconds`): a try made while a wait is running is refused
    without checking the password and without being counted, so the owner who knows the password gets in at
    most ``login_delay_max_seconds`` after the last failure. A stranger who keeps guessing at exactly that pace
    from other addresses can keep a *new* address of the owner waiting (each guess restarts the wait); an
    address that signed in to the account within :data:`KNOWN_ADDRESS_DAYS` is not delayed by failures from
    other addresses at all. Unknown e-mails cost the same queries and bcrypt work as known ones. Failed
    attempts are committed even though this raises.

    Raises:
        TooManyRequests: ``auth.too_many_attempts`` with ``seconds`` (a whole number, at least 1) to wait.
        Unauthorized: ``auth.invalid_credentials`` (wrong password or unknown e-mail, same message).
        Forbidden: ``auth.account_disabled`` (only after a correct password).
    """
    settings = get_settings()
    email = normalize_email(email)
    wait = login_wait_seconds(session=session, email=email, client_address=client_address)
    if wait > 0:
        raise TooManyRequests("auth.too_many_attempts", seconds=max(1, math.ceil(wait)))

    user = session.exec(select(User).where(User.email == email)).first()
    if not verify_password(password, user.password_hash if user else None):
        session.add(LoginAttempt(email=email, client_address=client_address[:64], success=False))
        session.commit()
        raise Unauthorized("auth.invalid_credentials")
    assert user is not None
    if not user.is_active:
        raise Forbidden("auth.account_disabled")
    session.add(LoginAttempt(email=email, client_address=client_address[:64], success=True))
    return _issue_session(session, user, device_info=device_info, client_address=client_address, settings=settings)


def _split_refresh_token(refresh_token: str) -> tuple[uuid.UUID, str]:
    session_part, _, secret = refresh_token.partition(".")
    try:
        return uuid.UUID(session_part), secret
    except ValueError as exc:
        raise Unauthorized("auth.token_invalid") from exc


def refresh(*, session: Session, refresh_token: str) -> TokenPair:
    """Rotate a refresh token: returns a new access and refresh token for the same login session.

    Raises:
        Unauthorized: ``auth.session_expired`` (unknown, revoked or expired session),
            ``auth.token_reused`` (an old secret was replayed: the session is revoked),
            ``auth.token_invalid`` (malformed).
        Forbidden: ``auth.account_disabled``.
    """
    settings = get_settings()
    session_id, secret = _split_refresh_token(refresh_token)
    auth_session = session.exec(select(AuthSession).where(AuthSession.id == session_id).with_for_update()).first()
    now = datetime.now(UTC)
    if auth_session is None or auth_session.revoked_at is not None or auth_session.expires_at <= now:
        raise Unauthorized("auth.session_expired")
    if not refresh_secret_matches(secret, auth_session.refresh_token_hash):
        auth_session.revoked_at = now
        session.add(auth_session)
        session.commit()
        raise Unauthorized("auth.token_reused")
    user = session.get(User, auth_session.user_id)
    if user is None or not user.is_active:
        raise Forbidden("auth.account_disabled")
    new_secret = new_refresh_secret()
    auth_session.refresh_token_hash = hash_refresh_secret(new_secret)
    auth_session.last_used_at = now
    session.add(auth_session)
    session.flush()
    return TokenPair(
        access_token=create_access_token(user_id=user.id, session_id=auth_session.id, settings=settings),
        refresh_token=f"{auth_session.id}.{new_secret}",
        user=user,
        session_id=auth_session.id,
    )


def logout(*, session: Session, refresh_token: str | None = None, access_token: str | None = None) -> None:
    """Revoke the login session proven by either token; later use of any of its tokens is refused.

    A refresh token counts only with its current secret, so knowing a session id is not enough to end
    someone's session. Unknown, unproven or already revoked sessions are ignored (logout is idempotent).
    """
    session_id: uuid.UUID | None = None
    if refresh_token:
        try:
            candidate, secret = _split_refresh_token(refresh_token)
        except Unauthorized:
            candidate, secret = None, ""
        row = session.get(AuthSession, candidate) if candidate else None
        if row is not None and refresh_secret_matches(secret, row.refresh_token_hash):
            session_id = candidate
    if session_id is None and access_token:
        try:
            session_id = decode_access_token(access_token).session_id
        except Unauthorized:
            session_id = None
    if session_id is None:
        return
    auth_session = session.get(AuthSession, session_id)
    if auth_session is not None and auth_session.revoked_at is None:
        auth_session.revoked_at = datetime.now(UTC)
        session.add(auth_session)
        session.flush()


def authenticate(*, session: Session, access_token: str, minimum_role: Role = Role.USER) -> User:
    """The account behind ``access_token``, re-read from the database on every call.

    The token's login session must be live (not revoked or expired), the account active and its
    *current* role at least ``minimum_role``, so a demotion or deactivation takes effect on the very
    next request or UI event.

    Raises:
        Unauthorized: bad, expired or revoked token (``auth.token_invalid``, ``auth.token_expired``,
            ``auth.session_expired``).
        Forbidden: ``auth.account_disabled`` or ``errors.forbidden`` (role too low).
    """
    claims = decode_access_token(access_token)
    return _live_account(session, claims.user_id, claims.session_id, minimum_role)


def authenticate_download(*, session: Session, ticket: str) -> tuple[User, uuid.UUID]:
    """The account behind a download ticket and the file it names (see
    :func:`assistant.core.security.create_download_ticket`), with the checks of :func:`authenticate`:
    a ticket of a login session that ended since, or of a deactivated account, is refused.

    Raises:
        Unauthorized, Forbidden: as :func:`authenticate`.
    """
    claims = decode_download_ticket(ticket)
    return _live_account(session, claims.user_id, claims.session_id, Role.USER), claims.resource_id


def _live_account(session: Session, user_id: uuid.UUID, session_id: uuid.UUID, minimum_role: Role) -> User:
    auth_session = session.get(AuthSession, session_id)
    user = session.get(User, user_id)
    if user is not None and not user.is_active:
        raise Forbidden("auth.account_disabled")
    if (
        user is None
        or auth_session is None
        or auth_session.user_id != user_id
        or auth_session.revoked_at is not None
        or auth_session.expires_at <= datetime.now(UTC)
    ):
        raise Unauthorized("auth.session_expired")
    require_role(user, minimum_role)
    return user


def change_password(
    *, session: Session, user: User, current_password: str, new_password: str, keep_session_id: uuid.UUID | None
) -> None:
    """Replace the password after checking the current one; other login sessions are revoked, and a
    one-time password an admin set is no longer due for a change (``must_change_password`` cleared).

    Raises:
        Unauthorized: ``auth.wrong_current_password``.
        InvalidInput: the new password is weak or over 72 bytes.
    """
    if not verify_password(current_password, user.password_hash):
        raise Unauthorized("auth.wrong_current_password")
    validate_password(new_password)
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    session.add(user)
    now = datetime.now(UTC)
    others = session.exec(
        select(AuthSession).where(AuthSession.user_id == user.id, col(AuthSession.revoked_at).is_(None))
    ).all()
    for other in others:
        if other.id != keep_session_id:
            other.revoked_at = now
            session.add(other)
    session.flush()

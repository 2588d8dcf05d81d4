"""Password hashing (bcrypt), access tokens (JWT, HS256), refresh-token helpers and secrets at rest (Fernet).

Access tokens carry ``sub`` (user id), ``sid`` (login session id), ``jti``, ``iat``, ``exp``, ``aud``
and ``iss``; decoding pins the algorithm to HS256 and requires all of them (RFC 7519, RFC 8725 §3.1).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import bcrypt
import jwt
from cryptography.fernet import Fernet, InvalidToken

from assistant.core.config import Settings, get_settings
from assistant.core.errors import ConfigurationError, InvalidInput, Unauthorized

JWT_ALGORITHM = "HS256"
BCRYPT_ROUNDS = 12
BCRYPT_MAX_BYTES = 72
MIN_PASSWORD_LENGTH = 8

# A real hash of a random password: verifying against it costs as much as a real check, so an
# unknown e-mail takes as long as a wrong password (no account enumeration by timing).
_DUMMY_HASH = bcrypt.hashpw(secrets.token_bytes(16).hex().encode(), bcrypt.gensalt(BCRYPT_ROUNDS))


def validate_password(password: str) -> None:
    """Check a new password's strength and bcrypt's 72-byte limit.

    Raises:
        InvalidInput: ``auth.password_too_long`` over 72 UTF-8 bytes, ``auth.password_weak`` when
            shorter than 8 characters or made only of letters or only of digits.
    """
    if len(password.encode("utf-8")) > BCRYPT_MAX_BYTES:
        raise InvalidInput("auth.password_too_long", max_bytes=BCRYPT_MAX_BYTES)
    if len(password) < MIN_PASSWORD_LENGTH or password.isalpha() or password.isdigit() or not password.strip():
        raise InvalidInput("auth.password_weak", min_length=MIN_PASSWORD_LENGTH)


def hash_password(password: str) -> str:
    """bcrypt hash (cost 12) of ``password``, which must already pass :func:`validate_password`."""
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")


def verify_password(password: str, password_hash: str | None) -> bool:
    """Timing-safe check of ``password`` against ``password_hash``; ``None`` checks a dummy hash.

    Passwords over 72 bytes never match (bcrypt 5 refuses them rather than truncating).
    """
    encoded = password.encode("utf-8")
    target = password_hash.encode("ascii") if password_hash else _DUMMY_HASH
    if len(encoded) > BCRYPT_MAX_BYTES:
        bcrypt.checkpw(b"x", target)
        return False
    return bcrypt.checkpw(encoded, target) and password_hash is not None


@dataclass(frozen=True)
class AccessClaims:
    """The verified claims of an access token."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    token_id: str
    expires_at: datetime


def create_access_token(
    *, user_id: uuid.UUID, session_id: uuid.UUID, settings: Settings | None = None, now: datetime | None = None
) -> str:
    """Sign a short-lived access token (``access_token_minutes``) for one login session."""
    settings = settings or get_settings()
    issued = now or datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "jti": uuid.uuid4().hex,
        "iat": issued,
        "exp": issued + timedelta(minutes=settings.access_token_minutes),
        "aud": settings.jwt_audience,
        "iss": settings.jwt_issuer,
    }
    return jwt.encode(claims, settings.jwt_key(), algorithm=JWT_ALGORITHM)


def decode_access_token(token: str, *, settings: Settings | None = None, verify_expiry: bool = True) -> AccessClaims:
    """Verify signature (HS256 only), expiry, audience and issuer of ``token``.

    ``verify_expiry=False`` accepts an expired token (still signed by us): only for telling whose tab it
    is (routing live events), never for granting access.

    Raises:
        Unauthorized: ``auth.token_expired`` when expired, ``auth.token_invalid`` for anything else
            (bad signature, ``alg=none`` or another algorithm, wrong audience, missing claims).
    """
    settings = settings or get_settings()
    try:
        payload = jwt.decode(
            token,
            settings.jwt_key(),
            algorithms=[JWT_ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "sid", "jti", "aud", "iss"], "verify_exp": verify_expiry},
        )
        return AccessClaims(
            user_id=uuid.UUID(payload["sub"]),
            session_id=uuid.UUID(payload["sid"]),
            token_id=str(payload["jti"]),
            expires_at=datetime.fromtimestamp(payload["exp"], UTC),
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("auth.token_expired") from exc
    except (jwt.PyJWTError, ValueError, KeyError) as exc:
        raise Unauthorized("auth.token_invalid") from exc


def new_refresh_secret() -> str:
    """A random 256-bit refresh-token secret, URL-safe text."""
    return secrets.token_urlsafe(32)


def hash_refresh_secret(secret: str) -> str:
    """SHA-256 hex digest of a refresh secret (what the database stores)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def refresh_secret_matches(secret: str, stored_hash: str) -> bool:
    """Constant-time comparison of a presented refresh secret with its stored hash."""
    return hmac.compare_digest(hash_refresh_secret(secret), stored_hash)


#: Seconds a download ticket stays valid: long enough for the browser to follow it, too short to share.
DOWNLOAD_TICKET_SECONDS = 60


@dataclass(frozen=True)
class DownloadClaims:
    """The verified claims of a download ticket: who asked (user and login session) for which file."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    resource_id: uuid.UUID


def _ticket_audience(settings: Settings) -> str:
    return f"{settings.jwt_audience}/download"


def create_download_ticket(*, user_id: uuid.UUID, session_id: uuid.UUID, resource_id: uuid.UUID,
                           settings: Settings | None = None, now: datetime | None = None) -> str:
    """Sign a ticket (JWT, HS256) that lets a browser link fetch one file for :data:`DOWNLOAD_TICKET_SECONDS`.

    A link cannot send the ``Authorization`` header the tab's access token travels in, so the tab asks for a
    ticket naming the file (``resource_id``) and follows a URL carrying it. Its audience differs from the
    access tokens', so neither can stand in for the other; the route still checks that the login
    session is live and that the user may read the file.
    """
    settings = settings or get_settings()
    issued = now or datetime.now(UTC)
    claims = {"sub": str(user_id), "sid": str(session_id), "res": str(resource_id), "jti": uuid.uuid4().hex,
              "iat": issued, "exp": issued + timedelta(seconds=DOWNLOAD_TICKET_SECONDS),
              "aud": _ticket_audience(settings), "iss": settings.jwt_issuer}
    return jwt.encode(claims, settings.jwt_key(), algorithm=JWT_ALGORITHM)


def decode_download_ticket(ticket: str, *, settings: Settings | None = None) -> DownloadClaims:
    """Verify a ticket from :func:`create_download_ticket` (HS256 only, expiry, audience, issuer).

    Raises:
        Unauthorized: ``auth.token_expired`` when expired, ``auth.token_invalid`` otherwise.
    """
    settings = settings or get_settings()
    try:
        payload = jwt.decode(ticket, settings.jwt_key(), algorithms=[JWT_ALGORITHM],
                             audience=_ticket_audience(settings), issuer=settings.jwt_issuer,
                             options={"require": ["exp", "iat", "sub", "sid", "res", "jti", "aud", "iss"]})
        return DownloadClaims(uuid.UUID(payload["sub"]), uuid.UUID(payload["sid"]), uuid.UUID(payload["res"]))
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("auth.token_expired") from exc
    except (jwt.PyJWTError, ValueError, KeyError) as exc:
        raise Unauthorized("auth.token_invalid") from exc


def encrypt_secret(plain: str, *, settings: Settings | None = None) -> str:
    """Encrypt a secret for storage (Fernet: AES-128-CBC + HMAC-SHA256, https://github.com/fernet/spec) with
    :meth:`Settings.fernet_key`; returns the token as ASCII text.

    Raises:
        ConfigurationError: no usable key (see :meth:`Settings.fernet_key`).
    """
    return Fernet((settings or get_settings()).fernet_key()).encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt_secret(token: str, *, settings: Settings | None = None) -> str:
    """The secret :func:`encrypt_secret` stored as ``token``.

    Raises:
        ConfigurationError: no usable key, or the token was made with another key (``ASSISTANT_SECRET_KEY``
            changed: the secret must be entered again) or was altered.
    """
    try:
        return Fernet((settings or get_settings()).fernet_key()).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise ConfigurationError(
            "a stored secret cannot be decrypted with ASSISTANT_SECRET_KEY: enter it again") from exc

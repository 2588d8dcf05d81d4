"""Single-use codes that expire: the link that verifies an e-mail address, the deep link that links a Telegram
chat. The code is 32 URL-safe random characters (192 bits, fits Telegram's 64-character ``start`` parameter);
only its SHA-256 digest is stored, so a database dump cannot be used to verify or link anything."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, delete, select

from assistant.core.errors import InvalidInput
from assistant.models import CodePurpose, OneTimeCode, User

#: Raised for a code that is unknown, already used, or made for another purpose.
CODE_INVALID = "channels.code_invalid"
#: Raised for a code past its expiry.
CODE_EXPIRED = "channels.code_expired"


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def issue_code(*, session: Session, user: User, purpose: CodePurpose, ttl: timedelta, target: str = "",
               now: datetime | None = None) -> str:
    """A new code for ``user`` and ``purpose``, valid for ``ttl``; the user's earlier unused codes for the same
    purpose stop working. ``target``: what it proves (the address being verified). Returns the code in clear
    (to put in a link; it is not stored)."""
    issued = now or datetime.now(UTC)
    session.execute(delete(OneTimeCode).where(col(OneTimeCode.user_id) == user.id,
                                              col(OneTimeCode.purpose) == purpose.value,
                                              col(OneTimeCode.used_at).is_(None)))
    code = secrets.token_urlsafe(24)
    session.add(OneTimeCode(user_id=user.id, purpose=purpose.value, code_hash=_digest(code), target=target,
                            expires_at=issued + ttl))
    session.flush()
    return code


def consume_code(*, session: Session, purpose: CodePurpose, code: str, now: datetime | None = None) -> OneTimeCode:
    """Use ``code`` once: returns its row (``user_id``, ``target``) with ``used_at`` set, in the caller's
    transaction (the row stays locked until it ends, so two uses at once cannot both succeed).

    Raises:
        InvalidInput: :data:`CODE_INVALID` (unknown, used, or of another purpose) or :data:`CODE_EXPIRED`.
    """
    at = now or datetime.now(UTC)
    if not code or len(code) > 128:
        raise InvalidInput(CODE_INVALID)
    row = session.exec(select(OneTimeCode).where(OneTimeCode.code_hash == _digest(code)).with_for_update()).first()
    if row is None or row.purpose != purpose.value or row.used_at is not None:
        raise InvalidInput(CODE_INVALID)
    if row.expires_at <= at:
        raise InvalidInput(CODE_EXPIRED)
    row.used_at = at
    session.add(row)
    session.flush()
    return row

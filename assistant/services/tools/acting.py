"""What the tools that read or change the user's own rows share: the acting user and the ids a model gives."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from assistant.core.errors import NotFound
from assistant.models import User
from assistant.services.tools.registry import ToolContext


def acting_user(session: Session, context: ToolContext) -> User:
    """The user ``context`` acts for, read in ``session``.

    Raises:
        NotFound: (``errors.not_found``) the account is gone or deactivated.
    """
    user = session.get(User, context.user_id)
    if user is None or not user.is_active:
        raise NotFound("errors.not_found")
    return user


def parse_row_id(value: str, not_found: str) -> uuid.UUID:
    """The id a model gave as text (surrounding white space ignored).

    Raises:
        NotFound: (``not_found``, the same code as a missing row) ``value`` is not a UUID.
    """
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise NotFound(not_found) from None

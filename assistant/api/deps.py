"""FastAPI dependencies: a database session per request and the authenticated user."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.core.errors import Unauthorized
from assistant.core.net import client_address
from assistant.core.security import decode_access_token
from assistant.models import User
from assistant.services.auth import service as auth

#: The ``Authorization: Bearer`` credentials, None when absent (routes decide what that means).
bearer = HTTPBearer(auto_error=False)


def get_session() -> Iterator[Session]:
    """One session per request, committed when the route returns (rolled back if it raises)."""
    with session_scope() as session:
        yield session


#: ``scope="function"``: the commit happens before the response is sent. With FastAPI's default scope the
#: exit code of a ``yield`` dependency runs after the response, so a client could read (or sign in to)
#: what it was just told was created before it exists.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_current_user(
    session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("errors.unauthorized")
    return auth.authenticate(session=session, access_token=credentials.credentials)


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_current_session_id(
    user: CurrentUser, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> uuid.UUID:
    """The login session of the (already authenticated) bearer token."""
    assert credentials is not None  # get_current_user refused requests without one
    return decode_access_token(credentials.credentials).session_id


CurrentSessionId = Annotated[uuid.UUID, Depends(get_current_session_id)]


def request_address(request: Request) -> str:
    """The client address, honouring X-Forwarded-For only from ``ASSISTANT_TRUSTED_PROXIES``."""
    peer = request.client.host if request.client else ""
    return client_address(peer, request.headers.get("x-forwarded-for"), get_settings().trusted_proxies)

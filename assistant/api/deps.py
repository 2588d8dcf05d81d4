"""FastAPI dependencies: a database session per request and the authenticated user."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.core.errors import NotFound, Unauthorized
from assistant.core.logging import bind_log_context
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
    user = auth.authenticate(session=session, access_token=credentials.credentials)
    bind_log_context(user_id=user.id)  # the request's log lines from here on name the user
    return user


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


#: A download ticket from the web app, the alternative to a bearer token on file routes.
TicketQuery = Annotated[str | None, Query(description="A download ticket from the web app, instead of a bearer token")]


def downloading_user(*, session: Session, credentials: HTTPAuthorizationCredentials | None, ticket: str | None,
                     resource_id: uuid.UUID, not_found: str) -> User:
    """The user a file route serves: a bearer token's, or a download ticket's if the ticket names ``resource_id``.

    Raises:
        Unauthorized: neither is given, or the token or ticket is invalid or expired.
        NotFound: ``not_found`` (an i18n key) for a ticket issued for another file.
    """
    if credentials is not None and credentials.scheme.lower() == "bearer":
        user = auth.authenticate(session=session, access_token=credentials.credentials)
        bind_log_context(user_id=user.id)
        return user
    if ticket:
        user, allowed = auth.authenticate_download(session=session, ticket=ticket)
        if allowed != resource_id:
            raise NotFound(not_found)
        bind_log_context(user_id=user.id)
        return user
    raise Unauthorized("errors.unauthorized")


#: Headers of every file download: never rendered by the browser, never cached by a proxy.
DOWNLOAD_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'",
                    "Cache-Control": "private, no-store"}

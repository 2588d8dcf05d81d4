"""The acting user of a UI tab, re-checked from its token pair on every event, off the event loop.

A tab holds an access token and a refresh token. :func:`run_as` checks the access token in the database
(session live, account active, role high enough) and runs the caller's work for that account in the same
transaction, on a worker thread. An expired access token is renewed once with the refresh token.

Refreshing is single-flight per tab and refresh token, per process: a tab's events are handled by one
web process, and two of its events (a foreground one and a background one, which no longer hold the
state lock while they wait on the database) may both find the access token expired and both hold the
same refresh token. Rotating it twice would look like a replay and end the login session (reuse
detection in :func:`assistant.services.auth.service.refresh`), so the second one gets the first one's new
pair instead (kept :data:`REFRESH_REUSE_SECONDS`). Only the same tab (Reflex's client token) gets it: the
old refresh token presented by any other tab is a replay as before.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from sqlmodel import Session

from assistant.core.db import in_session, session_scope
from assistant.core.errors import AppError, Unauthorized
from assistant.models import User
from assistant.models.user import Role
from assistant.services.auth import service as auth

T = TypeVar("T")

#: Seconds a rotated pair is handed to other holders of the refresh token it replaced.
REFRESH_REUSE_SECONDS = 60.0

_refreshes: dict[str, tuple[float, asyncio.Future[auth.TokenPair]]] = {}


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What :func:`run_as` did.

    Attributes:
        user: the account as re-read now (None when the check after a refresh refused it).
        pair: the new token pair when the tokens were rotated (the tab must keep it, even on ``error``).
        result: what the work returned (None on ``error``).
        error: the service error the work raised (its transaction was rolled back), or the check's
            refusal after a rotation.
    """

    user: User | None
    pair: auth.TokenPair | None = None
    result: T | None = None
    error: AppError | None = None


def _checked_work(access_token: str, work: Callable[[Session, User], T], minimum_role: Role) -> Outcome[T]:
    """Check ``access_token`` and commit, then run ``work`` in the same session (blocking).

    Raises:
        AppError: the check's refusal (the work's errors are returned in the outcome).
    """
    with session_scope() as session:
        user = auth.authenticate(session=session, access_token=access_token, minimum_role=minimum_role)
        session.commit()
        try:
            result = work(session, user)
            session.flush()
        except AppError as exc:
            session.rollback()
            session.refresh(user)  # the rollback expired it; it is read once more while the session is open
            return Outcome(user=user, error=exc)
        return Outcome(user=user, result=result)


async def refresh_once(refresh_token: str, tab: str) -> auth.TokenPair:
    """Rotate ``refresh_token`` (on a worker thread), or hand back the pair a concurrent or recent
    rotation of the same token for the same ``tab`` (client token) produced.

    Raises:
        Unauthorized, Forbidden: as :func:`assistant.services.auth.service.refresh`.
    """
    key = hashlib.sha256(f"{tab}\0{refresh_token}".encode()).hexdigest()
    now = time.monotonic()
    for stale in [k for k, (at, _) in _refreshes.items() if now - at > REFRESH_REUSE_SECONDS]:
        del _refreshes[stale]
    known = _refreshes.get(key)
    if known is not None and known[1].get_loop() is asyncio.get_running_loop():
        return await asyncio.shield(known[1])
    future: asyncio.Future[auth.TokenPair] = asyncio.get_running_loop().create_future()
    _refreshes[key] = (now, future)
    try:
        pair = await in_session(lambda session: auth.refresh(session=session, refresh_token=refresh_token))
    except BaseException as exc:
        del _refreshes[key]
        future.set_exception(exc)
        future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
        raise
    future.set_result(pair)
    return pair


async def run_as(*, access_token: str, refresh_token: str, tab: str, work: Callable[[Session, User], T],
                 minimum_role: Role = Role.USER) -> Outcome[T]:
    """Re-check the tab's account and run ``work(session, user)`` for it in one transaction, off the loop.

    ``tab`` identifies the browser tab (Reflex's client token) for the single-flight refresh.

    ``work`` runs on a worker thread: it must not touch UI state (return data, assign it afterwards).

    Raises:
        Unauthorized: no access token, a dead login session, or an expired one without a usable refresh.
        Forbidden: ``auth.account_disabled``, or a role below ``minimum_role`` (before any rotation).
    """
    if not access_token:
        raise Unauthorized("errors.unauthorized")
    try:
        return await asyncio.to_thread(_checked_work, access_token, work, minimum_role)
    except Unauthorized as exc:
        if exc.code != "auth.token_expired" or not refresh_token:
            raise
    pair = await refresh_once(refresh_token, tab)
    try:
        outcome = await asyncio.to_thread(_checked_work, pair.access_token, work, minimum_role)
    except AppError as exc:
        return Outcome(user=None, pair=pair, error=exc)
    return replace(outcome, pair=pair)

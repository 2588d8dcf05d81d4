"""The acting user of a UI tab (assistant.services.auth.acting): checked off the event loop, an expired access
token renewed once however many events of the tab find it expired at the same time, a rotated pair kept
even when the work fails, a deactivated account refused at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from assistant.core.db import session_scope
from assistant.core.errors import Forbidden, InvalidInput, Unauthorized
from assistant.core.security import create_access_token, decode_access_token
from assistant.models import User
from assistant.models.user import Role
from assistant.services.auth import acting
from assistant.services.auth import service as auth


def _expired(pair: auth.TokenPair) -> str:
    claims = decode_access_token(pair.access_token)
    return create_access_token(user_id=claims.user_id, session_id=claims.session_id,
                               now=datetime.now(UTC) - timedelta(days=1))


def _run(pair: auth.TokenPair, work, *, access: str | None = None, role: Role = Role.USER) -> acting.Outcome:
    return asyncio.run(acting.run_as(access_token=access or pair.access_token, refresh_token=pair.refresh_token,
                                     tab="tab-1", work=work, minimum_role=role))


def test_a_live_token_runs_the_work_for_its_account(db, make_user, sign_in):
    user = make_user(email="acting@example.org")
    pair = sign_in("acting@example.org")
    outcome = _run(pair, lambda session, who: who.email)
    assert (outcome.result, outcome.user.id, outcome.pair, outcome.error) == (user.email, user.id, None, None)


def test_concurrent_events_with_an_expired_token_rotate_it_once(db, make_user, sign_in):
    make_user(email="twice@example.org")
    pair = sign_in("twice@example.org")
    expired = _expired(pair)

    async def two_events() -> list[acting.Outcome]:
        return list(await asyncio.gather(*(
            acting.run_as(access_token=expired, refresh_token=pair.refresh_token, tab="tab-1", work=lambda s, u: u.id)
            for _ in range(2))))

    first, second = asyncio.run(two_events())
    assert first.pair is not None and first.pair == second.pair  # one rotation, handed to both
    assert first.error is None and second.error is None
    # the session lives on (no reuse detected) and the new refresh token works
    with session_scope() as session:
        assert auth.refresh(session=session, refresh_token=first.pair.refresh_token).user.email == "twice@example.org"


def test_another_tab_replaying_a_rotated_refresh_token_is_refused(db, make_user, sign_in):
    make_user(email="replay@example.org")
    pair = sign_in("replay@example.org")
    expired = _expired(pair)

    async def owner_then_thief() -> tuple[acting.Outcome, BaseException | acting.Outcome]:
        owner = await acting.run_as(access_token=expired, refresh_token=pair.refresh_token, tab="tab-1",
                                    work=lambda s, u: u.id)
        try:
            thief = await acting.run_as(access_token=expired, refresh_token=pair.refresh_token, tab="tab-2",
                                        work=lambda s, u: u.id)
        except Unauthorized as exc:
            return owner, exc
        return owner, thief

    owner, thief = asyncio.run(owner_then_thief())
    assert owner.pair is not None and owner.error is None
    assert isinstance(thief, Unauthorized), "the rotated pair is never handed to another tab"
    with pytest.raises(Unauthorized), session_scope() as session:  # the replay ended the login session
        auth.refresh(session=session, refresh_token=owner.pair.refresh_token)


def test_a_failing_work_after_a_rotation_still_returns_the_new_pair(db, make_user, sign_in):
    make_user(email="fails@example.org")
    pair = sign_in("fails@example.org")

    def work(session, user):
        session.add(User(email="never@example.org", password_hash="x", display_name="x"))
        session.flush()
        raise InvalidInput("errors.generic")

    outcome = _run(pair, work, access=_expired(pair))
    assert isinstance(outcome.error, InvalidInput) and outcome.pair is not None
    assert outcome.user.email == "fails@example.org"  # still readable after its session closed
    with session_scope() as session:  # the work's transaction was rolled back
        assert session.exec(select(User).where(User.email == "never@example.org")).first() is None


def test_a_deactivated_account_and_a_missing_role_are_refused(db, make_user, sign_in):
    user = make_user(email="gone@example.org")
    pair = sign_in("gone@example.org")
    with pytest.raises(Forbidden):
        _run(pair, lambda s, u: None, role=Role.ADMIN)
    with session_scope() as session:
        account = session.get(User, user.id)
        account.is_active = False
        session.add(account)
    with pytest.raises(Forbidden) as refused:
        _run(pair, lambda s, u: None)
    assert refused.value.code == "auth.account_disabled"
    with pytest.raises(Unauthorized):  # a signed-out tab
        asyncio.run(acting.run_as(access_token="", refresh_token="", tab="tab-1", work=lambda s, u: None))

"""Access and refresh tokens on real PostgreSQL: rotation, reuse detection, logout, tampered JWTs,
and a role or account change taking effect on the very next call."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from support.tokens import CASES, EXPIRED_CASES, claims_of, forged_tokens, hmac_signed

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.core.errors import Forbidden, Unauthorized
from assistant.core.security import create_access_token
from assistant.models import AuthSession, User
from assistant.models.user import Role
from assistant.services.admin import users as admin_users
from assistant.services.auth import service as auth


def authenticate(token: str, minimum_role: Role = Role.USER) -> User:
    with session_scope() as sess:
        return auth.authenticate(session=sess, access_token=token, minimum_role=minimum_role)


def refresh(token: str) -> auth.TokenPair:
    with session_scope() as sess:
        return auth.refresh(session=sess, refresh_token=token)


def logout(**tokens: str) -> None:
    with session_scope() as sess:
        auth.logout(session=sess, **tokens)


def stored_session(session_id: uuid.UUID) -> AuthSession:
    with session_scope() as sess:
        return sess.get(AuthSession, session_id)


@pytest.fixture
def signed_in(make_user, sign_in):
    """A user and the tokens of one fresh login."""
    user = make_user(email="tok@example.com")
    return user, sign_in("tok@example.com")


# --- access tokens -------------------------------------------------------------------------------


def test_valid_access_token_authenticates_its_user(db, signed_in):
    user, pair = signed_in
    assert authenticate(pair.access_token).id == user.id


def test_hand_built_token_with_the_right_key_and_claims_is_accepted(db, live_session):
    """Control for the forgeries below: only the one property each of them changes makes them fail."""
    token = hmac_signed({**claims_of(live_session.access_token), "jti": "hand-built"}, get_settings().jwt_key())
    assert authenticate(token).id == live_session.user.id


@pytest.fixture
def live_session(make_user) -> auth.TokenPair:
    """A live login session with a genuine access token, made without a (slow) password check."""
    user = make_user(email="tamper@example.com")
    with session_scope() as sess:
        row = AuthSession(user_id=user.id, refresh_token_hash="0" * 64,
                          expires_at=datetime.now(UTC) + timedelta(days=1))
        sess.add(row)
    token = create_access_token(user_id=user.id, session_id=row.id)
    return auth.TokenPair(access_token=token, refresh_token="", user=user, session_id=row.id)


@pytest.mark.parametrize("kind", [*CASES, "empty"])
def test_forged_or_expired_access_token_is_refused(db, live_session, kind):
    """The service's verdict on each forgery of ``support.tokens`` (``tests/security`` sends the same ones
    to the running app)."""
    pair = live_session
    token = "" if kind == "empty" else forged_tokens(pair.access_token, get_settings().jwt_key())[kind]
    with pytest.raises(Unauthorized) as caught:
        authenticate(token)
    assert caught.value.code == ("auth.token_expired" if kind in EXPIRED_CASES else "auth.token_invalid")
    # The genuine token still works: nothing was revoked by the attempt.
    assert authenticate(pair.access_token).id == pair.user.id


def test_token_for_a_session_of_another_user_is_refused(db, make_user, sign_in):
    alice = make_user(email="alice@example.com")
    make_user(email="bob@example.com")
    bob_pair = sign_in("bob@example.com")
    # Correctly signed (e.g. a leaked key is not needed: a bug minting this must still not work).
    crossed = create_access_token(user_id=alice.id, session_id=bob_pair.session_id)
    with pytest.raises(Unauthorized) as caught:
        authenticate(crossed)
    assert caught.value.code == "auth.session_expired"


def test_token_for_an_unknown_session_is_refused(db, signed_in):
    user, _ = signed_in
    token = create_access_token(user_id=user.id, session_id=uuid.uuid4())
    with pytest.raises(Unauthorized) as caught:
        authenticate(token)
    assert caught.value.code == "auth.session_expired"


def test_access_token_of_an_expired_login_session_is_refused(db, signed_in):
    _, pair = signed_in
    with session_scope() as sess:
        row = sess.get(AuthSession, pair.session_id)
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        sess.add(row)
    with pytest.raises(Unauthorized) as caught:
        authenticate(pair.access_token)
    assert caught.value.code == "auth.session_expired"
    with pytest.raises(Unauthorized) as caught:
        refresh(pair.refresh_token)
    assert caught.value.code == "auth.session_expired"


# --- refresh rotation ----------------------------------------------------------------------------


def test_refresh_rotates_and_the_new_tokens_work(db, signed_in):
    user, first = signed_in
    second = refresh(first.refresh_token)

    assert second.session_id == first.session_id
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    assert authenticate(second.access_token).id == user.id

    third = refresh(second.refresh_token)
    assert authenticate(third.access_token).id == user.id


def test_replayed_refresh_token_revokes_the_whole_session(db, signed_in):
    _, first = signed_in
    second = refresh(first.refresh_token)
    third = refresh(second.refresh_token)

    with pytest.raises(Unauthorized) as caught:
        refresh(first.refresh_token)  # an attacker replays a stolen, already-rotated token
    assert caught.value.code == "auth.token_reused"
    assert stored_session(first.session_id).revoked_at is not None

    # Even the newest refresh token and the newest access token are now refused.
    with pytest.raises(Unauthorized) as caught:
        refresh(third.refresh_token)
    assert caught.value.code == "auth.session_expired"
    with pytest.raises(Unauthorized) as caught:
        authenticate(third.access_token)
    assert caught.value.code == "auth.session_expired"


def test_reuse_detection_only_ends_the_affected_session(db, make_user, sign_in):
    make_user(email="two-devices@example.com")
    phone = sign_in("two-devices@example.com")
    laptop = sign_in("two-devices@example.com")
    refresh(phone.refresh_token)
    with pytest.raises(Unauthorized):
        refresh(phone.refresh_token)
    assert authenticate(laptop.access_token).email == "two-devices@example.com"
    refresh(laptop.refresh_token)


@pytest.mark.parametrize("malformed", ["", "no-dot-here", "not-a-uuid.secret", ".", "..."])
def test_malformed_refresh_token_is_refused(db, signed_in, malformed):
    with pytest.raises(Unauthorized) as caught:
        refresh(malformed)
    assert caught.value.code == "auth.token_invalid"


def test_refresh_with_unknown_session_is_refused(db, signed_in):
    with pytest.raises(Unauthorized) as caught:
        refresh(f"{uuid.uuid4()}.whatever")
    assert caught.value.code == "auth.session_expired"


def test_refresh_of_a_deactivated_account_is_refused(db, signed_in):
    user, pair = signed_in
    with session_scope() as sess:  # deactivated directly, without revoking sessions
        row = sess.get(User, user.id)
        row.is_active = False
        sess.add(row)
    with pytest.raises(Forbidden) as caught:
        refresh(pair.refresh_token)
    assert caught.value.code == "auth.account_disabled"


# --- logout --------------------------------------------------------------------------------------


def test_after_logout_the_refresh_and_access_tokens_are_refused(db, signed_in):
    _, pair = signed_in
    logout(refresh_token=pair.refresh_token)

    with pytest.raises(Unauthorized) as caught:
        refresh(pair.refresh_token)
    assert caught.value.code == "auth.session_expired"
    with pytest.raises(Unauthorized) as caught:
        authenticate(pair.access_token)
    assert caught.value.code == "auth.session_expired"


def test_logout_with_only_the_access_token_ends_the_session(db, signed_in):
    _, pair = signed_in
    logout(access_token=pair.access_token)
    with pytest.raises(Unauthorized):
        refresh(pair.refresh_token)


def test_logout_is_idempotent_and_ignores_garbage(db, signed_in):
    _, pair = signed_in
    logout(refresh_token=pair.refresh_token)
    revoked_at = stored_session(pair.session_id).revoked_at
    logout(refresh_token=pair.refresh_token)
    logout(refresh_token="garbage", access_token="garbage")
    logout()
    assert stored_session(pair.session_id).revoked_at == revoked_at


def test_logout_with_a_guessed_secret_does_not_end_the_session(db, signed_in):
    _, pair = signed_in
    session_id = pair.refresh_token.split(".")[0]
    logout(refresh_token=f"{session_id}.not-the-secret")
    assert stored_session(pair.session_id).revoked_at is None
    assert refresh(pair.refresh_token).session_id == pair.session_id


def test_logout_ends_only_that_device(db, make_user, sign_in):
    make_user(email="two-devices@example.com")
    phone = sign_in("two-devices@example.com")
    laptop = sign_in("two-devices@example.com")
    logout(refresh_token=phone.refresh_token)
    assert authenticate(laptop.access_token).email == "two-devices@example.com"


# --- role and account changes take effect on the next call ---------------------------------------


def test_demoted_admin_is_refused_on_the_next_call(db, make_user, sign_in):
    owner = make_user(email="owner@example.com", role=Role.SUPERADMIN)
    admin = make_user(email="admin@example.com", role=Role.ADMIN)
    pair = sign_in("admin@example.com")
    assert authenticate(pair.access_token, minimum_role=Role.ADMIN).id == admin.id

    with session_scope() as sess:
        admin_users.set_role(session=sess, actor=owner, user_id=admin.id, role="user")

    with pytest.raises(Forbidden) as caught:
        authenticate(pair.access_token, minimum_role=Role.ADMIN)  # same, unexpired token
    assert caught.value.code == "errors.forbidden"
    # Still a valid login for ordinary user pages.
    assert authenticate(pair.access_token).role == "user"


def test_deactivated_user_token_is_refused_on_the_next_call(db, make_user, sign_in):
    owner = make_user(email="owner@example.com", role=Role.SUPERADMIN)
    user = make_user(email="user@example.com")
    pair = sign_in("user@example.com")
    assert authenticate(pair.access_token).id == user.id

    with session_scope() as sess:
        admin_users.set_active(session=sess, actor=owner, user_id=user.id, active=False)

    with pytest.raises(Forbidden) as caught:  # told why, not just "sign in again"
        authenticate(pair.access_token)
    assert caught.value.code == "auth.account_disabled"
    with pytest.raises(Unauthorized):
        refresh(pair.refresh_token)
    with session_scope() as sess:
        live = sess.exec(select(AuthSession).where(AuthSession.user_id == user.id,
                                                   AuthSession.revoked_at.is_(None))).all()
    assert live == []


def test_account_switched_off_in_the_database_is_refused(db, signed_in):
    user, pair = signed_in
    with session_scope() as sess:
        row = sess.get(User, user.id)
        row.is_active = False
        sess.add(row)
    with pytest.raises(Forbidden) as caught:
        authenticate(pair.access_token)
    assert caught.value.code == "auth.account_disabled"


def test_deleted_account_token_is_refused(db, signed_in):
    user, pair = signed_in
    with session_scope() as sess:
        sess.delete(sess.get(User, user.id))
    with pytest.raises(Unauthorized):
        authenticate(pair.access_token)


def test_plain_user_is_refused_admin_access(db, signed_in):
    _, pair = signed_in
    with pytest.raises(Forbidden):
        authenticate(pair.access_token, minimum_role=Role.ADMIN)

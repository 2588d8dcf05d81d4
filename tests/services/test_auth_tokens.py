"""Access and refresh tokens on real PostgreSQL: rotation, reuse detection, logout, tampered JWTs,
and a role or account change taking effect on the very next call."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from sqlmodel import select

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


def _claims(pair: auth.TokenPair, **overrides) -> dict:
    settings = get_settings()
    now = datetime.now(UTC)
    claims = {
        "sub": str(pair.user.id),
        "sid": str(pair.session_id),
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "aud": settings.jwt_audience,
        "iss": settings.jwt_issuer,
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def _b64(data: dict) -> str:
    raw = json.dumps(data, default=lambda v: int(v.timestamp())).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unsigned(header: dict, claims: dict, signature: str = "") -> str:
    return f"{_b64(header)}.{_b64(claims)}.{signature}"


def _tampered_tokens(pair: auth.TokenPair) -> dict[str, str]:
    key = get_settings().jwt_key()
    good = _claims(pair)
    past = datetime.now(UTC) - timedelta(hours=1)
    header_b64, payload_b64, signature = pair.access_token.split(".")
    forged_payload = _b64({**jwt.decode(pair.access_token, options={"verify_signature": False}),
                           "sub": str(uuid.uuid4())})
    return {
        "alg_none": _unsigned({"alg": "none", "typ": "JWT"}, good),
        "alg_none_uppercase": _unsigned({"alg": "None", "typ": "JWT"}, good),
        "alg_none_with_signature": _unsigned({"alg": "none", "typ": "JWT"}, good, signature),
        "wrong_secret": jwt.encode(good, "another-secret-that-is-long-enough-0123456789", algorithm="HS256"),
        "hs512_right_secret": jwt.encode(good, key, algorithm="HS512"),
        "hs384_right_secret": jwt.encode(good, key, algorithm="HS384"),
        "expired": create_access_token(user_id=pair.user.id, session_id=pair.session_id,
                                       now=datetime.now(UTC) - timedelta(days=1)),
        "expired_by_hand": jwt.encode(_claims(pair, iat=past - timedelta(minutes=20), exp=past), key, algorithm="HS256"),
        "wrong_audience": jwt.encode(_claims(pair, aud="someone-else"), key, algorithm="HS256"),
        "wrong_issuer": jwt.encode(_claims(pair, iss="someone-else"), key, algorithm="HS256"),
        "missing_exp": jwt.encode(_claims(pair, exp=None), key, algorithm="HS256"),
        "missing_sub": jwt.encode(_claims(pair, sub=None), key, algorithm="HS256"),
        "missing_sid": jwt.encode(_claims(pair, sid=None), key, algorithm="HS256"),
        "missing_jti": jwt.encode(_claims(pair, jti=None), key, algorithm="HS256"),
        "missing_aud": jwt.encode(_claims(pair, aud=None), key, algorithm="HS256"),
        "sub_not_a_uuid": jwt.encode(_claims(pair, sub="1 OR 1=1"), key, algorithm="HS256"),
        "payload_swapped_keep_signature": f"{header_b64}.{forged_payload}.{signature}",
        "signature_stripped": f"{header_b64}.{payload_b64}.",
        "garbage": "not.a.token",
        "empty": "",
    }


TAMPERED = [
    "alg_none", "alg_none_uppercase", "alg_none_with_signature", "wrong_secret", "hs512_right_secret",
    "hs384_right_secret", "expired", "expired_by_hand", "wrong_audience", "wrong_issuer", "missing_exp",
    "missing_sub", "missing_sid", "missing_jti", "missing_aud", "sub_not_a_uuid",
    "payload_swapped_keep_signature", "signature_stripped", "garbage", "empty",
]


def test_hand_built_token_with_the_right_key_and_claims_is_accepted(db, live_session):
    """Control for the cases below: only the one property each of them changes makes them fail."""
    token = jwt.encode(_claims(live_session), get_settings().jwt_key(), algorithm="HS256")
    assert authenticate(token).id == live_session.user.id


def test_tampered_token_list_is_complete(db, live_session):
    assert sorted(_tampered_tokens(live_session)) == sorted(TAMPERED)


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


@pytest.mark.parametrize("kind", TAMPERED)
def test_tampered_or_expired_access_token_is_refused(db, live_session, kind):
    pair = live_session
    token = _tampered_tokens(pair)[kind]
    with pytest.raises(Unauthorized) as caught:
        authenticate(token)
    expected = "auth.token_expired" if kind.startswith("expired") else "auth.token_invalid"
    assert caught.value.code == expected
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

"""Login on real PostgreSQL: credentials, deactivated accounts, throttling per account and per address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from assistant.core.config import Settings
from assistant.core.db import session_scope
from assistant.core.errors import Forbidden, TooManyRequests, Unauthorized
from assistant.models import AuthSession, LoginAttempt
from assistant.models.user import Role

ADDRESS = "198.51.100.7"


def failures(*, email: str | None = None, address: str | None = None) -> int:
    query = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.success.is_(False))
    if email is not None:
        query = query.where(LoginAttempt.email == email)
    if address is not None:
        query = query.where(LoginAttempt.client_address == address)
    with session_scope() as sess:
        return sess.exec(query).one()


def session_count() -> int:
    with session_scope() as sess:
        return sess.exec(select(func.count()).select_from(AuthSession)).one()


def seed_failures(count: int, *, email: str, address: str, minutes_ago: float = 1) -> None:
    """Failed attempts recorded earlier (what ``count`` wrong passwords would have left behind)."""
    when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    with session_scope() as sess:
        for _ in range(count):
            sess.add(LoginAttempt(email=email, client_address=address, success=False, created_at=when))


def test_default_throttling_limits():
    fields = Settings.model_fields
    assert fields["login_max_failures_per_account"].default == 5
    assert fields["login_max_failures_per_address"].default == 20
    assert fields["login_window_minutes"].default == 15


def test_correct_password_opens_a_session(db, make_user, sign_in, password):
    user = make_user(email="bob@example.com")
    pair = sign_in("bob@example.com", password)

    assert pair.user.id == user.id
    assert pair.access_token and pair.refresh_token.startswith(f"{pair.session_id}.")
    with session_scope() as sess:
        stored = sess.get(AuthSession, pair.session_id)
        assert stored.user_id == user.id
        assert stored.client_address == ADDRESS
        assert stored.revoked_at is None
        # only a hash of the refresh secret is kept
        assert pair.refresh_token.split(".", 1)[1] not in stored.refresh_token_hash


def test_wrong_password_and_unknown_email_get_the_same_error(db, make_user, sign_in):
    make_user(email="bob@example.com")

    with pytest.raises(Unauthorized) as wrong_password:
        sign_in("bob@example.com", "not-the-password-1")
    with pytest.raises(Unauthorized) as unknown_email:
        sign_in("nobody@example.com", "not-the-password-1")

    assert wrong_password.value.code == unknown_email.value.code == "auth.invalid_credentials"
    assert wrong_password.value.params == unknown_email.value.params == {}
    assert session_count() == 0


def test_deactivated_account_is_told_so_only_with_the_correct_password(db, make_user, sign_in, password):
    make_user(email="gone@example.com", active=False)

    with pytest.raises(Unauthorized) as wrong:
        sign_in("gone@example.com", "not-the-password-1")
    assert wrong.value.code == "auth.invalid_credentials"

    with pytest.raises(Forbidden) as right:
        sign_in("gone@example.com", password)
    assert right.value.code == "auth.account_disabled"
    assert session_count() == 0


def test_failures_are_recorded_even_though_login_raises(db, make_user, sign_in):
    make_user(email="bob@example.com")
    for _ in range(2):
        with pytest.raises(Unauthorized):
            sign_in("bob@example.com", "not-the-password-1")
    assert failures(email="bob@example.com") == 2
    assert failures(address=ADDRESS) == 2


def test_account_is_throttled_after_five_failures_even_with_the_right_password(db, make_user, sign_in, password):
    make_user(email="bob@example.com")
    for attempt in range(5):
        with pytest.raises(Unauthorized):
            sign_in("bob@example.com", f"guess-number-{attempt}", address=f"203.0.113.{attempt}")

    # Throttled per account, whichever address the next attempt comes from.
    with pytest.raises(TooManyRequests) as caught:
        sign_in("bob@example.com", password, address="192.0.2.99")
    assert caught.value.code == "auth.too_many_attempts"
    assert caught.value.params == {"minutes": 15}
    assert session_count() == 0
    # A refused attempt is not a password check: nothing more is recorded.
    assert failures(email="bob@example.com") == 5

    # Other accounts are not affected.
    make_user(email="carol@example.com")
    assert sign_in("carol@example.com", password, address="192.0.2.99").user.email == "carol@example.com"


def test_account_throttle_counts_only_failures_inside_the_window(db, make_user, sign_in, password):
    make_user(email="bob@example.com")
    seed_failures(5, email="bob@example.com", address="192.0.2.1", minutes_ago=16)
    assert sign_in("bob@example.com", password).user.email == "bob@example.com"


def test_successful_login_resets_the_account_count(db, make_user, sign_in, password):
    make_user(email="bob@example.com")
    seed_failures(4, email="bob@example.com", address="192.0.2.1")
    sign_in("bob@example.com", password)

    for attempt in range(4):
        with pytest.raises(Unauthorized):
            sign_in("bob@example.com", f"guess-number-{attempt}")
    # 8 failures in the window, but only 4 since the last success: still allowed.
    assert sign_in("bob@example.com", password).user.email == "bob@example.com"


def test_address_is_throttled_after_twenty_failures_across_accounts(db, make_user, sign_in, password):
    make_user(email="bob@example.com")
    # 19 earlier failures from this address, spread over many (partly unknown) accounts...
    for i in range(19):
        seed_failures(1, email=f"victim{i}@example.com", address=ADDRESS)
    # ...and the 20th through a real login.
    with pytest.raises(Unauthorized):
        sign_in("victim-last@example.com", "not-the-password-1")
    assert failures(address=ADDRESS) == 20

    with pytest.raises(TooManyRequests) as caught:
        sign_in("bob@example.com", password)
    assert caught.value.code == "auth.too_many_attempts"

    # The same account from another address is fine; success does not clear the address count.
    sign_in("bob@example.com", password, address="192.0.2.50")
    with pytest.raises(TooManyRequests):
        sign_in("bob@example.com", password)


def test_address_under_the_limit_is_not_throttled(db, make_user, sign_in, password):
    make_user(email="bob@example.com")
    for i in range(19):
        seed_failures(1, email=f"victim{i}@example.com", address=ADDRESS)
    assert sign_in("bob@example.com", password).user.email == "bob@example.com"


def test_throttling_limits_follow_the_settings(db, configure, make_user, sign_in, password):
    configure(login_max_failures_per_account=2, login_window_minutes=5)
    make_user(email="bob@example.com")
    seed_failures(2, email="bob@example.com", address="192.0.2.1", minutes_ago=1)
    with pytest.raises(TooManyRequests) as caught:
        sign_in("bob@example.com", password)
    assert caught.value.params == {"minutes": 5}


def test_login_of_an_admin_works_like_any_other(db, make_user, sign_in, password):
    admin = make_user(email="root@example.com", role=Role.SUPERADMIN)
    assert sign_in("ROOT@example.com", password).user.id == admin.id

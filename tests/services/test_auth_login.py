"""Login on real PostgreSQL: credentials, deactivated accounts, throttling per account and per address by growing
delays (never a lockout)."""

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


def seed_failures(count: int, *, email: str, address: str, minutes_ago: float = 1, seconds_ago: float = 0) -> None:
    """Failed attempts recorded earlier (what ``count`` wrong passwords would have left behind)."""
    when = datetime.now(UTC) - timedelta(minutes=minutes_ago, seconds=seconds_ago)
    with session_scope() as sess:
        for _ in range(count):
            sess.add(LoginAttempt(email=email, client_address=address, success=False, created_at=when))


def age_attempts(seconds: float) -> None:
    """Move every recorded attempt ``seconds`` into the past (as if the user waited that long)."""
    with session_scope() as sess:
        for attempt in sess.exec(select(LoginAttempt)).all():
            attempt.created_at -= timedelta(seconds=seconds)
            sess.add(attempt)


def wait_asked(sign_in, email: str, password: str, address: str = ADDRESS) -> int:
    """The seconds a refused sign-in is told to wait."""
    with pytest.raises(TooManyRequests) as caught:
        sign_in(email, password, address=address)
    assert caught.value.code == "auth.too_many_attempts"
    return int(caught.value.params["seconds"])


def test_default_throttling_limits():
    fields = Settings.model_fields
    assert fields["login_free_failures_per_account"].default == 5
    assert fields["login_free_failures_per_address"].default == 20
    assert fields["login_window_minutes"].default == 15
    assert fields["login_delay_first_seconds"].default == 2.0
    assert fields["login_delay_max_seconds"].default == 30.0


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


def test_five_failures_are_free_then_the_account_waits_even_with_the_right_password(db, make_user, sign_in, password):
    make_user(email="bob@example.com")
    for attempt in range(5):
        with pytest.raises(Unauthorized):
            sign_in("bob@example.com", f"guess-number-{attempt}", address=f"203.0.113.{attempt}")

    # Delayed per account, whichever address the next attempt comes from: 2 s after the fifth failure.
    assert wait_asked(sign_in, "bob@example.com", password, address="192.0.2.99") in (1, 2)
    assert session_count() == 0
    # A refused attempt is not a password check: nothing more is recorded.
    assert failures(email="bob@example.com") == 5

    # Other accounts are not affected.
    make_user(email="carol@example.com")
    assert sign_in("carol@example.com", password, address="192.0.2.99").user.email == "carol@example.com"

    # The owner waits the delay and gets in.
    age_attempts(2)
    assert sign_in("bob@example.com", password, address="192.0.2.99").user.email == "bob@example.com"


def test_the_delay_doubles_with_each_failure_and_is_capped(db, make_user, sign_in, password):
    make_user(email="bob@example.com")
    seed_failures(5, email="bob@example.com", address="192.0.2.1", minutes_ago=0)
    asked = []
    for _ in range(6):
        asked.append(wait_asked(sign_in, "bob@example.com", "guess-again-1"))
        age_attempts(asked[-1])  # wait exactly what was asked, then guess wrong once more
        with pytest.raises(Unauthorized):
            sign_in("bob@example.com", "guess-again-1")
    assert asked == [2, 4, 8, 16, 30, 30]
    # Never a lockout: after the cap the owner is in.
    assert wait_asked(sign_in, "bob@example.com", password) == 30
    age_attempts(30)
    assert sign_in("bob@example.com", password).user.email == "bob@example.com"


def test_a_stranger_guessing_from_many_addresses_only_delays_the_owner(db, make_user, sign_in, password):
    make_user(email="bob@example.com")
    # Forty wrong guesses within the window, each from its own address, all one minute old.
    for i in range(40):
        seed_failures(1, email="bob@example.com", address=f"203.0.113.{i}")
    assert failures(email="bob@example.com") == 40
    # The last failure was a minute ago, longer than the cap: the owner signs in from a new address at once.
    assert sign_in("bob@example.com", password, address="192.0.2.200").user.email == "bob@example.com"

    # The stranger goes on: a fresh guess delays the next try by at most the cap...
    for i in range(40):
        seed_failures(1, email="bob@example.com", address=f"203.0.113.{i}", minutes_ago=0)
    assert 1 <= wait_asked(sign_in, "bob@example.com", password, address="192.0.2.201") <= 30
    # ...but an address the owner signed in from before is not delayed by the stranger's failures at all.
    assert sign_in("bob@example.com", password, address="192.0.2.200").user.email == "bob@example.com"


def test_account_throttle_counts_only_failures_inside_the_window(db, make_user, sign_in, password):
    make_user(email="bob@example.com")
    seed_failures(20, email="bob@example.com", address="192.0.2.1", minutes_ago=16)
    seed_failures(4, email="bob@example.com", address="192.0.2.1", seconds_ago=1)
    assert sign_in("bob@example.com", password).user.email == "bob@example.com"


def test_successful_login_resets_the_account_count(db, make_user, sign_in, password):
    make_user(email="bob@example.com")
    seed_failures(4, email="bob@example.com", address="192.0.2.1")
    sign_in("bob@example.com", password)

    for attempt in range(4):
        with pytest.raises(Unauthorized):
            sign_in("bob@example.com", f"guess-number-{attempt}", address="192.0.2.2")
    # 8 failures in the window, but only 4 since the last success: no wait.
    assert sign_in("bob@example.com", password, address="192.0.2.3").user.email == "bob@example.com"


def test_address_waits_after_twenty_failures_across_accounts(db, make_user, sign_in, password):
    make_user(email="bob@example.com")
    # 19 earlier failures from this address, spread over many (partly unknown) accounts...
    for i in range(19):
        seed_failures(1, email=f"victim{i}@example.com", address=ADDRESS)
    # ...and the 20th through a real login.
    with pytest.raises(Unauthorized):
        sign_in("victim-last@example.com", "not-the-password-1")
    assert failures(address=ADDRESS) == 20

    assert wait_asked(sign_in, "bob@example.com", password) in (1, 2)
    # The same account from another address is fine; success does not clear the address count.
    sign_in("bob@example.com", password, address="192.0.2.50")
    assert wait_asked(sign_in, "bob@example.com", password) in (1, 2)
    # Known or unknown e-mail, the same answer from this address.
    assert wait_asked(sign_in, "nobody@example.com", password) in (1, 2)
    age_attempts(2)
    assert sign_in("bob@example.com", password).user.email == "bob@example.com"


def test_address_under_the_limit_is_not_delayed(db, make_user, sign_in, password):
    make_user(email="bob@example.com")
    for i in range(19):
        seed_failures(1, email=f"victim{i}@example.com", address=ADDRESS, seconds_ago=1)
    assert sign_in("bob@example.com", password).user.email == "bob@example.com"


def test_throttling_follows_the_settings(db, configure, make_user, sign_in, password):
    configure(login_free_failures_per_account=2, login_delay_first_seconds=10, login_delay_max_seconds=15)
    make_user(email="bob@example.com")
    seed_failures(2, email="bob@example.com", address="192.0.2.1", minutes_ago=0)
    assert wait_asked(sign_in, "bob@example.com", password) in (9, 10)
    seed_failures(3, email="bob@example.com", address="192.0.2.1", minutes_ago=0)
    assert wait_asked(sign_in, "bob@example.com", password) in (14, 15)


def test_login_of_an_admin_works_like_any_other(db, make_user, sign_in, password):
    admin = make_user(email="root@example.com", role=Role.SUPERADMIN)
    assert sign_in("ROOT@example.com", password).user.id == admin.id

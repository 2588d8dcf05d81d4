"""Registration on real PostgreSQL: roles, duplicates, bad passwords, the registration switch."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import func, select

from assistant.core.db import session_scope
from assistant.core.errors import Conflict, Forbidden, InvalidInput
from assistant.core.security import verify_password
from assistant.models import AppSetting, User
from assistant.models.user import Role
from assistant.services.admin.settings import REGISTRATION_ENABLED, get_setting, set_setting
from assistant.services.auth import service as auth

GOOD_PASSWORD = "s3cret-enough"


def register(**data) -> User:
    data.setdefault("password", GOOD_PASSWORD)
    with session_scope() as sess:
        return auth.register(session=sess, data=data)


def all_users() -> list[User]:
    with session_scope() as sess:
        return list(sess.exec(select(User).order_by(User.created_at)).all())


def user_count() -> int:
    with session_scope() as sess:
        return sess.exec(select(func.count()).select_from(User)).one()


def test_first_account_becomes_superadmin_and_later_ones_are_users(db):
    first = register(email="first@example.com", display_name="First")
    second = register(email="second@example.com")

    assert first.role == Role.SUPERADMIN
    assert second.role == Role.USER
    stored = {u.email: u.role for u in all_users()}
    assert stored == {"first@example.com": "superadmin", "second@example.com": "user"}


def test_registered_password_is_stored_hashed_and_display_name_defaults_to_mailbox(session):
    user = auth.register(session=session, data={"email": "dana@example.com", "password": GOOD_PASSWORD})
    session.commit()
    assert session.exec(select(User.email)).all() == ["dana@example.com"]
    assert user.display_name == "dana"
    assert user.password_hash != GOOD_PASSWORD
    assert user.password_hash.startswith("$2")
    assert verify_password(GOOD_PASSWORD, user.password_hash)


def test_two_simultaneous_first_registrations_make_exactly_one_superadmin(db):
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(email: str) -> None:
        try:
            barrier.wait()
            register(email=email)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"racer{i}@example.com",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(u.role for u in all_users()) == ["superadmin", "user"]


def test_role_in_registration_payload_is_ignored(db):
    register(email="owner@example.com")
    user = register(email="mallory@example.com", role="superadmin", is_active=False, max_chats=10**6)

    assert user.role == Role.USER
    stored = next(u for u in all_users() if u.email == "mallory@example.com")
    assert stored.role == "user"
    assert stored.is_active is True
    assert stored.max_chats is None


def test_role_user_in_payload_does_not_stop_the_first_account_becoming_superadmin(db):
    assert register(email="owner@example.com", role="user").role == Role.SUPERADMIN


def test_duplicate_email_is_a_conflict_and_leaves_the_first_account_unchanged(db):
    original = register(email="taken@example.com", display_name="Original")

    with pytest.raises(Conflict) as caught:
        register(email="taken@example.com", password="another-pass-9", display_name="Impostor")

    assert caught.value.code == "auth.email_taken"
    [stored] = all_users()
    assert stored.id == original.id
    assert stored.display_name == "Original"
    assert stored.password_hash == original.password_hash
    assert stored.updated_at == original.updated_at


def test_email_is_case_insensitive_and_trimmed(db, sign_in):
    user = register(email="  Alice@Example.COM ")
    assert user.email == "alice@example.com"

    with pytest.raises(Conflict) as caught:
        register(email="ALICE@example.com")
    assert caught.value.code == "auth.email_taken"
    assert user_count() == 1

    pair = sign_in("aLiCe@EXAMPLE.com", GOOD_PASSWORD)
    assert pair.user.id == user.id


@pytest.mark.parametrize("weak", ["short1!", "onlyletters", "1234567890", "        ", ""])
def test_weak_password_is_refused_and_nothing_is_stored(db, weak):
    with pytest.raises(InvalidInput) as caught:
        register(email="weak@example.com", password=weak)
    assert caught.value.code == "auth.password_weak"
    assert caught.value.params == {"min_length": 8}
    assert user_count() == 0


@pytest.mark.parametrize(
    "too_long",
    ["é" * 37, "a" * 71 + "é", "x1" * 36 + "y"],
    ids=["74-bytes-cyrillic-like", "73-bytes-mixed", "73-bytes-ascii"],
)
def test_password_over_72_bytes_is_refused_with_a_clear_code(db, too_long):
    assert len(too_long.encode()) > 72
    with pytest.raises(InvalidInput) as caught:
        register(email="long@example.com", password=too_long)
    assert caught.value.code == "auth.password_too_long"
    assert caught.value.params == {"max_bytes": 72}
    assert user_count() == 0


def test_password_of_exactly_72_bytes_is_accepted_and_works(db, sign_in):
    exact = "é" * 35 + "1a"
    assert len(exact.encode()) == 72
    register(email="exact@example.com", password=exact)
    assert sign_in("exact@example.com", exact).user.email == "exact@example.com"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("email", "not-an-email", "auth.email_invalid"),
        ("language", "de", "auth.language_unsupported"),
        ("timezone", "Mars/Olympus_Mons", "auth.timezone_invalid"),
        ("display_name", "x" * 101, "auth.display_name_too_long"),
    ],
)
def test_invalid_registration_fields_are_refused_and_nothing_is_stored(db, field, value, code):
    data = {"email": "ok@example.com", field: value}
    with pytest.raises(InvalidInput) as caught:
        register(**data)
    assert caught.value.code == code
    assert user_count() == 0


def test_disabled_registration_still_lets_the_very_first_account_in(db):
    with session_scope() as sess:  # the switch was turned off before anyone registered
        sess.add(AppSetting(key=REGISTRATION_ENABLED, value=False))

    owner = register(email="owner@example.com")
    assert owner.role == Role.SUPERADMIN

    with pytest.raises(Forbidden) as caught:
        register(email="late@example.com")
    assert caught.value.code == "auth.registration_disabled"
    assert [u.email for u in all_users()] == ["owner@example.com"]


def test_admin_turns_registration_off_and_on_again(db):
    owner = register(email="owner@example.com")
    with session_scope() as sess:
        set_setting(session=sess, actor=owner, key=REGISTRATION_ENABLED, value=False)
    with session_scope() as sess:
        assert get_setting(session=sess, key=REGISTRATION_ENABLED) is False

    with pytest.raises(Forbidden) as caught:
        register(email="late@example.com")
    assert caught.value.code == "auth.registration_disabled"
    assert user_count() == 1

    # An admin may still create accounts while public registration is off.
    with session_scope() as sess:
        made = auth.register(session=sess, data={"email": "invited@example.com", "password": GOOD_PASSWORD},
                             by_admin=owner)
    assert made.role == Role.USER

    with session_scope() as sess:
        set_setting(session=sess, actor=owner, key=REGISTRATION_ENABLED, value=True)
    assert register(email="late@example.com").role == Role.USER
    assert user_count() == 3


def test_registration_by_a_non_admin_on_behalf_of_others_is_refused(db, make_user):
    make_user(role=Role.SUPERADMIN)
    plain = make_user()
    with pytest.raises(Forbidden):
        with session_scope() as sess:
            auth.register(session=sess, data={"email": "x@example.com", "password": GOOD_PASSWORD}, by_admin=plain)
    assert user_count() == 2

"""Profile changes and password changes: validation, ignored role, other devices signed out."""

from __future__ import annotations

import pytest

from assistant.core.db import session_scope
from assistant.core.errors import InvalidInput, Unauthorized
from assistant.models import User
from assistant.services.auth import profile
from assistant.services.auth import service as auth


def update(user: User, data: dict) -> User:
    with session_scope() as sess:
        return profile.update_profile(session=sess, user=sess.get(User, user.id), data=data)


def reload(user: User) -> User:
    with session_scope() as sess:
        return sess.get(User, user.id)


def test_profile_update_changes_name_language_and_timezone(db, make_user):
    user = make_user(display_name="Old")
    update(user, {"display_name": "  New Name  ", "language": "ru", "timezone": "Europe/Berlin"})
    stored = reload(user)
    assert (stored.display_name, stored.language, stored.timezone) == ("New Name", "ru", "Europe/Berlin")


def test_role_and_other_fields_in_profile_payload_are_ignored(db, make_user):
    user = make_user()
    update(user, {"role": "superadmin", "is_active": False, "email": "new@example.com", "password_hash": "x",
                  "max_chats": 10**6, "display_name": "Sneaky"})
    stored = reload(user)
    assert stored.role == "user"
    assert stored.is_active is True
    assert stored.email == user.email
    assert stored.password_hash == user.password_hash
    assert stored.max_chats is None
    assert stored.display_name == "Sneaky"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "auth.timezone_invalid"),
        ({"timezone": "../../etc/passwd"}, "auth.timezone_invalid"),
        ({"timezone": ""}, "auth.timezone_invalid"),
        ({"language": "de"}, "auth.language_unsupported"),
        ({"language": ""}, "auth.language_unsupported"),
        ({"display_name": "   "}, "auth.display_name_required"),
        ({"display_name": "x" * 101}, "auth.display_name_too_long"),
        # a valid field next to an invalid one is not half-applied
        ({"display_name": "Half", "timezone": "Nowhere/Town"}, "auth.timezone_invalid"),
    ],
)
def test_invalid_profile_changes_are_refused_and_nothing_changes(db, make_user, data, code):
    user = make_user(display_name="Keep")
    with pytest.raises(InvalidInput) as caught:
        update(user, data)
    assert caught.value.code == code
    stored = reload(user)
    assert (stored.display_name, stored.language, stored.timezone) == ("Keep", "en", "UTC")


def test_change_password_signs_out_other_devices_only(db, make_user, sign_in, password):
    user = make_user(email="pw@example.com")
    with session_scope() as sess:
        sess.get(User, user.id).must_change_password = True  # as after an admin's one-time password
    here = sign_in("pw@example.com")
    elsewhere = sign_in("pw@example.com")

    with session_scope() as sess:
        auth.change_password(session=sess, user=sess.get(User, user.id), current_password=password,
                             new_password="brand-new-pass-9", keep_session_id=here.session_id)

    with session_scope() as sess:
        assert auth.authenticate(session=sess, access_token=here.access_token).id == user.id
    with session_scope() as sess:
        auth.refresh(session=sess, refresh_token=here.refresh_token)
    with pytest.raises(Unauthorized) as caught:
        with session_scope() as sess:
            auth.authenticate(session=sess, access_token=elsewhere.access_token)
    assert caught.value.code == "auth.session_expired"
    with pytest.raises(Unauthorized):
        with session_scope() as sess:
            auth.refresh(session=sess, refresh_token=elsewhere.refresh_token)

    with pytest.raises(Unauthorized) as caught:
        sign_in("pw@example.com", password)
    assert caught.value.code == "auth.invalid_credentials"
    assert sign_in("pw@example.com", "brand-new-pass-9").user.id == user.id
    assert reload(user).must_change_password is False


def test_change_password_needs_the_current_password(db, make_user, sign_in, password):
    user = make_user(email="pw@example.com")
    pair = sign_in("pw@example.com")
    with pytest.raises(Unauthorized) as caught:
        with session_scope() as sess:
            auth.change_password(session=sess, user=sess.get(User, user.id), current_password="wrong-guess-1",
                                 new_password="brand-new-pass-9", keep_session_id=None)
    assert caught.value.code == "auth.wrong_current_password"
    assert reload(user).password_hash == user.password_hash
    with session_scope() as sess:
        assert auth.authenticate(session=sess, access_token=pair.access_token).id == user.id


@pytest.mark.parametrize(("new", "code"), [("weakweak", "auth.password_weak"), ("é" * 37, "auth.password_too_long")])
def test_change_password_validates_the_new_one(db, make_user, password, new, code):
    user = make_user()
    with pytest.raises(InvalidInput) as caught:
        with session_scope() as sess:
            auth.change_password(session=sess, user=sess.get(User, user.id), current_password=password,
                                 new_password=new, keep_session_id=None)
    assert caught.value.code == code
    assert reload(user).password_hash == user.password_hash

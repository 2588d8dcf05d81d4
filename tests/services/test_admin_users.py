"""User management by admins and instance settings: who may change whom, and nothing changes when refused."""

from __future__ import annotations

import uuid

import pytest

from assistant.core.db import session_scope
from assistant.core.errors import Forbidden, InvalidInput, NotFound
from assistant.models import User
from assistant.models.user import Role
from assistant.services.admin import settings as admin_settings
from assistant.services.admin import users as admin_users
from assistant.services.auth import service as auth


def set_role(actor: User, target: User | uuid.UUID, role: str) -> User:
    target_id = target if isinstance(target, uuid.UUID) else target.id
    with session_scope() as sess:
        return admin_users.set_role(session=sess, actor=actor, user_id=target_id, role=role)


def set_active(actor: User, target: User, active: bool) -> User:
    with session_scope() as sess:
        return admin_users.set_active(session=sess, actor=actor, user_id=target.id, active=active)


def reload(user: User) -> User:
    with session_scope() as sess:
        return sess.get(User, user.id)


@pytest.fixture
def people(make_user):
    """A superadmin, an admin, and two plain users."""
    return {
        "owner": make_user(email="owner@example.com", role=Role.SUPERADMIN),
        "admin": make_user(email="admin@example.com", role=Role.ADMIN),
        "ann": make_user(email="ann@example.com"),
        "ben": make_user(email="ben@example.com"),
    }


def test_superadmin_promotes_and_demotes_admins(db, people):
    assert set_role(people["owner"], people["ann"], "admin").role == "admin"
    assert reload(people["ann"]).role == "admin"
    assert set_role(people["owner"], people["ann"], "user").role == "user"
    assert reload(people["ann"]).role == "user"


def test_admin_cannot_promote_anyone_to_admin_or_superadmin(db, people):
    for role in ("admin", "superadmin"):
        with pytest.raises(Forbidden):
            set_role(people["admin"], people["ann"], role)
    assert reload(people["ann"]).role == "user"


def test_admin_cannot_demote_another_admin(db, people, make_user):
    other_admin = make_user(email="admin2@example.com", role=Role.ADMIN)
    with pytest.raises(Forbidden):
        set_role(people["admin"], other_admin, "user")
    with pytest.raises(Forbidden):
        set_active(people["admin"], other_admin, False)
    assert reload(other_admin).role == "admin"
    assert reload(other_admin).is_active is True


@pytest.mark.parametrize("who", ["owner", "admin", "ann"])
def test_nobody_changes_their_own_role(db, people, who):
    actor = people[who]
    for role in ("superadmin", "admin", "user"):
        with pytest.raises(Forbidden):
            set_role(actor, actor, role)
    assert reload(actor).role == actor.role


def test_changing_own_role_gives_a_specific_message(db, people):
    with pytest.raises(Forbidden) as caught:
        set_role(people["owner"], people["owner"], "user")
    assert caught.value.code == "admin.cannot_change_self"
    with pytest.raises(Forbidden) as caught:
        set_active(people["owner"], people["owner"], False)
    assert caught.value.code == "admin.cannot_change_self"


def test_superadmin_is_untouchable_by_an_admin(db, people):
    owner = people["owner"]
    for role in ("user", "admin", "superadmin"):
        with pytest.raises(Forbidden):
            set_role(people["admin"], owner, role)
    with pytest.raises(Forbidden):
        set_active(people["admin"], owner, False)
    stored = reload(owner)
    assert (stored.role, stored.is_active) == ("superadmin", True)


def test_plain_user_cannot_manage_anyone(db, people):
    ann, ben = people["ann"], people["ben"]
    with pytest.raises(Forbidden):
        set_role(ann, ben, "user")
    with pytest.raises(Forbidden):
        set_active(ann, ben, False)
    with pytest.raises(Forbidden):
        with session_scope() as sess:
            admin_users.list_users(session=sess, actor=ann)
    assert reload(ben).is_active is True


def test_admin_deactivates_and_reactivates_a_user(db, people, sign_in, password):
    ann = people["ann"]
    sign_in("ann@example.com")
    assert set_active(people["admin"], ann, False).is_active is False
    with pytest.raises(Forbidden) as caught:
        sign_in("ann@example.com", password)
    assert caught.value.code == "auth.account_disabled"

    set_active(people["admin"], ann, True)
    assert sign_in("ann@example.com", password).user.id == ann.id


def test_unknown_role_and_unknown_user(db, people):
    with pytest.raises(InvalidInput) as caught:
        set_role(people["owner"], people["ann"], "god")
    assert caught.value.code == "admin.unknown_role"
    with pytest.raises(NotFound):
        set_role(people["owner"], uuid.uuid4(), "user")


def test_admin_lists_users_oldest_first(db, people):
    with session_scope() as sess:
        listed = admin_users.list_users(session=sess, actor=people["admin"])
    assert [u.email for u in listed] == ["owner@example.com", "admin@example.com", "ann@example.com", "ben@example.com"]


# --- instance settings ---------------------------------------------------------------------------


def test_registration_setting_defaults_to_enabled(db):
    with session_scope() as sess:
        assert admin_settings.get_setting(session=sess, key=admin_settings.REGISTRATION_ENABLED) is True


def test_only_admins_change_settings(db, people):
    with pytest.raises(Forbidden):
        with session_scope() as sess:
            admin_settings.set_setting(session=sess, actor=people["ann"], key="registration_enabled", value=False)
    with session_scope() as sess:
        assert admin_settings.get_setting(session=sess, key="registration_enabled") is True
        admin_settings.set_setting(session=sess, actor=people["admin"], key="registration_enabled", value=False)
    with session_scope() as sess:
        assert admin_settings.get_setting(session=sess, key="registration_enabled") is False


@pytest.mark.parametrize(("key", "value", "code"), [
    ("no_such_setting", True, "admin.unknown_setting"),
    ("registration_enabled", "false", "admin.bad_setting_value"),
    ("registration_enabled", 0, "admin.bad_setting_value"),
])
def test_bad_settings_are_refused(db, people, key, value, code):
    with pytest.raises(InvalidInput) as caught:
        with session_scope() as sess:
            admin_settings.set_setting(session=sess, actor=people["owner"], key=key, value=value)
    assert caught.value.code == code
    with session_scope() as sess:
        assert admin_settings.get_setting(session=sess, key="registration_enabled") is True


# --- bootstrap superadmin (``assistant create-admin`` and ASSISTANT_ADMIN_EMAIL) ------------------


def test_ensure_superadmin_creates_then_leaves_an_existing_account_alone(db, sign_in):
    with session_scope() as sess:
        user, created = auth.ensure_superadmin(session=sess, email="Boss@Example.com", password="boss-pass-1",
                                               reset_existing=False)
    assert created and user.role == "superadmin" and user.email == "boss@example.com"

    with session_scope() as sess:
        again, created = auth.ensure_superadmin(session=sess, email="boss@example.com", password="other-pass-2",
                                                reset_existing=False)
    assert not created and again.id == user.id
    assert sign_in("boss@example.com", "boss-pass-1").user.id == user.id


def test_ensure_superadmin_with_reset_promotes_and_reactivates(db, make_user, sign_in):
    existing = make_user(email="boss@example.com", active=False)
    with session_scope() as sess:
        user, created = auth.ensure_superadmin(session=sess, email="boss@example.com", password="new-boss-pass-3",
                                               reset_existing=True)
    assert not created and user.id == existing.id
    stored = reload(existing)
    assert (stored.role, stored.is_active) == ("superadmin", True)
    assert sign_in("boss@example.com", "new-boss-pass-3").user.id == existing.id


def test_create_admin_command_works_without_prompts(db, sign_in, capsys):
    from assistant import cli

    assert cli.main(["create-admin", "--email", "cli@example.com", "--password", "cli-pass-77"]) == 0
    assert "created superadmin cli@example.com" in capsys.readouterr().out
    assert sign_in("cli@example.com", "cli-pass-77").user.role == "superadmin"


def test_create_admin_command_refuses_a_weak_password(db, capsys):
    from assistant import cli

    assert cli.main(["create-admin", "--email", "cli@example.com", "--password", "short"]) == 1
    assert "too weak" in capsys.readouterr().out


def test_default_chat_limit_is_an_admin_setting_within_bounds(db, make_user):
    admin, user = make_user(role=Role.ADMIN), make_user()
    with session_scope() as sess:
        assert admin_settings.get_setting(session=sess, key="default_max_chats") == 1000
        with pytest.raises(Forbidden):
            admin_settings.set_setting(session=sess, actor=user, key="default_max_chats", value=5)
        for bad in (0, -3, 100_001):
            with pytest.raises(InvalidInput) as refused:
                admin_settings.set_setting(session=sess, actor=admin, key="default_max_chats", value=bad)
            assert refused.value.code == "admin.setting_out_of_range"
        with pytest.raises(InvalidInput):
            admin_settings.set_setting(session=sess, actor=admin, key="default_max_chats", value="50")
        admin_settings.set_setting(session=sess, actor=admin, key="default_max_chats", value=50)
    with session_scope() as sess:
        assert admin_settings.get_setting(session=sess, key="default_max_chats") == 50

"""Accounts created and removed by admins: a one-time password that must be replaced at the next sign-in, an
invitation link that works once and expires, a password reset, a chat limit, deletion with all data; the role
rules (an admin cannot touch a superadmin, the last superadmin stays, nobody acts on themselves)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlmodel import select

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.core.errors import Conflict, Forbidden, InvalidInput, Unauthorized
from assistant.models import Chat, Document, OneTimeCode, User
from assistant.models.user import Role
from assistant.services.admin import users as admin_users
from assistant.services.auth import service as auth
from assistant.services.rag.paths import document_path

NEW_PASSWORD = "fresh-secret-42"


def _reload(user_id) -> User | None:
    with session_scope() as sess:
        return sess.get(User, user_id)


def _code(link: str) -> str:
    return parse_qs(urlparse(link).query)["code"][0]


@pytest.fixture
def people(make_user):
    return {
        "owner": make_user(email="owner@example.com", role=Role.SUPERADMIN),
        "admin": make_user(email="admin@example.com", role=Role.ADMIN),
        "ann": make_user(email="ann@example.com"),
    }


def test_a_user_created_with_a_one_time_password_must_choose_a_new_one(people, call, sign_in):
    created = call(admin_users.create_user, actor=people["admin"], email=" New.Person@Example.com ",
                   display_name="New Person")
    assert created.invitation_link == "" and len(created.one_time_password) >= 12
    assert (created.user.email, created.user.role) == ("new.person@example.com", "user")

    pair = sign_in("new.person@example.com", created.one_time_password)
    assert pair.user.must_change_password is True
    with pytest.raises(InvalidInput) as caught:  # the one-time password itself is not a new one
        call(admin_users.choose_new_password, user=pair.user, password=created.one_time_password,
             keep_session_id=pair.session_id)
    assert caught.value.code == "admin.users.same_password"
    call(admin_users.choose_new_password, user=pair.user, password=NEW_PASSWORD, keep_session_id=pair.session_id)

    assert _reload(created.user.id).must_change_password is False
    with pytest.raises(Unauthorized):
        sign_in("new.person@example.com", created.one_time_password)
    assert sign_in("new.person@example.com", NEW_PASSWORD).user.must_change_password is False
    with pytest.raises(Forbidden):  # nothing more to replace without the current password
        call(admin_users.choose_new_password, user=pair.user, password="another-pass-7", keep_session_id=None)


def test_an_invitation_link_works_once(people, call, sign_in):
    created = call(admin_users.create_user, actor=people["owner"], email="invited@example.com",
                   method="invitation")
    assert created.one_time_password == ""
    assert created.invitation_link.startswith(f"{get_settings().base_url}/invite?code=")
    code = _code(created.invitation_link)

    with pytest.raises(InvalidInput) as caught:  # a weak password does not use the link up
        call(admin_users.accept_invitation, code=code, password="short")
    assert caught.value.code == "auth.password_weak"
    user = call(admin_users.accept_invitation, code=code, password=NEW_PASSWORD)
    assert user.email == "invited@example.com" and user.must_change_password is False
    assert sign_in("invited@example.com", NEW_PASSWORD).user.id == created.user.id

    with pytest.raises(InvalidInput) as caught:
        call(admin_users.accept_invitation, code=code, password="other-pass-9")
    assert caught.value.code == "channels.code_invalid"
    assert sign_in("invited@example.com", NEW_PASSWORD).user.id == created.user.id


def test_an_invitation_link_expires(people, call, session):
    created = call(admin_users.create_user, actor=people["admin"], email="late@example.com", method="invitation")
    row = session.exec(select(OneTimeCode).where(OneTimeCode.user_id == created.user.id)).one()
    assert row.expires_at - datetime.now(UTC) > timedelta(days=6, hours=23)
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.add(row)
    session.commit()
    with pytest.raises(InvalidInput) as caught:
        call(admin_users.accept_invitation, code=_code(created.invitation_link), password=NEW_PASSWORD)
    assert caught.value.code == "channels.code_expired"


def test_a_password_reset_ends_an_unused_invitation(people, call):
    created = call(admin_users.create_user, actor=people["admin"], email="reset@example.com", method="invitation")
    call(admin_users.reset_password, actor=people["admin"], user_id=created.user.id)
    with pytest.raises(InvalidInput) as caught:
        call(admin_users.accept_invitation, code=_code(created.invitation_link), password=NEW_PASSWORD)
    assert caught.value.code == "channels.code_invalid"


def test_reset_password_gives_a_one_time_password_and_signs_the_user_out(people, call, sign_in, password):
    ann = people["ann"]
    old = sign_in("ann@example.com")
    one_time = call(admin_users.reset_password, actor=people["admin"], user_id=ann.id)
    with pytest.raises(Unauthorized):
        sign_in("ann@example.com", password)
    with session_scope() as sess:
        with pytest.raises(Unauthorized):
            auth.refresh(session=sess, refresh_token=old.refresh_token)
    assert sign_in("ann@example.com", one_time).user.must_change_password is True


def test_max_chats(people, call):
    assert call(admin_users.set_max_chats, actor=people["admin"], user_id=people["ann"].id, max_chats=5).max_chats == 5
    for wrong in (0, 100_001):
        with pytest.raises(InvalidInput):
            call(admin_users.set_max_chats, actor=people["admin"], user_id=people["ann"].id, max_chats=wrong)
    assert call(admin_users.set_max_chats, actor=people["admin"], user_id=people["ann"].id,
                max_chats=None).max_chats is None


def test_role_rules(people, call, make_user):
    owner, admin, ann = people["owner"], people["admin"], people["ann"]
    second = make_user(email="second@example.com", role=Role.SUPERADMIN)
    for action, kwargs in [
        (admin_users.set_role, {"role": "user"}),
        (admin_users.set_active, {"active": False}),
        (admin_users.reset_password, {}),
        (admin_users.delete_user, {}),
    ]:
        with pytest.raises(Forbidden):  # an admin cannot demote, deactivate, reset or delete a superadmin
            call(action, actor=admin, user_id=second.id, **kwargs)
        with pytest.raises(Forbidden) as caught:  # nobody acts on themselves here
            call(action, actor=owner, user_id=owner.id, **kwargs)
        assert caught.value.code == "admin.cannot_change_self"
        with pytest.raises(Forbidden):  # a plain user manages nobody
            call(action, actor=ann, user_id=admin.id, **kwargs)
    assert (_reload(second.id).role, _reload(second.id).is_active) == ("superadmin", True)

    # A superadmin demotes another one while another is left; the last active one stays.
    assert call(admin_users.set_role, actor=owner, user_id=second.id, role="admin").role == "admin"
    lone_actor = User(email="ghost@example.com", display_name="ghost", password_hash="x", role="superadmin")
    for action, kwargs in [(admin_users.set_role, {"role": "admin"}), (admin_users.set_active, {"active": False}),
                           (admin_users.delete_user, {})]:
        with pytest.raises(Conflict) as caught:
            call(action, actor=lone_actor, user_id=owner.id, **kwargs)
        assert caught.value.code == "admin.last_superadmin"
    assert _reload(owner.id).role == "superadmin"


def test_deleting_a_user_removes_their_data(people, call, make_document, session):
    ann = people["ann"]
    document = make_document(ann, content=b"ann's private notes")
    session.add(Chat(user_id=ann.id, title="ann's chat"))
    session.commit()
    path = document_path(get_settings(), document.storage_name)
    assert path.exists()

    call(admin_users.delete_user, actor=people["admin"], user_id=ann.id)

    assert _reload(ann.id) is None
    with session_scope() as sess:
        assert sess.exec(select(Document).where(Document.owner_id == ann.id)).all() == []
        assert sess.exec(select(Chat).where(Chat.user_id == ann.id)).all() == []
    assert not path.exists()
    assert _reload(people["admin"].id) is not None

"""The audit log: every admin action on users, groups, collections (their documents too), the primary context and
general skills leaves one entry (who, what, on what, before/after, from where), no entry holds a one-time password
or an invitation code, a user's own skill or document leaves none; the listing filters by action, actor, target text
and dates, newest first, paged, for admins only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlmodel import select

from assistant.core.config import get_settings
from assistant.core.errors import Forbidden, InvalidInput
from assistant.models import AuditEntry, ContextScope
from assistant.models.user import Role
from assistant.services.admin import audit, groups
from assistant.services.admin import users as admin_users
from assistant.services.chat import context_files, skills
from assistant.services.rag import collections, documents

SKILL = {"name": "Triage", "system_prompt": "Ask about symptoms first.", "icon": "stethoscope"}


def test_every_admin_action_is_logged_without_secrets(make_user, call, session):
    admin = make_user(email="admin@example.com", role=Role.SUPERADMIN)
    ann = make_user(email="ann@example.com")
    token = audit.client_address.set("203.0.113.9")
    try:
        made = call(admin_users.create_user, actor=admin, email="otp@example.com")
        invited = call(admin_users.create_user, actor=admin, email="inv@example.com", method="invitation")
        call(admin_users.set_role, actor=admin, user_id=ann.id, role="admin")
        call(admin_users.set_active, actor=admin, user_id=ann.id, active=False)
        call(admin_users.set_active, actor=admin, user_id=ann.id, active=True)
        reset = call(admin_users.reset_password, actor=admin, user_id=ann.id)
        call(admin_users.set_max_chats, actor=admin, user_id=ann.id, max_chats=7)
        team = call(groups.create_group, actor=admin, name="Nurses")
        call(groups.update_group, actor=admin, group_id=team.id, name="Night nurses")
        call(groups.add_member, actor=admin, group_id=team.id, email="ann@example.com")
        leaflets = call(collections.create_collection, user=admin, name="Leaflets")
        call(collections.update_collection, user=admin, collection_id=leaflets.id, description="For patients")
        call(collections.grant, user=admin, collection_id=leaflets.id, email="otp@example.com")
        call(collections.revoke, user=admin, collection_id=leaflets.id, user_id=made.user.id)
        call(groups.grant_collection, actor=admin, collection_id=leaflets.id, group_id=team.id)
        call(groups.revoke_collection, actor=admin, collection_id=leaflets.id, group_id=team.id)
        call(collections.delete_collection, user=admin, collection_id=leaflets.id, settings=get_settings())
        call(groups.remove_member, actor=admin, group_id=team.id, user_id=ann.id)
        call(groups.delete_group, actor=admin, group_id=team.id)
        call(context_files.save_context, user=admin, scope=ContextScope.PRIMARY, content="Be kind.")
        skill = call(skills.create_skill, user=admin, scope="general", data=SKILL)
        call(skills.update_skill, user=admin, skill_id=skill.id, data={**SKILL, "name": "Triage 2"})
        call(skills.delete_skill, user=admin, skill_id=skill.id)
        call(skills.create_skill, user=ann, scope="personal", data=SKILL)  # a user's own: not an admin action
        call(context_files.save_context, user=ann, scope=ContextScope.PERSONAL, content="I am Ann.")
        call(admin_users.delete_user, actor=admin, user_id=invited.user.id)
    finally:
        audit.client_address.reset(token)

    entries = session.exec(select(AuditEntry).order_by(AuditEntry.created_at)).all()
    assert [e.action for e in entries] == [
        "user.create", "user.create", "user.role", "user.deactivate", "user.activate", "user.reset_password",
        "user.max_chats", "group.create", "group.update", "group.add_member", "collection.create",
        "collection.update", "collection.grant_user", "collection.revoke_user", "collection.grant_group",
        "collection.revoke_group", "collection.delete", "group.remove_member", "group.delete",
        "context.primary.update", "skill.create", "skill.update", "skill.delete", "user.delete",
    ]
    assert {(e.actor_id, e.actor_email, e.client_address) for e in entries} == {
        (admin.id, "admin@example.com", "203.0.113.9")}
    by_action = {e.action: e for e in entries}
    assert (by_action["user.role"].target_label, by_action["user.role"].before, by_action["user.role"].after) == (
        "ann@example.com", {"role": "user"}, {"role": "admin"})
    assert by_action["user.max_chats"].after == {"max_chats": 7}
    assert by_action["collection.grant_group"].after == {"group": "Night nurses"}
    assert by_action["user.delete"].target_label == "inv@example.com"
    code = parse_qs(urlparse(invited.invitation_link).query)["code"][0]
    logged = json.dumps([e.model_dump(mode="json") for e in entries])
    for secret in (made.one_time_password, reset, code):
        assert secret not in logged


def test_documents_uploaded_into_and_deleted_from_a_collection_are_logged(make_user, call, session):
    admin = make_user(email="admin@example.com", role=Role.ADMIN)
    ann = make_user(email="ann@example.com")
    leaflets = call(collections.create_collection, user=admin, name="Leaflets")
    writer = call(lambda session: documents.UploadWriter(get_settings(), max_bytes=1_000_000))
    writer.write(b"Vitamin D: 600 IU a day.")
    shared = call(documents.store_upload, user=admin, writer=writer, filename="leaflet.txt",
                  collection_id=leaflets.id)
    own = call(lambda session: documents.UploadWriter(get_settings(), max_bytes=1_000_000))
    own.write(b"My own notes.")
    mine = call(documents.store_upload, user=ann, writer=own, filename="notes.txt")
    call(documents.delete_document, user=ann, document_id=mine.id, settings=get_settings())  # private: not logged
    call(documents.delete_document, user=admin, document_id=shared.id, settings=get_settings())

    entries = session.exec(select(AuditEntry).where(AuditEntry.action.startswith("collection.document"))
                           .order_by(AuditEntry.created_at)).all()
    assert [(e.action, e.target_label) for e in entries] == [
        ("collection.document_upload", "Leaflets"), ("collection.document_delete", "Leaflets")]
    assert entries[0].after == {"document": "leaflet.txt", "size_bytes": 24}
    assert entries[1].before["document"] == "leaflet.txt"


def test_listing_filters_newest_first_and_pages(make_user, call, session):
    admin = make_user(email="admin@example.com", role=Role.ADMIN)
    other = make_user(email="other-admin@example.com", role=Role.ADMIN)
    ann = make_user(email="ann@example.com")
    now = datetime.now(UTC)
    for minutes, actor, action, label in [(30, admin, "user.role", "ann@example.com"),
                                          (20, other, "group.create", "Nurses"),
                                          (10, admin, "user.max_chats", "ben@example.com")]:
        session.add(AuditEntry(actor_id=actor.id, actor_email=actor.email, action=action, target_type="x",
                               target_label=label, created_at=now - timedelta(minutes=minutes)))
    session.commit()

    def listed(**filters) -> list[str]:
        return [e.action for e in call(audit.list_entries, actor=admin, **filters).entries]

    assert listed() == ["user.max_chats", "group.create", "user.role"]
    assert listed(action="user.") == ["user.max_chats", "user.role"]
    assert listed(action="group.create") == ["group.create"]
    assert listed(actor_text="OTHER") == ["group.create"]
    assert listed(target_text="ann@") == ["user.role"]
    assert listed(target_text="100%") == []
    assert listed(since=now - timedelta(minutes=25), until=now - timedelta(minutes=15)) == ["group.create"]
    page = call(audit.list_entries, actor=admin, offset=1, limit=1)
    assert ([e.action for e in page.entries], page.total) == (["group.create"], 3)
    assert call(audit.known_actions, actor=admin) == ["group.create", "user.max_chats", "user.role"]
    with pytest.raises(InvalidInput):
        call(audit.list_entries, actor=admin, limit=0)
    with pytest.raises(Forbidden):
        call(audit.list_entries, actor=ann)
    with pytest.raises(Forbidden):
        call(audit.known_actions, actor=ann)


def test_secrets_are_redacted_at_any_depth_and_other_values_kept() -> None:
    value = {"smtp": {"host": "mail.example.org", "password": "gAAAA-ciphertext", "api_key": ""},
             "bots": [{"token": "123:abc", "bot_username": "clinic_bot"}], "api_key_encrypted": "gAAAA",
             "small": {"model": "gpt-4o-mini", "max_tokens": 2048}}
    assert audit.redact(value) == {"smtp": {"host": "mail.example.org", "password": "set", "api_key": "unset"},
                             "bots": [{"token": "set", "bot_username": "clinic_bot"}], "api_key_encrypted": "set",
                             "small": {"model": "gpt-4o-mini", "max_tokens": 2048}}

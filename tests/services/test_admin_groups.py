"""Groups: a collection granted to a group is in its members' document lists at once, and out of them at once when
the grant or the membership goes; a group still granted something is not deleted; names and members checked;
only admins manage groups."""

from __future__ import annotations

import uuid

import pytest

from assistant.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from assistant.models import Agent, AgentGroupGrant, Group
from assistant.models.user import Role
from assistant.services.admin import groups
from assistant.services.rag import collections
from assistant.services.rag.documents import get_document, list_documents


@pytest.fixture
def admin(make_user):
    return make_user(email="admin@example.com", role=Role.ADMIN)


def _names(call, user) -> set[str]:
    return {view.filename for view in call(list_documents, user=user)}


def test_a_group_grant_and_its_revocation_count_at_once(admin, make_user, make_document, call):
    ann, ben = make_user(email="ann@example.com"), make_user(email="ben@example.com")
    leaflets = call(collections.create_collection, user=admin, name="Leaflets")
    document = make_document(admin, collection=leaflets, filename="leaflet.txt")
    team = call(groups.create_group, actor=admin, name="Nurses")
    assert call(groups.add_member, actor=admin, group_id=team.id, email=" ANN@example.com ").id == ann.id
    assert _names(call, ann) == set()

    call(groups.grant_collection, actor=admin, collection_id=leaflets.id, group_id=team.id)
    assert _names(call, ann) == {"leaflet.txt"}
    assert call(get_document, user=ann, document_id=document.id).id == document.id
    assert _names(call, ben) == set()  # not a member

    call(groups.add_member, actor=admin, group_id=team.id, email="ben@example.com")
    assert _names(call, ben) == {"leaflet.txt"}
    assert call(groups.remove_member, actor=admin, group_id=team.id, user_id=ben.id) is True
    assert _names(call, ben) == set()
    with pytest.raises(NotFound):
        call(get_document, user=ben, document_id=document.id)

    assert call(groups.revoke_collection, actor=admin, collection_id=leaflets.id, group_id=team.id) is True
    assert _names(call, ann) == set()
    assert call(groups.revoke_collection, actor=admin, collection_id=leaflets.id, group_id=team.id) is False


def test_a_group_in_use_is_not_deleted(admin, call, session):
    team = call(groups.create_group, actor=admin, name="Doctors")
    leaflets = call(collections.create_collection, user=admin, name="Leaflets")
    call(groups.grant_collection, actor=admin, collection_id=leaflets.id, group_id=team.id)
    agent = Agent(name="Triage helper")
    session.add(agent)
    session.flush()
    session.add(AgentGroupGrant(agent_id=agent.id, group_id=team.id))
    session.commit()

    with pytest.raises(Conflict) as caught:
        call(groups.delete_group, actor=admin, group_id=team.id)
    assert caught.value.code == "groups.in_use"
    assert caught.value.params["uses"] == "Leaflets, Triage helper"
    listed = call(groups.list_groups, actor=admin)
    assert [(g.name, g.collections, g.agents) for g in listed] == [("Doctors", ["Leaflets"], ["Triage helper"])]

    call(groups.revoke_collection, actor=admin, collection_id=leaflets.id, group_id=team.id)
    session.delete(session.get(AgentGroupGrant, (agent.id, team.id)))
    session.commit()
    call(groups.delete_group, actor=admin, group_id=team.id)
    assert call(groups.list_groups, actor=admin) == []


def test_names_members_and_roles(admin, make_user, call):
    ann = make_user(email="ann@example.com")
    team = call(groups.create_group, actor=admin, name="  Night   shift ")
    assert team.name == "Night shift"
    for name, code in [("", "groups.name_required"), ("x" * 101, "groups.name_too_long"),
                       ("NIGHT SHIFT", "groups.name_taken")]:
        with pytest.raises(InvalidInput) as caught:
            call(groups.create_group, actor=admin, name=name)
        assert caught.value.code == code
    assert call(groups.update_group, actor=admin, group_id=team.id, name="Nights").name == "Nights"
    with pytest.raises(NotFound) as caught:
        call(groups.add_member, actor=admin, group_id=team.id, email="nobody@example.com")
    assert caught.value.code == "groups.user_not_found"
    with pytest.raises(NotFound):
        call(groups.add_member, actor=admin, group_id=uuid.uuid4(), email="ann@example.com")
    for action, kwargs in [(groups.create_group, {"name": "Mine"}), (groups.list_groups, {}),
                           (groups.add_member, {"group_id": team.id, "email": "ann@example.com"}),
                           (groups.delete_group, {"group_id": team.id})]:
        with pytest.raises(Forbidden):
            call(action, actor=ann, **kwargs)
    assert [g.members for g in call(groups.list_groups, actor=admin)] == [[]]
    assert call(lambda session: session.get(Group, team.id)) is not None

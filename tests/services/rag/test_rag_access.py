"""One rule of who reads which document (assistant.services.rag.access: grants to the user, to their groups
and through general agents), seen the same through all four paths that use it: the documents list, search, the
viewer and the readers an event is sent to."""

from __future__ import annotations

import uuid

import pytest

from assistant.core.db import session_scope
from assistant.core.errors import NotFound
from assistant.models import (
    Agent,
    AgentCollection,
    AgentGrant,
    AgentGroupGrant,
    Collection,
    CollectionGrant,
    CollectionGroupGrant,
    Group,
    GroupMember,
    Role,
)
from assistant.services.rag import embeddings
from assistant.services.rag.access import readers_of_document
from assistant.services.rag.documents import list_documents
from assistant.services.rag.index import NewChunk, store_chunks
from assistant.services.rag.search import tuned_search
from assistant.services.rag.viewer import read_page


def _axis(i: int) -> list[float]:
    vector = [0.0] * embeddings.EMBEDDING_DIMENSIONS
    vector[i] = 1.0
    return vector


def _with_chunk(document, i: int) -> None:
    with session_scope() as sess:
        store_chunks(session=sess, document=document, chunks=[
            NewChunk(ord=0, page=1, heading_path="", text=f"shared words, document {i}", token_count=4,
                     embedding=_axis(i))])


def _paths(user, document_ids: list[uuid.UUID]) -> dict[str, set[uuid.UUID]]:
    """Which of ``document_ids`` ``user`` reads, as each path tells it."""
    with session_scope() as sess:
        listed = {view.id for view in list_documents(session=sess, user=user)}
        found = {hit.document_id for hit in tuned_search(session=sess, user=user, query="shared words", k=20,
                                                         mode="vector", min_similarity=-1, query_vector=_axis(0))}
        opened = set()
        for document_id in document_ids:
            try:
                opened.add(read_page(session=sess, user=user, document_id=document_id).document_id)
            except NotFound:
                pass
        notified = {document_id for document_id in document_ids
                    if user.id in readers_of_document(sess, document_id)}
    wanted = set(document_ids)
    return {"list": listed & wanted, "search": found & wanted, "viewer": opened, "readers_of_document": notified}


@pytest.fixture
def people(make_user, make_document):
    """An admin owning a private document and a collection document (they created the collection, so it
    is granted to them), a grantee, a grantee whose grant was revoked, a stranger, a member of a group granted
    the collection, a user granted a general agent searching it, a member of a group granted that agent, and
    users whose personal agent or inactive general agent searches it (neither grants anything)."""
    owner = make_user(role=Role.ADMIN)
    grantee, revoked, stranger = make_user(), make_user(), make_user()
    member, agent_user, agent_member, own_agent, inactive_agent = (make_user() for _ in range(5))
    with session_scope() as sess:
        collection = Collection(name=f"Leaflets {uuid.uuid4().hex[:6]}", created_by=owner.id)
        readers, agents_team = Group(name=f"Readers {uuid.uuid4().hex[:6]}"), Group(name=f"Team {uuid.uuid4().hex[:6]}")
        general = Agent(name="Leaflet helper")
        personal = Agent(name="Mine", owner_id=own_agent.id)
        inactive = Agent(name="Retired", is_active=False)
        sess.add_all([collection, readers, agents_team, general, personal, inactive])
        sess.flush()
        for user in (owner, grantee, revoked):
            sess.add(CollectionGrant(collection_id=collection.id, user_id=user.id))
        sess.add_all([
            CollectionGroupGrant(collection_id=collection.id, group_id=readers.id),
            GroupMember(group_id=readers.id, user_id=member.id),
            GroupMember(group_id=agents_team.id, user_id=agent_member.id),
            AgentGroupGrant(agent_id=general.id, group_id=agents_team.id),
            AgentGrant(agent_id=general.id, user_id=agent_user.id),
            AgentGrant(agent_id=inactive.id, user_id=inactive_agent.id),
            *[AgentCollection(agent_id=agent.id, collection_id=collection.id)
              for agent in (general, personal, inactive)],
        ])
    with session_scope() as sess:
        sess.delete(sess.get(CollectionGrant, (collection.id, revoked.id)))
    private = make_document(owner)
    shared = make_document(owner, collection=collection)
    _with_chunk(private, 1)
    _with_chunk(shared, 2)
    return {"owner": owner, "grantee": grantee, "revoked": revoked, "stranger": stranger, "member": member,
            "agent_user": agent_user, "agent_member": agent_member, "own_agent": own_agent,
            "inactive_agent": inactive_agent, "private": private.id, "shared": shared.id, "collection": collection.id}


@pytest.mark.parametrize(("who", "reads"), [
    ("owner", {"private", "shared"}),
    ("grantee", {"shared"}),
    ("revoked", set()),
    ("stranger", set()),
    ("member", {"shared"}),
    ("agent_user", {"shared"}),
    ("agent_member", {"shared"}),
    ("own_agent", set()),
    ("inactive_agent", set()),
])
def test_list_search_viewer_and_readers_agree(people, who: str, reads: set[str]) -> None:
    documents = [people["private"], people["shared"]]
    expected = {people[name] for name in reads}
    seen = _paths(people[who], documents)
    assert seen == dict.fromkeys(seen, expected)


def test_readers_follow_grants_and_uploading_into_a_collection_is_no_grant(people) -> None:
    with session_scope() as sess:
        assert readers_of_document(sess, people["private"]) == {people["owner"].id}
        assert readers_of_document(sess, people["shared"]) == {
            people[name].id for name in ("owner", "grantee", "member", "agent_user", "agent_member")}
        assert readers_of_document(sess, uuid.uuid4()) == set()
        sess.delete(sess.get(CollectionGrant, (people["collection"], people["owner"].id)))
    # the uploader without a grant reads it through no path at all
    seen = _paths(people["owner"], [people["shared"]])
    assert seen == dict.fromkeys(seen, set())
    with session_scope() as sess:
        assert readers_of_document(sess, people["shared"]) == {
            people[name].id for name in ("grantee", "member", "agent_user", "agent_member")}

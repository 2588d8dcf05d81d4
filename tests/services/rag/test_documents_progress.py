"""Ingestion progress goes on the event bus to exactly the users who may read the document: its owner,
and everyone granted its collection until the grant is revoked; a deleted document is announced too."""

from __future__ import annotations

import psycopg
import pytest

from assistant.core import events
from assistant.core.db import session_scope
from assistant.models import Document
from assistant.models.user import Role
from assistant.services.rag import collections, progress
from assistant.services.rag.documents import remove_document


def published(url: str, action) -> list[events.Event]:
    """The bus events sent while ``action()`` ran and committed."""
    with psycopg.connect(url, autocommit=True) as listener:
        listener.execute(f"LISTEN {events.CHANNEL}")
        action()
        return [e for n in listener.notifies(timeout=0.5) if isinstance(e := events.decode(n.payload), events.Event)]


@pytest.fixture
def people(make_user):
    return {"admin": make_user(role=Role.ADMIN), "ann": make_user(), "bob": make_user(), "eve": make_user()}


def test_progress_reaches_the_owner_and_the_collections_grantees_only(database, people, make_document, configure):
    admin, ann, bob = people["admin"], people["ann"], people["bob"]
    with session_scope() as session:
        shared = collections.create_collection(session=session, user=admin, name="Family")
    for person in (ann, bob):
        with session_scope() as session:
            collections.grant(session=session, user=admin, collection_id=shared.id, email=person.email)
    private = make_document(ann, status="processing", filename="ann-labs.pdf")
    common = make_document(admin, collection=shared, status="processing", filename="leaflet.pdf")

    def send(*documents: Document) -> None:
        with session_scope() as session:
            progress.publish_progress(session, documents)

    [mine, theirs] = published(database.url, lambda: send(private, common))
    assert mine.user_ids == {ann.id} and mine.payload["filename"] == "ann-labs.pdf"
    assert theirs.user_ids == {admin.id, ann.id, bob.id}
    assert mine.topic == theirs.topic == "document"

    with session_scope() as session:
        collections.revoke(session=session, user=admin, collection_id=shared.id, user_id=bob.id)
    [after] = published(database.url, lambda: send(common))
    assert after.user_ids == {admin.id, ann.id}

    def delete() -> None:
        with session_scope() as session:
            remove_document(session=session, document=session.get(Document, common.id), settings=configure())

    [gone] = published(database.url, delete)
    assert gone.user_ids == {admin.id, ann.id} and gone.payload["status"] == "deleted"
    assert people["eve"].id not in mine.user_ids | theirs.user_ids | after.user_ids | gone.user_ids


def test_nothing_is_sent_when_the_transaction_rolls_back(database, people, make_document):
    document = make_document(people["ann"], status="processing")

    def fail() -> None:
        with pytest.raises(RuntimeError), session_scope() as session:
            progress.publish_progress(session, [document])
            raise RuntimeError("rolled back")

    assert published(database.url, fail) == []

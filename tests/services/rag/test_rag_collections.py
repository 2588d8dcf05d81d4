"""Shared collections on real PostgreSQL: admin-only management, names, grants and revokes seen at once by
the document list and by search, uploads into a collection, and deleting a collection with its documents,
chunks, keyword statistics and files."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlmodel import select

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.core.errors import Forbidden, InvalidInput, NotFound
from assistant.models import Collection, CollectionGrant, Document, Role
from assistant.services.rag import collections, documents
from assistant.services.rag.embeddings import EMBEDDING_DIMENSIONS
from assistant.services.rag.index import NewChunk, store_chunks
from assistant.services.rag.paths import document_path, documents_dir
from assistant.services.rag.search import tuned_search


@pytest.fixture(autouse=True)
def empty_documents_folder(database):
    import shutil

    shutil.rmtree(documents_dir(get_settings()), ignore_errors=True)


def axis(i: int) -> list[float]:
    vector = [0.0] * EMBEDDING_DIMENSIONS
    vector[i] = 1.0
    return vector


def call(function, user, **kwargs):
    """One request: ``function(session=..., user=user, **kwargs)`` in its own committed transaction."""
    with session_scope() as session:
        return function(session=session, user=user, **kwargs)


def upload(user, data: bytes, filename: str, collection_id=None) -> Document:
    settings = get_settings()
    with session_scope() as session:
        writer = documents.UploadWriter(settings, max_bytes=documents.upload_limits(session=session)["max_bytes"])
    writer.write(data)
    with session_scope() as session:
        return documents.store_upload(session=session, user=user, writer=writer, filename=filename,
                                      collection_id=collection_id)


def ingest(document: Document, texts: list[str], vectors: list[list[float]]) -> None:
    """What the worker would do: store the chunks and mark the document completed."""
    with session_scope() as session:
        store_chunks(session=session, document=document, chunks=[
            NewChunk(ord=i, page=1, heading_path="", text=t, token_count=len(t.split()), embedding=v)
            for i, (t, v) in enumerate(zip(texts, vectors, strict=True))])
        row = session.get(Document, document.id)
        row.status, row.progress, row.stage, row.chunk_count = "completed", 100, "done", len(texts)
        session.add(row)


def found(user, query: str, vector: list[float]) -> list[str]:
    with session_scope() as session:
        hits = tuned_search(session=session, user=user, query=query, k=5, min_similarity=-1, query_vector=vector)
    return [hit.text for hit in hits]


def listed(user) -> list[tuple[str, str]]:
    return [(view.filename, view.collection) for view in call(documents.list_documents, user)]


def bm25_state() -> tuple[int, int, int]:
    with session_scope() as session:
        return session.execute(text(
            "SELECT (SELECT coalesce(sum(chunk_count), 0) FROM bm25_corpus),"
            " (SELECT count(*) FROM bm25_terms), (SELECT count(*) FROM bm25_chunks)")).one()


def test_admin_creates_renames_and_lists_collections(db, make_user):
    admin, superadmin = make_user(role=Role.ADMIN), make_user(role=Role.SUPERADMIN)
    leaflets = call(collections.create_collection, admin, name="  Clinic   leaflets ", description=" For patients ")
    assert (leaflets.name, leaflets.description, leaflets.created_by) == ("Clinic leaflets", "For patients", admin.id)
    call(collections.create_collection, superadmin, name="Guidelines")

    views = call(collections.list_collections, admin)
    assert [(v.name, v.description, v.document_count, v.grant_count) for v in views] == [
        ("Clinic leaflets", "For patients", 0, 1), ("Guidelines", "", 0, 1)]  # granted to their creators

    renamed = call(collections.update_collection, admin, collection_id=leaflets.id, name="Leaflets")
    assert renamed.name == "Leaflets" and renamed.description == "For patients"
    call(collections.update_collection, admin, collection_id=leaflets.id, name="LEAFLETS", description="")
    with session_scope() as session:
        stored = session.get(Collection, leaflets.id)
        assert (stored.name, stored.description) == ("LEAFLETS", "")
    assert call(collections.get_collection, superadmin, collection_id=leaflets.id).name == "LEAFLETS"


@pytest.mark.parametrize(("name", "description", "code"), [
    ("", "", "collections.name_required"),
    ("   \t ", "", "collections.name_required"),
    ("x" * 101, "", "collections.name_too_long"),
    ("ok", "d" * 501, "collections.description_too_long"),
    ("guidelines", "", "collections.name_taken"),
    ("  GUIDELINES ", "", "collections.name_taken"),
])
def test_bad_names_and_descriptions_are_refused(db, make_user, name, description, code):
    admin = make_user(role=Role.ADMIN)
    call(collections.create_collection, admin, name="Guidelines")
    with pytest.raises(InvalidInput) as caught:
        call(collections.create_collection, admin, name=name, description=description)
    assert caught.value.code == code
    assert [v.name for v in call(collections.list_collections, admin)] == ["Guidelines"]


def test_limits_are_inclusive_and_renaming_into_a_taken_name_is_refused(db, make_user):
    admin = make_user(role=Role.ADMIN)
    long = call(collections.create_collection, admin, name="n" * 100, description="d" * 500)
    other = call(collections.create_collection, admin, name="Other")
    with pytest.raises(InvalidInput) as caught:
        call(collections.update_collection, admin, collection_id=other.id, name="N" * 100)
    assert caught.value.code == "collections.name_taken"
    with pytest.raises(InvalidInput):
        call(collections.update_collection, admin, collection_id=long.id, name=" ")
    assert call(collections.get_collection, admin, collection_id=other.id).name == "Other"


def test_only_admins_manage_collections(db, make_user):
    admin, member = make_user(role=Role.ADMIN), make_user()
    former_admin = make_user(role=Role.ADMIN, active=False)
    collection = call(collections.create_collection, admin, name="Guidelines")
    for user in (member, former_admin):
        for function, kwargs in [
            (collections.create_collection, {"name": "Mine"}),
            (collections.list_collections, {}),
            (collections.get_collection, {"collection_id": collection.id}),
            (collections.update_collection, {"collection_id": collection.id, "name": "Mine"}),
            (collections.delete_collection, {"collection_id": collection.id, "settings": get_settings()}),
            (collections.grant, {"collection_id": collection.id, "email": member.email}),
            (collections.revoke, {"collection_id": collection.id, "user_id": member.id}),
            (collections.list_grantees, {"collection_id": collection.id}),
            (collections.grantees_by_collection, {}),
        ]:
            with pytest.raises(Forbidden) as caught:
                call(function, user, **kwargs)
            assert caught.value.code == "errors.forbidden", function.__name__
    # an unknown id gives Forbidden too: a non-admin learns nothing about which collections exist
    with pytest.raises(Forbidden):
        call(collections.get_collection, member, collection_id=uuid.uuid4())
    assert [v.name for v in call(collections.list_collections, admin)] == ["Guidelines"]
    assert [g.user_id for g in call(collections.list_grantees, admin, collection_id=collection.id)] == [admin.id]


def test_unknown_collection_ids_are_not_found(db, make_user):
    admin = make_user(role=Role.ADMIN)
    missing = uuid.uuid4()
    for function, kwargs in [
        (collections.get_collection, {}),
        (collections.update_collection, {"name": "x"}),
        (collections.delete_collection, {"settings": get_settings()}),
        (collections.grant, {"email": admin.email}),
        (collections.revoke, {"user_id": admin.id}),
        (collections.list_grantees, {}),
    ]:
        with pytest.raises(NotFound) as caught:
            call(function, admin, collection_id=missing, **kwargs)
        assert caught.value.code == "collections.not_found", function.__name__


def test_grant_by_email_or_id_and_revoke(db, make_user):
    admin = make_user(role=Role.ADMIN)
    ann, bob = make_user(email="ann@example.org"), make_user(email="bob@example.org")
    collection = call(collections.create_collection, admin, name="Guidelines")

    assert call(collections.grant, admin, collection_id=collection.id, email="  ANN@Example.org ").id == ann.id
    assert call(collections.grant, admin, collection_id=collection.id, email="ann@example.org").id == ann.id  # again
    call(collections.grant, admin, collection_id=collection.id, user_id=bob.id)
    grantees = call(collections.list_grantees, admin, collection_id=collection.id)
    assert [(g.user_id, g.email) for g in grantees if g.user_id != admin.id] == [(ann.id, "ann@example.org"),
                                                                                 (bob.id, "bob@example.org")]
    assert call(collections.list_collections, admin)[0].grant_count == 3  # with the creator's own
    assert list(call(collections.grantees_by_collection, admin)) == [collection.id]

    views = call(collections.collections_for, ann)
    assert [(v.id, v.name, v.grant_count) for v in views] == [(collection.id, "Guidelines", 0)]
    assert [v.id for v in call(collections.collections_for, admin)] == [collection.id]  # its creator
    assert call(collections.revoke, admin, collection_id=collection.id, user_id=admin.id) is True
    assert call(collections.collections_for, admin) == []  # managing is not being granted

    with pytest.raises(NotFound) as caught:
        call(collections.grant, admin, collection_id=collection.id, email="nobody@example.org")
    assert (caught.value.code, caught.value.params) == ("collections.user_not_found", {"email": "nobody@example.org"})
    with pytest.raises(NotFound):
        call(collections.grant, admin, collection_id=collection.id, user_id=uuid.uuid4())
    for kwargs in ({"email": "  "}, {}, {"email": ann.email, "user_id": ann.id}):
        with pytest.raises(InvalidInput):
            call(collections.grant, admin, collection_id=collection.id, **kwargs)

    assert call(collections.revoke, admin, collection_id=collection.id, user_id=ann.id) is True
    assert call(collections.revoke, admin, collection_id=collection.id, user_id=ann.id) is False
    assert [g.email for g in call(collections.list_grantees, admin, collection_id=collection.id)] == ["bob@example.org"]
    assert call(collections.collections_for, ann) == []


def test_only_admins_upload_into_a_collection(db, make_user):
    admin, member = make_user(role=Role.ADMIN), make_user()
    collection = call(collections.create_collection, admin, name="Guidelines")
    call(collections.grant, admin, collection_id=collection.id, user_id=member.id)
    with pytest.raises(Forbidden):
        upload(member, b"my notes", "notes.txt", collection_id=collection.id)
    with pytest.raises(Forbidden):  # the role first: a member cannot probe for ids
        upload(member, b"my notes", "notes.txt", collection_id=uuid.uuid4())
    with pytest.raises(NotFound):
        upload(admin, b"leaflet", "leaflet.txt", collection_id=uuid.uuid4())
    assert [path.name for path in documents_dir(get_settings()).iterdir()] == []

    document = upload(admin, b"Vitamin D leaflet", "leaflet.txt", collection_id=collection.id)
    assert document.collection_id == collection.id and document.owner_id == admin.id
    assert listed(member) == [("leaflet.txt", "Guidelines")]
    assert listed(admin) == [("leaflet.txt", "Guidelines")]
    assert call(collections.list_collections, admin)[0].document_count == 1
    assert call(collections.collections_for, member)[0].document_count == 1


def test_revoking_a_grant_hides_the_documents_from_the_list_and_from_search_at_once(db, make_user):
    admin, reader, stranger = make_user(role=Role.ADMIN), make_user(), make_user()
    collection = call(collections.create_collection, admin, name="Guidelines")
    shared = upload(admin, b"Guideline", "guideline.txt", collection_id=collection.id)
    ingest(shared, ["Guideline: vitamin D dosage for adults."], [axis(0)])
    own = upload(reader, b"My notes", "notes.txt")
    ingest(own, ["My notes about vitamin D."], [axis(1)])
    query = "vitamin D dosage"

    assert listed(reader) == [("notes.txt", "")]
    assert found(reader, query, axis(0)) == ["My notes about vitamin D."]

    call(collections.grant, admin, collection_id=collection.id, email=reader.email)
    assert sorted(listed(reader)) == [("guideline.txt", "Guidelines"), ("notes.txt", "")]
    assert found(reader, query, axis(0))[0] == "Guideline: vitamin D dosage for adults."
    assert call(documents.get_document, reader, document_id=shared.id).id == shared.id
    assert listed(stranger) == [] and found(stranger, query, axis(0)) == []
    assert found(admin, query, axis(0)) == ["Guideline: vitamin D dosage for adults."]  # its creator searches it

    call(collections.revoke, admin, collection_id=collection.id, user_id=reader.id)
    assert listed(reader) == [("notes.txt", "")]
    assert found(reader, query, axis(0)) == ["My notes about vitamin D."]
    with pytest.raises(NotFound):
        call(documents.get_document, reader, document_id=shared.id)


def test_deleting_a_collection_removes_its_documents_chunks_statistics_and_files(db, make_user):
    admin, reader = make_user(role=Role.ADMIN), make_user()
    settings = get_settings()
    doomed = call(collections.create_collection, admin, name="Old leaflets")
    kept = call(collections.create_collection, admin, name="Guidelines")
    call(collections.grant, admin, collection_id=doomed.id, user_id=reader.id)
    call(collections.grant, admin, collection_id=kept.id, user_id=reader.id)
    first = upload(admin, b"first", "first.txt", collection_id=doomed.id)
    ingest(first, ["Zinc lozenges shorten colds.", "Rest helps."], [axis(0), axis(1)])
    second = upload(admin, b"second", "second.txt", collection_id=doomed.id)  # still queued: no chunks yet
    other = upload(admin, b"other", "other.txt", collection_id=kept.id)
    ingest(other, ["Guideline: vitamin D dosage."], [axis(2)])
    private = upload(reader, b"mine", "mine.txt")
    before = bm25_state()

    assert call(collections.delete_collection, admin, collection_id=doomed.id, settings=settings) == 2

    with session_scope() as session:
        assert session.get(Collection, doomed.id) is None
        assert session.exec(select(CollectionGrant).where(CollectionGrant.collection_id == doomed.id)).all() == []
        assert sorted(d.filename for d in session.exec(select(Document)).all()) == ["mine.txt", "other.txt"]
        assert session.execute(text("SELECT count(*) FROM chunks WHERE document_id IN (:a, :b)"),
                               {"a": first.id, "b": second.id}).scalar() == 0
    for gone in (first, second):
        assert not document_path(settings, gone.storage_name).exists()
    for remaining in (other, private):
        assert document_path(settings, remaining.storage_name).exists()
    # the keyword statistics now count only the remaining chunk
    corpus, terms, chunk_rows = bm25_state()
    assert (corpus, chunk_rows) == (before[0] - 2, before[2] - 2) == (1, 1)
    assert terms < before[1]
    assert sorted(listed(reader)) == [("mine.txt", ""), ("other.txt", "Guidelines")]
    assert found(reader, "zinc lozenges", axis(0)) == ["Guideline: vitamin D dosage."]
    assert [v.name for v in call(collections.list_collections, admin)] == ["Guidelines"]
    with pytest.raises(NotFound):
        call(collections.delete_collection, admin, collection_id=doomed.id, settings=settings)

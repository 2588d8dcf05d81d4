"""Uploads: limits, type by content, server-chosen names, quota; listing, access, reindex, cancel."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.core.errors import Forbidden, InvalidInput, NotFound
from assistant.models import Collection, CollectionGrant, Document, Role
from assistant.services.admin.settings import set_setting
from assistant.services.rag import documents, filetypes
from assistant.services.rag.paths import document_path, documents_dir

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def empty_documents_folder(database):
    """Files outlive the truncated tables: every test starts with an empty documents folder."""
    import shutil

    shutil.rmtree(documents_dir(get_settings()), ignore_errors=True)


def upload(user, data: bytes, filename: str, *, pieces: int = 3, collection_id=None, max_bytes=None):
    settings = get_settings()
    with session_scope() as session:
        limit = max_bytes or documents.upload_limits(session=session)["max_bytes"]
    writer = documents.UploadWriter(settings, max_bytes=limit)
    step = max(1, len(data) // pieces)
    for start in range(0, len(data), step):
        writer.write(data[start:start + step])
    with session_scope() as session:
        return documents.store_upload(session=session, user=user, writer=writer, filename=filename,
                                      collection_id=collection_id)


def leftovers() -> list[str]:
    folder = documents_dir(get_settings())
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_a_pdf_is_stored_under_a_server_name_and_queued(db, make_user):
    user = make_user()
    document = upload(user, PDF, "../../etc/passwd\x00 lab results.pdf")

    assert document.filename == "passwd lab results.pdf"
    assert document.media_type == "application/pdf"
    assert document.status == "pending" and document.stage == "queued"
    stored = document_path(get_settings(), document.storage_name)
    assert stored.read_bytes() == PDF and ".." not in document.storage_name
    assert leftovers() == [document.storage_name]


@pytest.mark.parametrize(("data", "name", "code"), [
    (b"", "empty.pdf", "documents.empty"),
    (b"just some notes\n", "notes.pdf", "documents.type_mismatch"),
    (b"<!DOCTYPE html><html><body>hi</body></html>", "page.pdf", "documents.type_mismatch"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "scan.png", "documents.image_needs_ocr"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64, "photo.jpg", "documents.image_needs_ocr"),
    (b"GIF89a\x01\x00\x01\x00" + b"\x00" * 64, "scan.pdf", "documents.image_needs_ocr"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64, "page.webp", "documents.image_needs_ocr"),
    (b"II*\x00\x08\x00\x00\x00" + b"\x00" * 64, "fax.tif", "documents.image_needs_ocr"),
    (b"PK\x03\x04" + b"\x00" * 64, "archive.docx", "documents.damaged_archive"),
    (b"just some notes\n", "notes.docx", "documents.type_mismatch"),
    (b"MZ\x90\x00\x03\x00\x00\x00", "tool.txt", "documents.unsupported_type"),
])
def test_bad_files_are_refused_with_a_clear_reason_and_leave_nothing(db, make_user, data, name, code):
    user = make_user()
    with pytest.raises(InvalidInput) as refused:
        upload(user, data, name)
    assert refused.value.code == code
    assert leftovers() == []
    with session_scope() as session:
        assert session.exec(select(Document)).all() == []


def test_text_kinds_come_from_content_and_name(db, make_user):
    user = make_user()
    assert upload(user, "# Диета\nМного овощей.\n".encode(), "diet.md").media_type == "text/markdown"
    assert upload(user, b"date,ldl\n2026-03-01,3.1\n", "labs.csv").media_type == "text/csv"
    assert upload(user, b"plain words", "no-extension").media_type == "text/plain"
    assert upload(user, b"<html><p>letter</p></html>", "letter.txt").media_type == "text/html"


def test_an_epub_is_told_by_its_mimetype_member(db, make_user):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        book.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        book.writestr("META-INF/container.xml", "<container/>")
    assert upload(make_user(), buffer.getvalue(), "book.epub").media_type == "application/epub+zip"


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_a_docx_is_told_by_its_members_whatever_its_name(db, make_user, medical_docx, tmp_path):
    data = medical_docx(tmp_path / "letter.docx").read_bytes()
    user = make_user()
    document = upload(user, data, "выписка.docx")
    assert (document.media_type, document.filename) == (DOCX, "выписка.docx")
    assert document_path(get_settings(), document.storage_name).read_bytes() == data
    assert upload(user, data, "letter").media_type == DOCX
    with pytest.raises(InvalidInput) as refused:
        upload(user, data, "letter.pdf")
    assert refused.value.code == "documents.type_mismatch"


def zip_of(members: dict[str, str]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


CONTENT_TYPES = ('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override '
                 'PartName="/word/document.xml" ContentType="{}"/></Types>')


@pytest.mark.parametrize(("members", "code"), [
    ({"notes.txt": "a plain archive"}, "documents.unsupported_type"),
    ({"[Content_Types].xml": CONTENT_TYPES.format("application/xml")}, "documents.unsupported_type"),
    ({"[Content_Types].xml": CONTENT_TYPES.format("application/vnd.ms-word.document.macroEnabled.main+xml"),
      "word/document.xml": "<w:document/>"}, "documents.unsupported_type"),  # a macro-enabled .docm
])
def test_a_zip_that_is_no_word_document_is_refused_even_named_docx(db, make_user, members, code):
    with pytest.raises(InvalidInput) as refused:
        upload(make_user(), zip_of(members), "report.docx")
    assert refused.value.code == code
    assert leftovers() == []


def test_a_truncated_or_huge_zip_is_refused_without_reading_it_all(db, make_user, medical_docx, tmp_path):
    data = medical_docx(tmp_path / "letter.docx").read_bytes()
    user = make_user()
    broken_directory = data.replace(b"PK\x01\x02", b"PK\x01\x00", 1)  # its record is there, its directory is not
    for damaged in (data[: len(data) // 2], data[:-30], broken_directory):
        with pytest.raises(InvalidInput) as refused:
            upload(user, damaged, "letter.docx")
        assert refused.value.code == "documents.damaged_archive"
    word = {"[Content_Types].xml": CONTENT_TYPES.format(filetypes.DOCX_MAIN_PART_TYPE.decode()),
            "word/document.xml": ""}
    many = zip_of({f"part{i}.xml": "" for i in range(filetypes.MAX_ZIP_MEMBERS + 1)} | word)
    with pytest.raises(InvalidInput) as refused:
        upload(user, many, "many.docx")
    assert refused.value.code == "documents.unsupported_type"
    assert leftovers() == []


def test_size_limit_stops_the_upload_early(db):
    writer = documents.UploadWriter(get_settings(), max_bytes=1024)
    writer.write(b"x" * 1000)
    with pytest.raises(InvalidInput) as refused:
        writer.write(b"x" * 1000)
    assert refused.value.code == "documents.too_large"
    assert leftovers() == []


def test_quota_and_count_limits(db, make_user):
    admin, user = make_user(role=Role.ADMIN), make_user()
    with session_scope() as session:
        set_setting(session=session, actor=admin, key="user_storage_quota_mb", value=1)
        set_setting(session=session, actor=admin, key="max_documents_per_user", value=2)
    upload(user, b"a" * 700_000, "one.txt")
    with pytest.raises(InvalidInput) as refused:
        upload(user, b"b" * 500_000, "two.txt")
    assert refused.value.code == "documents.quota_exceeded"
    upload(user, b"small", "two.txt")
    with pytest.raises(InvalidInput) as refused:
        upload(user, b"small", "three.txt")
    assert refused.value.code == "documents.too_many"
    with session_scope() as session:
        assert [d.filename for d in documents.list_documents(session=session, user=user)] == ["two.txt", "one.txt"]


def test_the_same_file_twice_gives_two_documents(db, make_user):
    user = make_user()
    first, second = upload(user, PDF, "a.pdf"), upload(user, PDF, "a.pdf")
    assert first.id != second.id and first.sha256 == second.sha256 and first.storage_name != second.storage_name


def test_other_users_get_not_found_for_every_action(db, make_user):
    owner, other = make_user(), make_user()
    document = upload(owner, PDF, "private.pdf")
    with session_scope() as session:
        assert documents.list_documents(session=session, user=other) == []
        for action in (documents.get_document, documents.reindex_document, documents.cancel_document):
            with pytest.raises(NotFound):
                action(session=session, user=other, document_id=document.id)
        with pytest.raises(NotFound):
            documents.get_document(session=session, user=other, document_id=uuid.uuid4())
    with session_scope() as session:
        assert session.get(Document, document.id).status == "pending"


def test_collection_documents_are_seen_through_grants_and_changed_only_by_admins(db, make_user):
    admin, member, stranger = make_user(role=Role.ADMIN), make_user(), make_user()
    with session_scope() as session:
        collection = Collection(name="Clinic leaflets", created_by=admin.id)
        session.add(collection)
        session.flush()
        session.add(CollectionGrant(collection_id=collection.id, user_id=member.id))
        collection_id = collection.id
    with pytest.raises(Forbidden):
        upload(member, PDF, "mine.pdf", collection_id=collection_id)
    document = upload(admin, PDF, "leaflet.pdf", collection_id=collection_id)
    with session_scope() as session:
        views = documents.list_documents(session=session, user=member)
        assert [(v.filename, v.collection, v.is_owner) for v in views] == [("leaflet.pdf", "Clinic leaflets", False)]
        assert documents.list_documents(session=session, user=stranger) == []
        with pytest.raises(Forbidden):
            documents.cancel_document(session=session, user=member, document_id=document.id)


def test_cancel_and_reindex(db, make_user):
    user = make_user()
    document = upload(user, PDF, "a.pdf")
    with session_scope() as session:
        with pytest.raises(InvalidInput):
            documents.reindex_document(session=session, user=user, document_id=document.id)
        assert documents.cancel_document(session=session, user=user, document_id=document.id).status == "cancelled"
    with session_scope() as session:
        again = documents.reindex_document(session=session, user=user, document_id=document.id)
        assert (again.status, again.progress, again.stage) == ("pending", 0, "queued")
    with session_scope() as session:
        row = session.get(Document, document.id)
        row.status = "processing"
        session.add(row)
    with session_scope() as session:
        assert documents.cancel_document(session=session, user=user, document_id=document.id).cancel_requested


def test_upload_notifies_the_worker(db, database, make_user):
    import psycopg

    user = make_user()
    with psycopg.connect(database.url, autocommit=True) as listener:
        listener.execute("LISTEN document_jobs")
        document = upload(user, PDF, "a.pdf")
        received = [note.payload for note in listener.notifies(timeout=5, stop_after=1)]
    assert received == [str(document.id)]


def test_delete_removes_the_document_and_its_file_and_only_for_the_owner(db, make_user):
    owner, other = make_user(), make_user()
    document = upload(owner, PDF, "old scan.pdf")
    settings = get_settings()
    with session_scope() as session:
        with pytest.raises(NotFound):
            documents.delete_document(session=session, user=other, document_id=document.id, settings=settings)
    assert document_path(settings, document.storage_name).exists()
    with session_scope() as session:
        documents.delete_document(session=session, user=owner, document_id=document.id, settings=settings)
    with session_scope() as session:
        assert session.get(Document, document.id) is None
    assert leftovers() == []

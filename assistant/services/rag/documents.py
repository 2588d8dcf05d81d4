"""Uploading, listing and managing documents: limits, type by content, server-chosen file names, and
the job actions (reindex, cancel, delete); the type itself is :mod:`assistant.services.rag.filetypes`.
Every function takes the acting user; a document the user may not see gives ``NotFound``, exactly like a
missing one.

Who sees what: :mod:`assistant.services.rag.access` (a user sees their own private documents and the
documents of collections granted to them); only the uploader (or an admin, for collection documents) may
change or delete one they see.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from assistant.core.config import Settings
from assistant.core.errors import Forbidden, InvalidInput, NotFound
from assistant.models import Collection, Document, DocumentStatus, Role, User
from assistant.models.base import utcnow
from assistant.services.admin import audit
from assistant.services.admin.settings import (
    MAX_DOCUMENTS_PER_USER,
    MAX_UPLOAD_MB,
    USER_STORAGE_QUOTA_MB,
    get_setting,
)
from assistant.services.auth.permissions import has_role
from assistant.services.rag import filetypes
from assistant.services.rag.access import readable_by, readable_sql
from assistant.services.rag.index import delete_chunks
from assistant.services.rag.page_images import remove_cache
from assistant.services.rag.paths import JOBS_CHANNEL, document_path, documents_dir
from assistant.services.rag.progress import publish_deleted, publish_progress

MAX_FILENAME_CHARS = 255
MB = 1024 * 1024


@dataclass(frozen=True)
class DocumentView:
    """A document as listed. ``collection`` is the collection's name ("" for a private document)."""

    id: uuid.UUID
    filename: str
    media_type: str
    size_bytes: int
    page_count: int | None
    chunk_count: int
    status: str
    progress: int
    stage: str
    error_code: str
    collection: str
    is_owner: bool
    created_at: datetime


def clean_filename(name: str) -> str:
    """The user's file name as shown: the last path component only, control characters (NUL too)
    removed, Unicode normalised (NFC), at most :data:`MAX_FILENAME_CHARS` characters; "upload" when
    nothing is left. It is metadata only: files are stored under server-chosen names."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return name[:MAX_FILENAME_CHARS] or "upload"


class UploadWriter:
    """One file arriving in pieces: written to a temporary file under the documents folder while its
    size and SHA-256 are counted, so memory stays bounded whatever the upload's size.

    Raises (from :meth:`write`):
        InvalidInput: ``documents.too_large`` as soon as the file passes the size limit (the partial
            file is removed).
    """

    def __init__(self, settings: Settings, *, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.head = b""
        self._hash = hashlib.sha256()
        folder = documents_dir(settings)
        folder.mkdir(parents=True, exist_ok=True)
        self.settings = settings
        self.temp_path = folder / f".incoming-{uuid.uuid4().hex}"
        self._file = open(self.temp_path, "wb")  # noqa: SIM115 - closed in finish/abort

    def write(self, data: bytes) -> None:
        """Append ``data``."""
        self.size += len(data)
        if self.size > self.max_bytes:
            self.abort()
            raise InvalidInput("documents.too_large", limit_mb=self.max_bytes // MB)
        if len(self.head) < filetypes.SNIFF_BYTES:
            self.head += data[: filetypes.SNIFF_BYTES - len(self.head)]
        self._hash.update(data)
        self._file.write(data)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def abort(self) -> None:
        """Drop the partial file."""
        if not self._file.closed:
            self._file.close()
        self.temp_path.unlink(missing_ok=True)

    def close(self) -> None:
        """Finish writing (the file stays in its temporary place until stored)."""
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()


def upload_limits(*, session: Session) -> dict[str, int]:
    """``{"max_bytes", "quota_bytes", "max_documents"}`` from the admin settings."""
    return {
        "max_bytes": int(get_setting(session=session, key=MAX_UPLOAD_MB)) * MB,
        "quota_bytes": int(get_setting(session=session, key=USER_STORAGE_QUOTA_MB)) * MB,
        "max_documents": int(get_setting(session=session, key=MAX_DOCUMENTS_PER_USER)),
    }


def _collection_for_upload(session: Session, user: User, collection_id: uuid.UUID | None) -> Collection | None:
    """The collection an upload goes into (None: the user's private documents). Only admins upload into
    collections; the role is checked first, so a non-admin learns nothing about which ids exist."""
    if collection_id is None:
        return None
    if not has_role(user, Role.ADMIN):
        raise Forbidden("errors.forbidden")
    collection = session.get(Collection, collection_id)
    if collection is None:
        raise NotFound("documents.collection_not_found")
    return collection


def _notify(session: Session, channel: str, payload: str) -> None:
    """``NOTIFY`` sent when the transaction commits (so the listener never sees uncommitted rows)."""
    session.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload})


def store_upload(*, session: Session, user: User, writer: UploadWriter, filename: str,
                 collection_id: uuid.UUID | None = None) -> Document:
    """Keep a completely received file as a new document and queue its ingestion.

    The type comes from the content. A name ending in ``.pdf`` or ``.docx`` on something else (text,
    HTML, another kind of ZIP...) is refused: the user would expect another document to be read.
    Pictures are refused with their own reason: reading them needs OCR, which is not installed.

    Raises:
        InvalidInput: ``documents.empty``, ``documents.image_needs_ocr``, ``documents.damaged_archive``,
            ``documents.unsupported_type``, ``documents.type_mismatch``, ``documents.quota_exceeded``,
            ``documents.too_many``. The file is removed in every case.
        NotFound, Forbidden: a missing collection, or a non-admin uploading into one.
    """
    writer.close()
    try:
        name = clean_filename(filename)
        if writer.size == 0:
            raise InvalidInput("documents.empty")
        media_type = filetypes.readable_media_type(writer.head, name, path=writer.temp_path)
        collection = _collection_for_upload(session, user, collection_id)
        session.exec(select(User.id).where(User.id == user.id).with_for_update()).one()  # one upload at a time
        limits = upload_limits(session=session)
        count, used = session.exec(
            select(func.count(), func.coalesce(func.sum(Document.size_bytes), 0)).where(Document.owner_id == user.id)
        ).one()
        if count >= limits["max_documents"]:
            raise InvalidInput("documents.too_many", limit=limits["max_documents"])
        if used + writer.size > limits["quota_bytes"]:
            raise InvalidInput("documents.quota_exceeded", quota_mb=limits["quota_bytes"] // MB)
        document = Document(
            owner_id=user.id, collection_id=collection.id if collection else None, filename=name,
            storage_name=f"{uuid.uuid4().hex}", media_type=media_type, size_bytes=writer.size,
            sha256=writer.sha256,
        )
        os.replace(writer.temp_path, document_path(writer.settings, document.storage_name))
    except BaseException:
        writer.abort()
        raise
    session.add(document)
    session.flush()
    if collection is not None:
        audit.record(session, actor=user, action="collection.document_upload", target_type="collection",
                     target_id=collection.id, target_label=collection.name,
                     after={"document": name, "size_bytes": writer.size})
    _notify(session, JOBS_CHANNEL, str(document.id))
    publish_progress(session, [document])
    return document


def get_document(*, session: Session, user: User, document_id: uuid.UUID) -> Document:
    """The document ``document_id`` if ``user`` may see it.

    Raises:
        NotFound: ``documents.not_found`` for a missing document or one the user may not see.
    """
    document = session.exec(select(Document).where(Document.id == document_id, readable_by(user.id))).first()
    if document is None:
        raise NotFound("documents.not_found")
    return document


def _changeable(session: Session, user: User, document_id: uuid.UUID, *, lock: bool = True) -> Document:
    document = get_document(session=session, user=user, document_id=document_id)
    if document.owner_id != user.id and not (document.collection_id and has_role(user, Role.ADMIN)):
        raise Forbidden("errors.forbidden")
    if lock:
        session.exec(select(Document.id).where(Document.id == document.id).with_for_update()).one()
        session.refresh(document)
    return document


def list_documents(*, session: Session, user: User, query: str = "") -> list[DocumentView]:
    """Documents ``user`` may see, newest first, optionally only those whose name contains ``query``."""
    statement = (
        select(Document, Collection.name)
        .join(Collection, col(Collection.id) == Document.collection_id, isouter=True)
        .where(readable_by(user.id))
    )
    query = query.strip()
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(col(Document.filename).ilike(pattern, escape="\\"))
    rows = session.exec(statement.order_by(col(Document.created_at).desc()).limit(500)).all()
    return [
        DocumentView(
            id=doc.id, filename=doc.filename, media_type=doc.media_type, size_bytes=doc.size_bytes,
            page_count=doc.page_count, chunk_count=doc.chunk_count, status=doc.status, progress=doc.progress,
            stage=doc.stage, error_code=doc.error_code, collection=collection or "", is_owner=doc.owner_id == user.id,
            created_at=doc.created_at,
        )
        for doc, collection in rows
    ]


def reindex_document(*, session: Session, user: User, document_id: uuid.UUID) -> Document:
    """Queue the document's ingestion again (after a failure, or to rebuild its chunks).

    Raises:
        NotFound: ``documents.not_found``.
        Forbidden: not the uploader (nor an admin, for a collection document).
        InvalidInput: ``documents.busy`` while its ingestion runs.
    """
    document = _changeable(session, user, document_id)
    if document.status in (DocumentStatus.PENDING.value, DocumentStatus.PROCESSING.value):
        raise InvalidInput("documents.busy")
    document.status, document.progress, document.stage = DocumentStatus.PENDING.value, 0, "queued"
    document.error_code = document.error_detail = ""
    document.cancel_requested, document.lease_until, document.updated_at = False, None, utcnow()
    session.add(document)
    session.flush()
    _notify(session, JOBS_CHANNEL, str(document.id))
    publish_progress(session, [document])
    return document


def cancel_document(*, session: Session, user: User, document_id: uuid.UUID) -> Document:
    """Stop the document's ingestion: a queued job is cancelled at once, a running one at its next
    step (the worker removes what it stored). A finished document is left as it is.

    Raises:
        NotFound, Forbidden: as :func:`reindex_document`.
    """
    document = _changeable(session, user, document_id)
    if document.status == DocumentStatus.PENDING.value:
        document.status, document.stage = DocumentStatus.CANCELLED.value, "cancelled"
    elif document.status == DocumentStatus.PROCESSING.value:
        document.cancel_requested = True
    else:
        return document
    document.updated_at = utcnow()
    session.add(document)
    session.flush()
    publish_progress(session, [document])
    return document


def delete_document(*, session: Session, user: User, document_id: uuid.UUID, settings: Settings) -> None:
    """Delete the document, its chunks (keeping the keyword statistics right) and its file.

    Citations in earlier answers keep their text (document name and page) but no longer open a viewer.

    Raises:
        NotFound, Forbidden: as :func:`reindex_document`.
    """
    document = _changeable(session, user, document_id)
    if document.collection_id is not None:
        collection = session.get(Collection, document.collection_id)
        audit.record(session, actor=user, action="collection.document_delete", target_type="collection",
                     target_id=document.collection_id, target_label=collection.name if collection else "",
                     before={"document": document.filename, "owner": str(document.owner_id)})
    remove_document(session=session, document=document, settings=settings)


def remove_document(*, session: Session, document: Document, settings: Settings) -> None:
    """Delete ``document`` (already authorised and locked by the caller), its chunks through
    :func:`~assistant.services.rag.index.delete_chunks` (so the BM25 statistics follow), its file and its
    cached page images (:func:`~assistant.services.rag.page_images.remove_cache`), and tell open pages of
    its owner and of its collection's grantees that it is gone. A running ingestion notices the missing
    row and stops without storing anything."""
    delete_chunks(session=session, document_id=document.id)
    publish_deleted(session, document)
    session.delete(document)
    session.flush()
    remove_document_files(settings, document_id=document.id, storage_name=document.storage_name)


def remove_document_files(settings: Settings, *, document_id: uuid.UUID, storage_name: str) -> None:
    """Delete every file a document leaves under the data folder: its stored upload ``storage_name`` and its
    cached page images (:func:`~assistant.services.rag.page_images.remove_cache`); what is missing is skipped."""
    document_path(settings, storage_name).unlink(missing_ok=True)
    remove_cache(settings, document_id)


_SEARCHABLE = text(
    f"""
    SELECT EXISTS (
        SELECT 1 FROM documents AS d
        WHERE d.status = 'completed' AND d.chunk_count > 0 AND {readable_sql("d")}
          AND (CAST(:scoped AS boolean) IS FALSE OR d.collection_id = ANY(CAST(:collections AS uuid[])))
    )
    """
)


def has_searchable_documents(*, session: Session, user: User,
                             collections: frozenset[uuid.UUID] | None = None) -> bool:
    """Whether :func:`assistant.services.rag.search.search` has any chunk to look at for ``user``: a
    completed document with chunks among those they may read (:mod:`assistant.services.rag.access`), in one of
    ``collections`` when given (an agent's)."""
    return bool(session.execute(_SEARCHABLE, {"user_id": user.id, "scoped": collections is not None,
                                              "collections": sorted(collections or ())}).scalar())

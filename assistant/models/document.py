"""Documents, their chunks (with embedding and full-text vector) and shared collections."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pgvector.sqlalchemy import Vector
from sqlalchemy import BigInteger, CheckConstraint, Column, Index, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlmodel import Field, SQLModel

from assistant.models.base import created_at_field, tz_field, updated_at_field, uuid_pk

#: Dimensions of the packaged embedding model (all-MiniLM-L6-v2).
EMBEDDING_DIMENSIONS = 384
#: PostgreSQL text-search configurations a document may be indexed with.
TEXT_SEARCH_CONFIGS = ("english", "russian", "simple")


class DocumentStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Collection(SQLModel, table=True):
    """A shared set of documents an admin manages and grants to users."""

    __tablename__ = "collections"

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=500)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class CollectionGrant(SQLModel, table=True):
    """User ``user_id`` may search and read the documents of ``collection_id``."""

    __tablename__ = "collection_grants"

    collection_id: uuid.UUID = Field(foreign_key="collections.id", primary_key=True, ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE", index=True)
    created_at: datetime = created_at_field()


class Document(SQLModel, table=True):
    """An uploaded file and its ingestion job.

    ``owner_id`` uploaded it; with ``collection_id`` None it is private to them, otherwise it belongs to
    that collection. ``filename`` is the user's name (metadata only); the file is stored under the data
    folder as ``storage_name``, chosen by the server. The job: ``status``, ``progress`` (0-100),
    ``stage`` (``queued``, ``extracting``, ``chunking``, ``embedding``, ``indexing``, ``done``),
    ``error_code`` (an i18n key) and ``error_detail`` (English, for logs and admins); a worker holds
    the job until ``lease_until`` and renews it while working, so a crashed worker's job is taken up
    again when the lease runs out; ``attempts`` counts the starts.
    """

    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'processing', 'completed', 'failed', 'cancelled')",
                        name="ck_documents_status"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="ck_documents_progress"),
        CheckConstraint("language IN ('english', 'russian', 'simple')", name="ck_documents_language"),
        Index("ix_documents_owner_created", "owner_id", "created_at"),
        Index("ix_documents_collection", "collection_id"),
        Index("ix_documents_open_jobs", "status", "lease_until",
              postgresql_where=text("status IN ('pending', 'processing')")),
    )

    id: uuid.UUID = uuid_pk()
    owner_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    collection_id: uuid.UUID | None = Field(default=None, foreign_key="collections.id", ondelete="CASCADE")
    filename: str = Field(max_length=255)
    storage_name: str = Field(max_length=80)
    media_type: str = Field(max_length=100)
    size_bytes: int = Field(sa_column=Column(BigInteger, nullable=False))
    sha256: str = Field(max_length=64, index=True)
    language: str = Field(default="english", max_length=16)
    page_count: int | None = None
    chunk_count: int = 0
    status: str = Field(default=DocumentStatus.PENDING.value, max_length=16)
    progress: int = 0
    stage: str = Field(default="queued", max_length=32)
    error_code: str = Field(default="", max_length=100)
    error_detail: str = Field(default="", max_length=1000)
    cancel_requested: bool = False
    attempts: int = 0
    lease_until: datetime | None = tz_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
    completed_at: datetime | None = tz_field()


class DocumentPage(SQLModel, table=True):
    """The extracted text of one page, as the citation viewer shows it: ``ord`` is the page's position
    from 0, ``number`` its page number from 1 (None for formats without pages); ``text`` is paragraphs
    separated by blank lines, the text the page's chunks were cut from."""

    __tablename__ = "document_pages"

    document_id: uuid.UUID = Field(foreign_key="documents.id", primary_key=True, ondelete="CASCADE")
    ord: int = Field(primary_key=True)
    number: int | None = None
    text: str = Field(sa_column=Column(Text, nullable=False))


class Chunk(SQLModel, table=True):
    """A passage of a document: about 200-256 word pieces, never cut mid-sentence, with its ``page``
    (from 1; None for formats without pages) and ``heading_path`` ("Chapter > Section"). ``embedding``
    is the normalised MiniLM vector; ``tsv`` the full-text vector in the document's language.
    ``owner_id`` and ``collection_id`` repeat the document's, so retrieval filters access in one table."""

    __tablename__ = "chunks"
    __table_args__ = (
        UniqueConstraint("document_id", "ord", name="uq_chunks_document_ord"),
        Index("ix_chunks_owner", "owner_id"),
        Index("ix_chunks_collection", "collection_id"),
        Index("ix_chunks_embedding_hnsw", "embedding", postgresql_using="hnsw",
              postgresql_ops={"embedding": "vector_cosine_ops"}),
        Index("ix_chunks_tsv", "tsv", postgresql_using="gin"),
    )

    id: uuid.UUID = uuid_pk()
    document_id: uuid.UUID = Field(foreign_key="documents.id", ondelete="CASCADE")
    owner_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    collection_id: uuid.UUID | None = Field(default=None, foreign_key="collections.id", ondelete="CASCADE")
    ord: int
    page: int | None = None
    heading_path: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    text: str = Field(sa_column=Column(Text, nullable=False))
    token_count: int = 0
    embedding: list[float] = Field(sa_column=Column(Vector(EMBEDDING_DIMENSIONS), nullable=False))
    tsv: str = Field(sa_column=Column(TSVECTOR, nullable=False))
    created_at: datetime = created_at_field()


class Bm25Corpus(SQLModel, table=True):
    """BM25 corpus statistics of one text-search configuration (Robertson & Zaragoza 2009): ``chunk_count``
    is N, ``total_length / chunk_count`` the average chunk length (avgdl) in lexeme occurrences.

    Kept current by triggers on ``chunks`` (migration 0004), in the same transaction as the insert or
    delete, including deletes cascaded from documents, collections and users; never written by the app.
    """

    __tablename__ = "bm25_corpus"

    config: str = Field(primary_key=True, max_length=16)
    chunk_count: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    total_length: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class Bm25Term(SQLModel, table=True):
    """Document frequency ``df`` of lexeme ``term`` in configuration ``config``: how many chunks contain
    it (the BM25 IDF input). Rows reaching 0 are deleted. Maintained by the triggers of migration 0004."""

    __tablename__ = "bm25_terms"

    config: str = Field(primary_key=True, max_length=16)
    term: str = Field(sa_column=Column(Text, primary_key=True))
    df: int


class Bm25Chunk(SQLModel, table=True):
    """Per chunk: the configuration its ``tsv`` was built with and its length (lexeme occurrences, the
    BM25 dl). No foreign key on purpose: the delete trigger on ``chunks`` reads this row to take the
    chunk out of the statistics and then deletes it (a cascade would remove it first)."""

    __tablename__ = "bm25_chunks"

    chunk_id: uuid.UUID = Field(primary_key=True)
    config: str = Field(max_length=16)
    length: int

"""Long-term memory: facts about a user, superseded rather than overwritten, each with its provenance,
and the changes the assistant made to them (for the chat's cards, undo and proposals)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import CheckConstraint, Column, Computed, Date, Index, Text, text
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlmodel import Field, SQLModel

from assistant.models.base import created_at_field, one_of, tz_field, updated_at_field, uuid_pk
from assistant.models.document import EMBEDDING_DIMENSIONS

#: The longest fact, in characters: one fact, not a document.
MAX_MEMORY_CHARS = 1_000
#: A fact's stemmed words, for the lexical legs of dedupe and recall. PostgreSQL's ``russian`` configuration
#: stems Cyrillic words with the Russian Snowball stemmer and ASCII words with the English one (each with
#: its language's stop words), so it serves both catalogue languages.
LEXEMES_SQL = "to_tsvector('russian'::regconfig, content)"


class MemoryCategory(StrEnum):
    CONDITION = "condition"
    MEDICATION = "medication"
    ALLERGY = "allergy"
    VITAL = "vital"
    LAB_RESULT = "lab_result"
    PROCEDURE = "procedure"
    PREFERENCE = "preference"
    GOAL = "goal"
    PERSON = "person"
    OTHER = "other"


#: Categories that are health data whatever the ``sensitive`` flag says.
HEALTH_CATEGORIES = frozenset({MemoryCategory.CONDITION, MemoryCategory.MEDICATION, MemoryCategory.ALLERGY,
                               MemoryCategory.VITAL, MemoryCategory.LAB_RESULT, MemoryCategory.PROCEDURE})


class MemoryImportance(StrEnum):
    """Most important first. ``critical`` and ``high`` facts enter every answer's context."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """4 for ``critical`` down to 1 for ``low``."""
        return {MemoryImportance.CRITICAL: 4, MemoryImportance.HIGH: 3, MemoryImportance.MEDIUM: 2,
                MemoryImportance.LOW: 1}[self]


class MemoryStatus(StrEnum):
    """``active``: used in answers; ``superseded``: replaced by ``superseded_by`` (kept as history);
    ``forgotten``: the user or the assistant forgot it (restorable, never used)."""

    ACTIVE = "active"
    SUPERSEDED = "superseded"
    FORGOTTEN = "forgotten"


class MemoryAuthor(StrEnum):
    ASSISTANT = "assistant"
    USER = "user"


class MemoryEntry(SQLModel, table=True):
    """One remembered fact of one user.

    ``valid_from``/``valid_until``: the days the fact held (``valid_until`` is set when it is superseded or
    forgotten). Provenance: ``source_message_id`` (and its chat) for a fact said in a chat, or
    ``source_document_id`` + ``source_page`` + ``source_chunk_id`` for one read from a document; both
    empty for a fact the user typed on the memory page. ``embedding``: all-MiniLM-L6-v2 of ``content``;
    ``lexemes``: generated from ``content`` (:data:`LEXEMES_SQL`).
    """

    __tablename__ = "memories"
    __table_args__ = (
        CheckConstraint(one_of("category", MemoryCategory), name="ck_memories_category"),
        CheckConstraint(one_of("importance", MemoryImportance), name="ck_memories_importance"),
        CheckConstraint(one_of("status", MemoryStatus), name="ck_memories_status"),
        CheckConstraint(one_of("author", MemoryAuthor), name="ck_memories_author"),
        Index("ix_memories_user_status", "user_id", "status", "category"),
        Index("ix_memories_lexemes", "lexemes", postgresql_using="gin"),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    content: str = Field(sa_column=Column(Text, nullable=False))
    category: str = Field(max_length=16)
    importance: str = Field(default=MemoryImportance.MEDIUM.value, max_length=16)
    sensitive: bool = False
    valid_from: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    valid_until: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    status: str = Field(default=MemoryStatus.ACTIVE.value, max_length=16)
    superseded_by: uuid.UUID | None = Field(default=None, foreign_key="memories.id", ondelete="SET NULL")
    author: str = Field(max_length=16)
    source_chat_id: uuid.UUID | None = Field(default=None, foreign_key="chats.id", ondelete="SET NULL")
    source_message_id: uuid.UUID | None = Field(default=None, foreign_key="messages.id", ondelete="SET NULL")
    source_document_id: uuid.UUID | None = Field(default=None, foreign_key="documents.id", ondelete="SET NULL")
    source_page: int | None = None
    source_chunk_id: uuid.UUID | None = Field(default=None, foreign_key="chunks.id", ondelete="SET NULL")
    embedding: list[float] | None = Field(default=None, sa_column=Column(Vector(EMBEDDING_DIMENSIONS), nullable=True))
    lexemes: str | None = Field(default=None, sa_column=Column(TSVECTOR, Computed(LEXEMES_SQL, persisted=True)))
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class ChangeKind(StrEnum):
    """What an assistant change did: ``created`` a new fact; ``duplicate``: the fact was already
    remembered (nothing changed); ``superseded`` an older fact with a new one; ``forgotten`` a fact."""

    CREATED = "created"
    DUPLICATE = "duplicate"
    SUPERSEDED = "superseded"
    FORGOTTEN = "forgotten"


class ChangeState(StrEnum):
    """``applied`` (undo possible), ``undone``; a proposal is ``pending`` until ``confirmed`` (then applied)
    or ``rejected`` (nothing was ever stored)."""

    APPLIED = "applied"
    UNDONE = "undone"
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class MemoryChange(SQLModel, table=True):
    """One change the assistant made (or proposed) to a user's memory, as its chat card shows it.

    ``memory_id``: the fact the change produced or forgot; ``previous_id``: the fact it superseded.
    ``content``/``previous_content``: the texts the card shows. ``proposal``: for a pending change, what
    confirming applies (``{"op": "save"|"update"|"forget", ...}``). ``before``: snapshots of the rows
    the change altered and ``created``: ids of rows it inserted, so an undo restores the previous state
    exactly.
    """

    __tablename__ = "memory_changes"
    __table_args__ = (
        CheckConstraint(one_of("kind", ChangeKind), name="ck_memory_changes_kind"),
        CheckConstraint(one_of("state", ChangeState), name="ck_memory_changes_state"),
        Index("ix_memory_changes_user_created", "user_id", "created_at"),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    kind: str = Field(max_length=16)
    state: str = Field(max_length=16)
    memory_id: uuid.UUID | None = Field(default=None, foreign_key="memories.id", ondelete="SET NULL")
    previous_id: uuid.UUID | None = Field(default=None, foreign_key="memories.id", ondelete="SET NULL")
    content: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    previous_content: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    category: str = Field(default="", max_length=16)
    proposal: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")))
    before: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb")))
    created: list[str] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb")))
    chat_id: uuid.UUID | None = Field(default=None, foreign_key="chats.id", ondelete="SET NULL")
    message_id: uuid.UUID | None = Field(default=None, foreign_key="messages.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()
    resolved_at: datetime | None = tz_field()

"""Chats, their messages, skills (system-prompt presets) and versioned context files."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Column, Identity, Index, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from assistant.models.base import created_at_field, tz_field, updated_at_field, uuid_pk

#: The model tiers a chat may use.
TIERS = ("small", "medium", "large")


class MessageRole(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"
    TOOL = "tool"


class MessageStatus(StrEnum):
    """``incomplete``: the answer broke off (stop, provider fault, crash) and holds what arrived;
    ``error``: nothing usable arrived, ``error_code`` says why."""

    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    ERROR = "error"


class Skill(SQLModel, table=True):
    """A system-prompt preset. ``owner_id`` None: a general skill (admins manage it, every user may
    pick it); otherwise a personal skill only its owner sees."""

    __tablename__ = "skills"
    __table_args__ = (Index("ix_skills_owner_position", "owner_id", "position"),)

    id: uuid.UUID = uuid_pk()
    owner_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="CASCADE")
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=500)
    system_prompt: str = Field(sa_column=Column(Text, nullable=False))
    icon: str = Field(default="sparkles", max_length=50)
    is_active: bool = True
    position: int = 0
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class Chat(SQLModel, table=True):
    """One conversation of one user. ``title_is_auto``: the title still comes from the first exchange
    (a rename turns it off). ``summary`` condenses the turns up to ``summary_until_seq`` that no longer
    fit the history budget."""

    __tablename__ = "chats"
    __table_args__ = (
        CheckConstraint("tier IN ('small', 'medium', 'large')", name="ck_chats_tier"),
        Index("ix_chats_user_updated", "user_id", "updated_at"),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    title: str = Field(max_length=200)
    title_is_auto: bool = True
    tier: str = Field(default="medium", max_length=16)
    skill_id: uuid.UUID | None = Field(default=None, foreign_key="skills.id", ondelete="SET NULL")
    #: The agent the chat talks to; None: the default assistant (the tier and skill above).
    agent_id: uuid.UUID | None = Field(default=None, foreign_key="agents.id", ondelete="SET NULL", index=True)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    summary_until_seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    archived_at: datetime | None = tz_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class Message(SQLModel, table=True):
    """One turn. ``seq`` orders a chat's messages (and pages them); an assistant turn that calls tools
    is stored as the assistant message with ``tool_calls`` (``[{id, name, arguments}]``) followed by one
    ``tool`` message per call (``tool_call_id``, result in ``content``, ``is_error``).

    ``citations``: ``[{document_id, title, page, chunk_id, score}]``. ``context``: what the assistant saw
    for this answer, as sections ``[{kind, title, tokens, content}]``.
    """

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint("role IN ('user', 'assistant', 'system', 'tool')", name="ck_messages_role"),
        CheckConstraint("status IN ('complete', 'incomplete', 'error')", name="ck_messages_status"),
        Index("ix_messages_chat_seq", "chat_id", "seq", unique=True),
        Index("ix_messages_user_created", "created_at", "chat_id", postgresql_where=text("role = 'user'")),
        Index("ix_messages_assistant_created", "created_at",
              postgresql_include=["provider", "model", "tier", "input_tokens", "output_tokens", "latency_ms"],
              postgresql_where=text("role = 'assistant'")),
        Index("ix_messages_tool_calls_created", "created_at",
              postgresql_where=text("role = 'assistant' AND tool_calls <> '[]'::jsonb")),
    )

    id: uuid.UUID = uuid_pk()
    chat_id: uuid.UUID = Field(foreign_key="chats.id", ondelete="CASCADE")
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(always=True), nullable=False))
    role: str = Field(max_length=16)
    content: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    tool_calls: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    )
    tool_call_id: str | None = Field(default=None, max_length=200)
    is_error: bool = False
    citations: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    )
    context: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    )
    provider: str = Field(default="", max_length=32)
    model: str = Field(default="", max_length=200)
    tier: str = Field(default="", max_length=16)
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: int = 0
    status: str = Field(default=MessageStatus.COMPLETE.value, max_length=16)
    error_code: str = Field(default="", max_length=100)
    created_at: datetime = created_at_field()


class ContextScope(StrEnum):
    PRIMARY = "primary"
    PERSONAL = "personal"


class ContextFile(SQLModel, table=True):
    """The primary context (one, admins edit it; ``owner_id`` None) or a user's personal context (one
    per user). Its text lives in :class:`ContextFileVersion`; the highest version is current."""

    __tablename__ = "context_files"
    __table_args__ = (
        CheckConstraint("scope IN ('primary', 'personal')", name="ck_context_files_scope"),
        CheckConstraint("(scope = 'primary') = (owner_id IS NULL)", name="ck_context_files_owner"),
        Index("ix_context_files_primary", "scope", unique=True, postgresql_where=text("scope = 'primary'")),
        Index("ix_context_files_owner", "owner_id", unique=True, postgresql_where=text("owner_id IS NOT NULL")),
    )

    id: uuid.UUID = uuid_pk()
    scope: str = Field(max_length=16)
    owner_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="CASCADE")
    created_at: datetime = created_at_field()


class ContextFileVersion(SQLModel, table=True):
    """One saved text of a context file; never changed after it is written."""

    __tablename__ = "context_file_versions"
    __table_args__ = (UniqueConstraint("file_id", "version", name="uq_context_file_versions_file_version"),)

    id: uuid.UUID = uuid_pk()
    file_id: uuid.UUID = Field(foreign_key="context_files.id", ondelete="CASCADE")
    version: int
    content: str = Field(sa_column=Column(Text, nullable=False))
    author_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()

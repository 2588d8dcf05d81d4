"""What administrators manage beyond settings: LLM providers, groups of users, agents (and who may use
them), and the audit log of every administrative action."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Column, Index, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from assistant.models.base import created_at_field, one_of, updated_at_field, uuid_pk


class ProviderKind(StrEnum):
    """The wire protocol a provider speaks: OpenAI's API, Anthropic's Messages API, or an OpenAI-compatible
    server (Ollama, vLLM, LM Studio, Gemini's OpenAI-compatible endpoint) at its own base URL."""

    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    OPENAI_COMPATIBLE = "openai_compatible"


class LlmProvider(SQLModel, table=True):
    """A configured LLM server. ``api_key_encrypted`` is the key encrypted with Fernet
    (:func:`assistant.core.security.encrypt_secret`), never sent to a browser; ``base_url`` empty: the
    vendor's default. ``allow_local``: the admin allowed a base URL on a loopback or private address (a
    server on the same host, such as Ollama); otherwise such URLs are refused (SSRF)."""

    __tablename__ = "llm_providers"
    __table_args__ = (
        CheckConstraint(one_of("kind", ProviderKind), name="ck_llm_providers_kind"),
        Index("ix_llm_providers_name", "name", unique=True),
    )

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=100)
    kind: str = Field(max_length=32)
    base_url: str = Field(default="", max_length=500)
    api_key_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    timeout_seconds: float = Field(default=60.0)
    allow_local: bool = Field(default=False)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class Group(SQLModel, table=True):
    """A named set of users that collections and agents are granted to."""

    __tablename__ = "groups"
    __table_args__ = (Index("ix_groups_name", "name", unique=True),)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=500)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class GroupMember(SQLModel, table=True):
    """User ``user_id`` belongs to group ``group_id``."""

    __tablename__ = "group_members"

    group_id: uuid.UUID = Field(foreign_key="groups.id", primary_key=True, ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE", index=True)
    created_at: datetime = created_at_field()


class CollectionGroupGrant(SQLModel, table=True):
    """Every member of group ``group_id`` may search and read the documents of ``collection_id``."""

    __tablename__ = "collection_group_grants"

    collection_id: uuid.UUID = Field(foreign_key="collections.id", primary_key=True, ondelete="CASCADE")
    group_id: uuid.UUID = Field(foreign_key="groups.id", primary_key=True, ondelete="CASCADE", index=True)
    created_at: datetime = created_at_field()


class Agent(SQLModel, table=True):
    """A named assistant a chat can pick: a skill's system prompt, a model (a tier, or a provider and one
    of its models), the collections it searches, the tools it may call and an icon.

    ``owner_id`` None: a general agent admins manage and grant to users and groups; otherwise a personal
    agent only its owner uses. ``tools`` None: every tool; a list: only the named tools (``[]``: none).
    ``provider_id`` with ``model`` override ``tier``. ``limits_collections``: collections were chosen, so the
    agent searches only those (:class:`AgentCollection`); once they are all deleted it searches nothing, never
    the user's whole scope. False: it searches what its user may read.
    """

    __tablename__ = "agents"
    __table_args__ = (
        CheckConstraint("tier IS NULL OR tier IN ('small', 'medium', 'large')", name="ck_agents_tier"),
        Index("ix_agents_owner", "owner_id"),
    )

    id: uuid.UUID = uuid_pk()
    owner_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="CASCADE")
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=500)
    icon: str = Field(default="bot", max_length=50)
    skill_id: uuid.UUID | None = Field(default=None, foreign_key="skills.id", ondelete="SET NULL")
    tier: str | None = Field(default=None, max_length=16)
    provider_id: uuid.UUID | None = Field(default=None, foreign_key="llm_providers.id", ondelete="SET NULL")
    model: str = Field(default="", max_length=200)
    tools: list[str] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    limits_collections: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    is_active: bool = True
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class AgentCollection(SQLModel, table=True):
    """Agent ``agent_id`` searches the documents of ``collection_id``."""

    __tablename__ = "agent_collections"

    agent_id: uuid.UUID = Field(foreign_key="agents.id", primary_key=True, ondelete="CASCADE")
    collection_id: uuid.UUID = Field(foreign_key="collections.id", primary_key=True, ondelete="CASCADE",
                                     index=True)


class AgentGrant(SQLModel, table=True):
    """User ``user_id`` may chat with the general agent ``agent_id``."""

    __tablename__ = "agent_grants"

    agent_id: uuid.UUID = Field(foreign_key="agents.id", primary_key=True, ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE", index=True)
    created_at: datetime = created_at_field()


class AgentGroupGrant(SQLModel, table=True):
    """Every member of group ``group_id`` may chat with the general agent ``agent_id``."""

    __tablename__ = "agent_group_grants"

    agent_id: uuid.UUID = Field(foreign_key="agents.id", primary_key=True, ondelete="CASCADE")
    group_id: uuid.UUID = Field(foreign_key="groups.id", primary_key=True, ondelete="CASCADE", index=True)
    created_at: datetime = created_at_field()


class AuditEntry(SQLModel, table=True):
    """One administrative action: who (``actor_id``, and ``actor_email`` kept after the account is gone),
    what (``action``, e.g. ``user.create``), on what (``target_type``, ``target_id``, ``target_label``),
    the values before and after (settings; secrets appear only as ``"set"``/``"unset"``), from which
    address and when."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_created", "created_at"),
        Index("ix_audit_log_action_created", "action", "created_at"),
        Index("ix_audit_log_actor_created", "actor_id", "created_at"),
    )

    id: uuid.UUID = uuid_pk()
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    actor_email: str = Field(default="", max_length=320)
    action: str = Field(max_length=100)
    target_type: str = Field(default="", max_length=50)
    target_id: str = Field(default="", max_length=100)
    target_label: str = Field(default="", max_length=300)
    before: Any = Field(default=None, sa_column=Column(JSONB, nullable=True))
    after: Any = Field(default=None, sa_column=Column(JSONB, nullable=True))
    client_address: str = Field(default="", max_length=64)
    created_at: datetime = created_at_field()


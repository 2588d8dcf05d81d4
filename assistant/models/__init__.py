"""SQLModel tables and schemas. Importing this package registers every table (Alembic relies on it)."""

from assistant.models.chat import (
    TIERS,
    Chat,
    ContextFile,
    ContextFileVersion,
    ContextScope,
    Message,
    MessageRole,
    MessageStatus,
    Skill,
)
from assistant.models.document import (
    EMBEDDING_DIMENSIONS,
    TEXT_SEARCH_CONFIGS,
    Chunk,
    Collection,
    CollectionGrant,
    Document,
    DocumentStatus,
)
from assistant.models.settings import AppSetting
from assistant.models.user import (
    AuthSession,
    LoginAttempt,
    Role,
    User,
    UserCreate,
    UserPublic,
    UserUpdate,
)

__all__ = [
    "EMBEDDING_DIMENSIONS",
    "TEXT_SEARCH_CONFIGS",
    "TIERS",
    "AppSetting",
    "AuthSession",
    "Chat",
    "Chunk",
    "Collection",
    "CollectionGrant",
    "ContextFile",
    "ContextFileVersion",
    "ContextScope",
    "Document",
    "DocumentStatus",
    "LoginAttempt",
    "Message",
    "MessageRole",
    "MessageStatus",
    "Role",
    "Skill",
    "User",
    "UserCreate",
    "UserPublic",
    "UserUpdate",
]

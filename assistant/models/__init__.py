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
    "TIERS",
    "AppSetting",
    "AuthSession",
    "Chat",
    "ContextFile",
    "ContextFileVersion",
    "ContextScope",
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

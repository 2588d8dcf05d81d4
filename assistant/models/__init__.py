"""SQLModel tables and schemas. Importing this package registers every table (Alembic relies on it)."""

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

__all__ = ["AppSetting", "AuthSession", "LoginAttempt", "Role", "User", "UserCreate", "UserPublic", "UserUpdate"]

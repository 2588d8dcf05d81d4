"""Accounts, their login sessions (refresh tokens) and login attempts (throttling)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import EmailStr
from sqlalchemy import CheckConstraint, Column, DateTime, Index, String, text
from sqlmodel import Field, SQLModel

from assistant.models.base import created_at_field, tz_field, updated_at_field, uuid_pk

SUPPORTED_LANGUAGES = ("en", "ru")
#: How answers should read: ``default`` leaves it to the model and the skill.
ANSWER_STYLES = ("default", "concise", "detailed")
UNITS = ("metric", "imperial")


class Role(StrEnum):
    """Account roles, most powerful first."""

    SUPERADMIN = "superadmin"
    ADMIN = "admin"
    USER = "user"

    @property
    def rank(self) -> int:
        return {Role.SUPERADMIN: 3, Role.ADMIN: 2, Role.USER: 1}[self]


class UserBase(SQLModel):
    email: str = Field(max_length=320)
    display_name: str = Field(max_length=100)
    language: str = Field(default="en", max_length=8)
    timezone: str = Field(default="UTC", max_length=64)


class User(UserBase, table=True):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('superadmin', 'admin', 'user')", name="ck_users_role"),
        CheckConstraint("answer_style IN ('default', 'concise', 'detailed')", name="ck_users_answer_style"),
        CheckConstraint("units IN ('metric', 'imperial')", name="ck_users_units"),
        CheckConstraint("default_tier IN ('small', 'medium', 'large')", name="ck_users_default_tier"),
        Index("ix_users_email", "email", unique=True),
    )

    id: uuid.UUID = uuid_pk()
    password_hash: str = Field(max_length=100)
    role: str = Field(default=Role.USER.value, sa_column=Column(String(16), nullable=False))
    is_active: bool = True
    max_chats: int | None = None
    #: An admin set a one-time password: the next sign-in must choose a new one.
    must_change_password: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    preferred_name: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})
    answer_style: str = Field(default="default", max_length=16, sa_column_kwargs={"server_default": "default"})
    units: str = Field(default="metric", max_length=16, sa_column_kwargs={"server_default": "metric"})
    default_tier: str = Field(default="medium", max_length=16, sa_column_kwargs={"server_default": "medium"})
    #: Health facts the assistant wants to remember wait for the user's confirmation.
    confirm_health_memories: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})
    #: When the user proved the account's address through a link in a mail; None: nothing is mailed to it.
    email_verified_at: datetime | None = tz_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class UserCreate(SQLModel):
    """Registration payload. Unknown fields (such as ``role``) are ignored, never applied."""

    model_config = {"extra": "ignore"}

    email: EmailStr
    password: str
    display_name: str = ""
    language: str = "en"
    timezone: str = "UTC"


class UserUpdate(SQLModel):
    """Profile changes a user may make to their own account. ``role`` is not among them."""

    model_config = {"extra": "ignore"}

    display_name: str | None = None
    language: str | None = None
    timezone: str | None = None
    preferred_name: str | None = None
    answer_style: str | None = None
    units: str | None = None
    default_tier: str | None = None
    confirm_health_memories: bool | None = None


class UserPublic(SQLModel):
    id: uuid.UUID
    email: str
    display_name: str
    role: str
    is_active: bool
    language: str
    timezone: str
    preferred_name: str
    answer_style: str
    units: str
    default_tier: str
    confirm_health_memories: bool
    created_at: datetime


class AuthSession(SQLModel, table=True):
    """One signed-in device. The refresh token is stored only as a SHA-256 hash and rotates on use."""

    __tablename__ = "auth_sessions"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    refresh_token_hash: str = Field(max_length=64)
    device_info: str = Field(default="", max_length=300)
    client_address: str = Field(default="", max_length=64)
    created_at: datetime = created_at_field()
    last_used_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    revoked_at: datetime | None = tz_field()


class LoginAttempt(SQLModel, table=True):
    """A failed or successful password check, used to throttle guessing per account and per address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_created", "email", "created_at"),
        Index("ix_login_attempts_address_created", "client_address", "created_at"),
    )

    id: uuid.UUID = uuid_pk()
    email: str = Field(max_length=320)
    client_address: str = Field(default="", max_length=64)
    success: bool = False
    created_at: datetime = created_at_field()

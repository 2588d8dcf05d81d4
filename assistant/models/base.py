"""Column helpers shared by all tables: UUID keys and timezone-aware timestamps."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, DateTime, func
from sqlmodel import Field


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def uuid_pk() -> Any:
    """A UUID primary key made on the Python side (a field definition: ``Any``, as SQLModel's ``Field`` returns)."""
    return Field(default_factory=uuid.uuid4, primary_key=True)


def created_at_field() -> Any:
    """A timezone-aware creation time, set by Python and by the database default (a field definition)."""
    return Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def updated_at_field() -> Any:
    """A timezone-aware time of the last change, renewed on every update (a field definition)."""
    return Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=utcnow),
    )


def tz_field(*, nullable: bool = True, index: bool = False) -> Any:
    """An optional timezone-aware time column, ``None`` by default (a field definition)."""
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable, index=index))


def one_of(column: str, values: type[StrEnum]) -> str:
    """The SQL of a check constraint that ``column`` holds one of the enum's values: ``"x IN ('a', 'b')"``."""
    return f"{column} IN ({', '.join(repr(member.value) for member in values)})"

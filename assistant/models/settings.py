"""Instance-wide settings an admin changes at run time (key -> JSON value)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from assistant.models.base import updated_at_field


class AppSetting(SQLModel, table=True):
    __tablename__ = "app_settings"

    key: str = Field(primary_key=True, max_length=100)
    value: Any = Field(sa_column=Column(JSONB, nullable=False))
    updated_at: datetime = updated_at_field()

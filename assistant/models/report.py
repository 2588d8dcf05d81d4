"""Generated files a user owns: health summary reports (PDF) and exports of all their data (zip), each built by
a job of the leader's scheduler (:mod:`assistant.worker.reports`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from assistant.models.base import created_at_field, one_of, tz_field, updated_at_field, uuid_pk


class ReportKind(StrEnum):
    """``health_summary``: the clinician-ready PDF; ``data_export``: a zip of everything the user has here."""

    HEALTH_SUMMARY = "health_summary"
    DATA_EXPORT = "data_export"


class ReportStatus(StrEnum):
    """``queued`` until the worker starts it, ``running`` while it builds, then ``completed`` (the file is
    stored), ``failed`` (``error_code``/``error_detail`` say why) or ``cancelled``."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


#: Statuses of a report whose job has not ended.
OPEN_REPORT_STATUSES = (ReportStatus.QUEUED.value, ReportStatus.RUNNING.value)


class Report(SQLModel, table=True):
    """One generated file of one user and the job that builds it.

    ``params``: what was asked (for a health summary ``{"sections": [...], "date_from": "YYYY-MM-DD" | null,
    "date_to": ..., "language": "en"}``). ``chat_id``: the chat whose card shows it (a report the assistant
    made with the ``generate_pdf`` tool). The job: ``status``, ``progress`` (0-100), ``stage`` (what it does
    now, a short English word the UI translates), ``error_code`` (an i18n key) and ``error_detail`` (English,
    for logs); ``cancel_requested`` stops it at its next step. The file: stored under the data folder as
    ``storage_name`` (chosen by the server), ``media_type``, ``size_bytes``, ``page_count`` (PDFs).
    ``expires_at``: when the file is deleted (data exports: 24 hours after they are built).
    At most one data export per user is open at a time (a partial unique index).
    """

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(one_of("kind", ReportKind), name="ck_reports_kind"),
        CheckConstraint(one_of("status", ReportStatus), name="ck_reports_status"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="ck_reports_progress"),
        Index("ix_reports_owner_created", "owner_id", "created_at"),
        Index("uq_reports_open_export", "owner_id", unique=True,
              postgresql_where=text("kind = 'data_export' AND status IN ('queued', 'running')")),
    )

    id: uuid.UUID = uuid_pk()
    owner_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    kind: str = Field(max_length=16)
    title: str = Field(max_length=200)
    params: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")))
    chat_id: uuid.UUID | None = Field(default=None, foreign_key="chats.id", ondelete="SET NULL", index=True)
    status: str = Field(default=ReportStatus.QUEUED.value, max_length=16)
    progress: int = 0
    stage: str = Field(default="queued", max_length=32)
    error_code: str = Field(default="", max_length=100)
    error_detail: str = Field(default="", max_length=1000)
    cancel_requested: bool = False
    storage_name: str | None = Field(default=None, max_length=80)
    media_type: str = Field(default="", max_length=100)
    size_bytes: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    page_count: int | None = None
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
    started_at: datetime | None = tz_field()
    finished_at: datetime | None = tz_field()
    expires_at: datetime | None = tz_field()

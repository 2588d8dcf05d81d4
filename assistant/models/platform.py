"""Tables of the platform itself: worker heartbeats, event payloads too large for a NOTIFY, the scheduler's job
store."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Float, LargeBinary, Table, Unicode
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from assistant.models.base import created_at_field, utcnow, uuid_pk


class WorkerHeartbeat(SQLModel, table=True):
    """One row per running worker process, written every few seconds (see :mod:`assistant.worker`).

    ``services`` maps each service name to its state: ``{"ingestion": {"state": "running", "restarts": 0,
    "last_error": null, "leader_only": false}, ...}``. A row whose ``last_beat`` is older than a few
    beats belongs to a worker that died; a worker that stops cleanly deletes its row.
    """

    __tablename__ = "worker_heartbeats"

    id: uuid.UUID = uuid_pk()
    hostname: str = Field(max_length=255)
    pid: int
    is_leader: bool = Field(default=False)
    services: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    started_at: datetime = created_at_field()
    last_beat: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )


class EventPayload(SQLModel, table=True):
    """An event whose NOTIFY message would exceed PostgreSQL's 8,000-byte limit: stored here and sent as
    its id (see :mod:`assistant.core.events`); rows older than an hour are deleted by the housekeeping
    service."""

    __tablename__ = "event_payloads"

    id: uuid.UUID = uuid_pk()
    user_ids: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    topic: str = Field(max_length=50)
    payload: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = created_at_field()


#: APScheduler's SQLAlchemy job store (https://apscheduler.readthedocs.io/en/3.x/modules/jobstores/sqlalchemy.html),
#: declared here with the columns APScheduler 3 creates so that Alembic owns the table; only the worker's
#: scheduler reads and writes it (pickled jobs keyed by their explicit ids).
SCHEDULER_JOBS_TABLE = "scheduler_jobs"
scheduler_jobs = Table(
    SCHEDULER_JOBS_TABLE,
    SQLModel.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)

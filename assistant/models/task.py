"""To-dos of a user: tasks with subtasks, a due time in the user's time zone, priority and status."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel

from assistant.models.base import created_at_field, one_of, tz_field, updated_at_field, uuid_pk

#: The longest task title and notes, in characters.
MAX_TASK_TITLE_CHARS = 200
MAX_TASK_NOTES_CHARS = 5_000


class TaskStatus(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class TaskPriority(StrEnum):
    """Most urgent first."""

    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class TaskAuthor(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"


class Task(SQLModel, table=True):
    """One to-do. ``parent_id``: the task it is a subtask of (no cycles; deleting a task deletes its
    subtasks). ``due_at``: when it is due (UTC); with ``due_all_day`` only its date in the user's time zone
    counts. ``position``: the order among its siblings (ascending)."""

    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint(one_of("status", TaskStatus), name="ck_tasks_status"),
        CheckConstraint(one_of("priority", TaskPriority), name="ck_tasks_priority"),
        CheckConstraint(one_of("author", TaskAuthor), name="ck_tasks_author"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="ck_tasks_not_own_parent"),
        Index("ix_tasks_user_status", "user_id", "status", "due_at"),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    parent_id: uuid.UUID | None = Field(default=None, foreign_key="tasks.id", ondelete="CASCADE", index=True)
    title: str = Field(max_length=MAX_TASK_TITLE_CHARS)
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    due_at: datetime | None = tz_field()
    due_all_day: bool = False
    priority: str = Field(default=TaskPriority.NORMAL.value, max_length=16)
    status: str = Field(default=TaskStatus.TODO.value, max_length=16)
    position: int = 0
    author: str = Field(default=TaskAuthor.USER.value, max_length=16)
    completed_at: datetime | None = tz_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class TaskRun(SQLModel, table=True):
    """One run of a task handed to the assistant: a chat turn in the worker with the user's context and tools.

    ``due_at``: when it starts (now, a chosen time, or an occurrence of the task's schedule); ``chat_id``: the
    chat its result lands in; ``rounds``/``input_tokens``/``output_tokens``: what it cost; ``error_code``: an
    i18n key when it failed; ``cancel_requested``: set by Cancel while it runs (the run stops within seconds).
    """

    __tablename__ = "task_runs"
    __table_args__ = (
        CheckConstraint(one_of("status", RunStatus), name="ck_task_runs_status"),
        Index("ix_task_runs_task_created", "task_id", "created_at"),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    task_id: uuid.UUID = Field(foreign_key="tasks.id", ondelete="CASCADE")
    status: str = Field(default=RunStatus.QUEUED.value, max_length=16)
    due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    started_at: datetime | None = tz_field()
    finished_at: datetime | None = tz_field()
    chat_id: uuid.UUID | None = Field(default=None, foreign_key="chats.id", ondelete="SET NULL")
    rounds: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    error_code: str = Field(default="", max_length=64)
    cancel_requested: bool = False
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()

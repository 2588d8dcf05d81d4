"""The task tools: ``create_task``, ``list_tasks``, ``update_task`` and ``complete_task``.

They act only on the tasks of the session's user (:class:`~assistant.services.tools.registry.ToolContext`):
no argument names a user, and a task id of someone else is "not found", like a missing one. Due times go
both ways on the user's wall clock in their time zone (``users.timezone``): the model gives
``YYYY-MM-DD`` or a local ``YYYY-MM-DDTHH:MM`` and reads them back with the UTC offset. Tasks the assistant
creates are marked as its own (``author`` assistant). Refusals (a title too long, a parent cycle, an unknown
id) come back as error results with the English message of the service's error.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from assistant.core.db import in_session
from assistant.models import MAX_TASK_NOTES_CHARS, MAX_TASK_TITLE_CHARS, Task, TaskAuthor, User
from assistant.models.base import utcnow
from assistant.services.tasks import listing
from assistant.services.tasks import tasks as service
from assistant.services.tasks.due import is_overdue, iso_local, parse_due_text
from assistant.services.tools.acting import acting_user, parse_row_id
from assistant.services.tools.registry import Tool, ToolContext
from assistant.services.tools.spec import ToolSpec

Priority = Literal["urgent", "high", "normal", "low"]
Status = Literal["todo", "in_progress", "done", "cancelled"]
#: Tasks ``list_tasks`` returns at most.
MAX_LISTED = 100
#: Characters of a task's notes shown in a list (the whole notes after creating or changing it).
LISTED_NOTES_CHARS = 300
_DUE = ("YYYY-MM-DD for a whole day, or YYYY-MM-DDTHH:MM for a time of day, in the user's local time "
        "(their time zone; call get_current_time for today's date).")


class CreateTaskArguments(BaseModel):
    """Arguments of ``create_task``."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=MAX_TASK_TITLE_CHARS,
                       description="What to do, short, in the user's language, e.g. 'Renew the passport'.")
    notes: str | None = Field(default=None, max_length=MAX_TASK_NOTES_CHARS, description="Details, if any.")
    due: str | None = Field(default=None, description=f"When it is due: {_DUE} Omit when no date was given.")
    priority: Priority | None = Field(default=None, description="Omit for normal.")
    parent_task_id: str | None = Field(
        default=None, description="The task_id of one of the user's tasks to add this one as its subtask.")


class ListTasksArguments(BaseModel):
    """Arguments of ``list_tasks``."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["open", "all", "todo", "in_progress", "done", "cancelled"] = Field(
        default="open", description="open: to do or in progress (default); all; or one status.")
    priority: Priority | None = Field(default=None, description="Only tasks of this priority.")
    due: Literal["any", "overdue", "today", "week", "none"] = Field(
        default="any", description="overdue: open tasks past their due time; today: due today; week: due today "
                                   "or in the next 6 days; none: without a due date; any (default).")
    sort: Literal["due", "priority", "created"] = Field(
        default="due", description="due: soonest first (default); priority: most urgent first; created: newest first.")
    limit: int = Field(default=50, ge=1, le=MAX_LISTED, description=f"How many tasks to return, 1-{MAX_LISTED}.")


class UpdateTaskArguments(BaseModel):
    """Arguments of ``update_task``."""

    model_config = ConfigDict(extra="forbid")

    task_id: str = Field(description="The id of the task to change (from list_tasks or create_task).")
    title: str | None = Field(default=None, min_length=1, max_length=MAX_TASK_TITLE_CHARS, description="A new title.")
    notes: str | None = Field(default=None, max_length=MAX_TASK_NOTES_CHARS,
                              description="New notes, replacing the old ones in full ('' removes them).")
    due: str | None = Field(default=None, description=f"A new due date: {_DUE}")
    clear_due: bool = Field(default=False, description="True removes the due date.")
    priority: Priority | None = Field(default=None, description="A new priority.")
    status: Status | None = Field(
        default=None, description="A new status. done or cancelled also closes its open subtasks; todo or "
                                  "in_progress reopens the closed tasks above it.")
    parent_task_id: str | None = Field(default=None,
                                       description="Move it under this task (another of the user's tasks).")
    make_top_level: bool = Field(default=False, description="True moves it out of its parent to the top level.")


class CompleteTaskArguments(BaseModel):
    """Arguments of ``complete_task``."""

    model_config = ConfigDict(extra="forbid")

    task_id: str = Field(description="The id of the task that is done.")


def _view(task: Task, user: User, now: datetime, *, notes_chars: int | None = None) -> dict[str, Any]:
    """What the model reads of a task: ids, title, status, priority, the due time on the user's clock."""
    view: dict[str, Any] = {"task_id": str(task.id), "title": task.title, "status": task.status,
                            "priority": task.priority}
    due = iso_local(task.due_at, task.due_all_day, user.timezone)
    if due is not None:
        view["due"] = due
        if task.status in service.OPEN and is_overdue(task.due_at, task.due_all_day, now, user.timezone):
            view["overdue"] = True
    if task.parent_id is not None:
        view["parent_task_id"] = str(task.parent_id)
    if task.notes:
        cut = task.notes if notes_chars is None or len(task.notes) <= notes_chars else task.notes[:notes_chars] + "…"
        view["notes"] = cut
    if task.author == TaskAuthor.ASSISTANT:
        view["added_by"] = "assistant"
    return view


async def create_task(arguments: CreateTaskArguments, context: ToolContext) -> dict[str, Any]:
    """Add a task (or a subtask) for the acting user.

    Returns:
        ``{"result": "created", "timezone", "task": {"task_id", "title", "status", "priority", "due"?,
        "parent_task_id"?, "notes"?}}``.

    Raises:
        InvalidInput: a bad title, notes, due or priority. NotFound: an unknown parent task.
    """
    parent_id = parse_row_id(arguments.parent_task_id, "tasks.parent_not_found") if arguments.parent_task_id else None

    def run(session: Session) -> dict[str, Any]:
        user = acting_user(session, context)
        due = parse_due_text(arguments.due, user.timezone) if arguments.due else None
        task = service.create_task(session=session, user=user, title=arguments.title, notes=arguments.notes,
                                   due=due, priority=arguments.priority or "normal", parent_id=parent_id,
                                   author=TaskAuthor.ASSISTANT)
        return {"result": "created", "timezone": user.timezone, "task": _view(task, user, utcnow())}

    return await in_session(run)


async def list_tasks(arguments: ListTasksArguments, context: ToolContext) -> dict[str, Any]:
    """The acting user's tasks matching the filters, subtasks right under their parent (``depth``).

    Returns:
        ``{"timezone", "tasks": [{"task_id", "title", "status", "priority", "depth", "due"?, "overdue"?,
        "subtasks"?, "subtasks_done"?, "parent_title"?, ...}], "more"?}``, or ``{"tasks": [], "note"}``.
    """
    def run(session: Session) -> dict[str, Any]:
        user, now = acting_user(session, context), utcnow()
        rows = listing.list_tasks(session=session, user=user, status=arguments.status, priority=arguments.priority,
                                  due=arguments.due, sort=arguments.sort, limit=arguments.limit + 1, now=now)
        found = []
        for row in rows[:arguments.limit]:
            view = _view(row.task, user, now, notes_chars=LISTED_NOTES_CHARS) | {"depth": row.depth}
            if row.subtasks:
                view |= {"subtasks": row.subtasks, "subtasks_done": row.subtasks_done}
            if row.parent_title:
                view["parent_title"] = row.parent_title
            found.append(view)
        result: dict[str, Any] = {"timezone": user.timezone, "tasks": found}
        if len(rows) > arguments.limit:
            result["more"] = "More tasks match; narrow the filters or raise the limit."
        if not found:
            result["note"] = "No task matches these filters."
        return result

    return await in_session(run)


async def update_task(arguments: UpdateTaskArguments, context: ToolContext) -> dict[str, Any]:
    """Change one of the acting user's tasks: only the fields given change.

    Returns:
        ``{"result": "updated", "timezone", "task": {...}}`` as :func:`create_task`.

    Raises:
        NotFound: an unknown task or parent. InvalidInput: bad values, or a move under its own subtask.
    """
    task_id = parse_row_id(arguments.task_id, service.NOT_FOUND)
    parent: uuid.UUID | None | service.Keep = service.KEEP
    if arguments.make_top_level:
        parent = None
    elif arguments.parent_task_id:
        parent = parse_row_id(arguments.parent_task_id, "tasks.parent_not_found")

    def run(session: Session) -> dict[str, Any]:
        user = acting_user(session, context)
        due = (None if arguments.clear_due else parse_due_text(arguments.due, user.timezone) if arguments.due
               else service.KEEP)
        fields = arguments.model_fields_set
        task = service.update_task(
            session=session, user=user, task_id=task_id, parent_id=parent, due=due,
            title=arguments.title if arguments.title is not None else service.KEEP,
            notes=arguments.notes if "notes" in fields else service.KEEP,
            priority=arguments.priority or service.KEEP, status=arguments.status or service.KEEP)
        return {"result": "updated", "timezone": user.timezone, "task": _view(task, user, utcnow())}

    return await in_session(run)


async def complete_task(arguments: CompleteTaskArguments, context: ToolContext) -> dict[str, Any]:
    """Mark one of the acting user's tasks done, with its open subtasks.

    Returns:
        ``{"result": "completed", "task": {...}, "also_completed_subtasks": n}``.

    Raises:
        NotFound: an unknown task.
    """
    task_id = parse_row_id(arguments.task_id, service.NOT_FOUND)

    def run(session: Session) -> dict[str, Any]:
        user = acting_user(session, context)
        change = service.complete_task(session=session, user=user, task_id=task_id)
        return {"result": "completed", "task": _view(change.task, user, utcnow()),
                "also_completed_subtasks": change.cascaded}

    return await in_session(run)


CREATE_TASK = Tool(ToolSpec(
    name="create_task",
    description="Add a to-do to the user's task list (shown on their Tasks page), optionally with a due date or "
                "time in their time zone, a priority, or as a subtask of another task. Use it when the user asks "
                "you to note something they have to do. For a notification at a set time use a reminder instead.",
    arguments=CreateTaskArguments), create_task)
LIST_TASKS = Tool(ToolSpec(
    name="list_tasks",
    description="List the user's tasks (open ones by default) with their ids, due times in the user's time zone, "
                "priority and subtasks; filter by status, priority or due (overdue, today, this week, none).",
    arguments=ListTasksArguments), list_tasks)
UPDATE_TASK = Tool(ToolSpec(
    name="update_task",
    description="Change one of the user's tasks by its task_id: title, notes, due date or time, priority, status "
                "(todo, in_progress, done, cancelled) or its parent task.",
    arguments=UpdateTaskArguments), update_task)
COMPLETE_TASK = Tool(ToolSpec(
    name="complete_task",
    description="Mark one of the user's tasks done by its task_id (its open subtasks are completed with it).",
    arguments=CompleteTaskArguments), complete_task)

TASK_TOOLS = [CREATE_TASK, LIST_TASKS, UPDATE_TASK, COMPLETE_TASK]

"""A user's tasks: checks, creating, changing, completing and deleting (reading lists is
:mod:`~assistant.services.tasks.listing`).

Rules every function keeps:

* Ownership: each takes the acting user and touches only that user's rows. Another user's task is
  ``NotFound("tasks.not_found")`` exactly like a missing one (``tasks.parent_not_found`` when named as a
  parent). Every value is checked before anything is written, so a refused call stores nothing.
* Subtasks: ``parent_id`` names a task of the same user. A task cannot be moved under itself or under one
  of its own subtasks (``tasks.cycle``); moves are serialised per user, so two concurrent moves cannot
  build a loop either. Deleting a task deletes its subtasks (``ON DELETE CASCADE``).
* Open and closed: ``todo`` and ``in_progress`` are open, ``done`` and ``cancelled`` closed, and a closed
  task never has open subtasks. Completing a task completes its open subtasks too (as Todoist does:
  checking off a parent checks off what is under it); cancelling cancels them; subtasks already closed
  keep their status. Reopening a task, or adding or moving an open task under a closed one, reopens the
  closed tasks above it (to ``todo``), so an open subtask is never hidden under a finished parent.
* Reminders (:mod:`~assistant.services.tasks.reminding`): closing a task pauses the active reminders of it
  and its subtasks; deleting deletes them.
* Every change publishes a ``task`` event (``{"task_id", "action"}``) to the user's open tabs when the
  transaction commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from sqlalchemy import text, update
from sqlmodel import Session, col, func, select

from assistant.core.errors import InvalidInput, NotFound
from assistant.core.events import publish
from assistant.models import (
    MAX_TASK_NOTES_CHARS,
    MAX_TASK_TITLE_CHARS,
    Task,
    TaskAuthor,
    TaskPriority,
    TaskStatus,
    User,
)
from assistant.models.base import utcnow
from assistant.services.tasks import reminding
from assistant.services.tasks.due import Due, to_stored

OPEN = frozenset({TaskStatus.TODO, TaskStatus.IN_PROGRESS})
CLOSED = frozenset({TaskStatus.DONE, TaskStatus.CANCELLED})
NOT_FOUND = "tasks.not_found"


class _Keep(Enum):
    KEEP = "keep"


#: "Leave this field as it is" in :func:`update_task` (None means "clear" where a field may be empty).
KEEP = _Keep.KEEP
Keep = Literal[_Keep.KEEP]


@dataclass(frozen=True)
class StatusChange:
    """A task after a status change, and how many of its subtasks (any depth) or parents changed with it."""

    task: Task
    cascaded: int


def check_title(title: str) -> str:
    """The title on one line (whitespace runs become one space, ends trimmed).

    Raises:
        InvalidInput: ``tasks.title_empty``; ``tasks.title_too_long`` (``limit``) over
            :data:`~assistant.models.MAX_TASK_TITLE_CHARS` characters.
    """
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("tasks.title_empty")
    if len(title) > MAX_TASK_TITLE_CHARS:
        raise InvalidInput("tasks.title_too_long", limit=MAX_TASK_TITLE_CHARS)
    return title


def check_notes(notes: str | None) -> str:
    """The notes trimmed (line breaks kept; None is "").

    Raises:
        InvalidInput: ``tasks.notes_too_long`` (``limit``) over :data:`~assistant.models.MAX_TASK_NOTES_CHARS`.
    """
    notes = (notes or "").strip()
    if len(notes) > MAX_TASK_NOTES_CHARS:
        raise InvalidInput("tasks.notes_too_long", limit=MAX_TASK_NOTES_CHARS)
    return notes


def check_priority(value: TaskPriority | str) -> TaskPriority:
    """A :class:`~assistant.models.TaskPriority` from its value (case-insensitive).

    Raises:
        InvalidInput: ``tasks.bad_priority`` (``value``, ``allowed``).
    """
    try:
        return TaskPriority(str(value).strip().lower())
    except ValueError:
        raise InvalidInput("tasks.bad_priority", value=str(value),
                           allowed=", ".join(member.value for member in TaskPriority)) from None


def check_status(value: TaskStatus | str) -> TaskStatus:
    """A :class:`~assistant.models.TaskStatus` from its value (case-insensitive).

    Raises:
        InvalidInput: ``tasks.bad_status`` (``value``, ``allowed``).
    """
    try:
        return TaskStatus(str(value).strip().lower())
    except ValueError:
        raise InvalidInput("tasks.bad_status", value=str(value),
                           allowed=", ".join(member.value for member in TaskStatus)) from None


def get_task(*, session: Session, user: User, task_id: uuid.UUID, lock: bool = False,
             missing: str = NOT_FOUND) -> Task:
    """One of ``user``'s tasks (``lock``: held ``FOR UPDATE`` until the transaction ends).

    Raises:
        NotFound: ``missing`` (default ``tasks.not_found``) when there is no such task of ``user``.
    """
    query = select(Task).where(Task.id == task_id, Task.user_id == user.id)
    if lock:
        query = query.with_for_update()
    task = session.exec(query).first()
    if task is None:
        raise NotFound(missing)
    return task


def _notify(session: Session, user: User, task_id: uuid.UUID, action: str) -> None:
    publish([user.id], "task", {"task_id": str(task_id), "action": action}, session=session)


def _ancestors(session: Session, user: User, task_id: uuid.UUID) -> list[uuid.UUID]:
    """``task_id`` and the tasks above it, nearest first (``UNION`` stops at a repeated row)."""
    rows = session.execute(text("""
        WITH RECURSIVE up(id, parent_id, depth) AS (
            SELECT id, parent_id, 0 FROM tasks WHERE id = :start AND user_id = :user
            UNION
            SELECT t.id, t.parent_id, up.depth + 1 FROM tasks t JOIN up ON t.id = up.parent_id
             WHERE t.user_id = :user AND up.depth < 10000)
        SELECT id FROM up ORDER BY depth"""), {"start": task_id, "user": user.id}).scalars()
    return list(rows)


def _descendants(session: Session, user: User, task_id: uuid.UUID) -> list[uuid.UUID]:
    """The subtasks of ``task_id`` at any depth (not the task itself)."""
    rows = session.execute(text("""
        WITH RECURSIVE down(id) AS (
            SELECT id FROM tasks WHERE parent_id = :start AND user_id = :user
            UNION
            SELECT t.id FROM tasks t JOIN down ON t.parent_id = down.id WHERE t.user_id = :user)
        SELECT id FROM down"""), {"start": task_id, "user": user.id}).scalars()
    return [row for row in rows if row != task_id]


def _parent(session: Session, user: User, parent_id: uuid.UUID | None) -> Task | None:
    if parent_id is None:
        return None
    return get_task(session=session, user=user, task_id=parent_id, missing="tasks.parent_not_found")


def _next_position(session: Session, user: User, parent_id: uuid.UUID | None) -> int:
    """One past the last position among the siblings under ``parent_id`` (None: the top level)."""
    siblings = select(func.max(Task.position)).where(Task.user_id == user.id)
    siblings = siblings.where(Task.parent_id == parent_id) if parent_id else siblings.where(
        col(Task.parent_id).is_(None))
    last = session.exec(siblings).one()
    return 0 if last is None else last + 1


def _set_status(session: Session, ids: list[uuid.UUID], status: TaskStatus, only: frozenset[TaskStatus]) -> int:
    """Give the tasks ``ids`` that are in one of the statuses ``only`` the status ``status``; how many."""
    if not ids:
        return 0
    now = utcnow()
    result = session.execute(
        update(Task).where(col(Task.id).in_(ids), col(Task.status).in_([member.value for member in only]))
        .values(status=status.value, completed_at=now if status == TaskStatus.DONE else None, updated_at=now)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def _reopen_above(session: Session, user: User, parent_id: uuid.UUID | None) -> int:
    """Reopen (to ``todo``) the closed tasks from ``parent_id`` up, for an open task placed under it."""
    if parent_id is None:
        return 0
    return _set_status(session, _ancestors(session, user, parent_id), TaskStatus.TODO, CLOSED)


def _apply_status(session: Session, user: User, task: Task, status: TaskStatus) -> int:
    """Set ``task``'s status and keep the open/closed rule (module docstring); returns how many other tasks
    changed with it."""
    if status == task.status:
        return 0
    task.status = status.value
    task.completed_at = utcnow() if status == TaskStatus.DONE else None
    session.add(task)
    session.flush()
    if status in CLOSED:
        below = _descendants(session, user, task.id)
        reminding.pause_for(session, user, [task.id, *below])
        return _set_status(session, below, status, OPEN)
    return _reopen_above(session, user, task.parent_id)


def create_task(*, session: Session, user: User, title: str, notes: str | None = "", due: Due | None = None,
                priority: TaskPriority | str = TaskPriority.NORMAL, parent_id: uuid.UUID | None = None,
                author: TaskAuthor = TaskAuthor.USER) -> Task:
    """Add a task for ``user`` (status ``todo``), last among its siblings.

    Args:
        title: 1-200 characters (see :func:`check_title`); notes: at most 5,000.
        due: a day, or a day and time, on ``user``'s wall clock (``users.timezone``); stored in UTC
            (:mod:`~assistant.services.tasks.due`).
        parent_id: one of ``user``'s tasks, to add this one as its subtask (a closed parent is reopened).
        author: who adds it (the assistant from a chat).

    Returns:
        The stored task (flushed: it has its id).

    Raises:
        InvalidInput: ``tasks.title_empty``, ``tasks.title_too_long``, ``tasks.notes_too_long``,
            ``tasks.bad_priority``. NotFound: ``tasks.parent_not_found``.
    """
    title, notes, weight = check_title(title), check_notes(notes), check_priority(priority)
    parent = _parent(session, user, parent_id)
    due_at, all_day = to_stored(due, user.timezone)
    task = Task(user_id=user.id, parent_id=parent.id if parent else None, title=title, notes=notes, due_at=due_at,
                due_all_day=all_day, priority=weight.value, author=author.value,
                position=_next_position(session, user, parent.id if parent else None))
    session.add(task)
    session.flush()
    _reopen_above(session, user, task.parent_id)
    _notify(session, user, task.id, "created")
    return task


def update_task(*, session: Session, user: User, task_id: uuid.UUID, title: str | Keep = KEEP,
                notes: str | None | Keep = KEEP, due: Due | None | Keep = KEEP,
                priority: TaskPriority | str | Keep = KEEP, status: TaskStatus | str | Keep = KEEP,
                parent_id: uuid.UUID | None | Keep = KEEP) -> Task:
    """Change some fields of one of ``user``'s tasks; :data:`KEEP` leaves a field as it is, None clears
    ``due`` (no due date) or ``parent_id`` (move to the top level). Checked as :func:`create_task`; a status
    change follows the open/closed rule (module docstring); a moved task goes last among its new siblings.

    Returns:
        The task as stored now.

    Raises:
        NotFound: ``tasks.not_found``, ``tasks.parent_not_found``. InvalidInput: the checks of
            :func:`create_task`, ``tasks.bad_status``; ``tasks.cycle`` for a parent that is the task itself
            or one of its subtasks.
    """
    new_title = None if title is KEEP else check_title(title)
    new_notes = None if notes is KEEP else check_notes(notes)
    new_priority = None if priority is KEEP else check_priority(priority)
    new_status = None if status is KEEP else check_status(status)
    task = get_task(session=session, user=user, task_id=task_id, lock=True)
    moving = parent_id is not KEEP and parent_id != task.parent_id
    if moving:
        # one move of this user's tasks at a time: two concurrent moves could otherwise close a loop
        session.exec(select(User.id).where(User.id == user.id).with_for_update()).one()
        parent = _parent(session, user, parent_id if isinstance(parent_id, uuid.UUID) else None)
        if parent is not None and task.id in _ancestors(session, user, parent.id):
            raise InvalidInput("tasks.cycle")
        task.parent_id = parent.id if parent else None
        task.position = _next_position(session, user, task.parent_id)
    if new_title is not None:
        task.title = new_title
    if new_notes is not None:
        task.notes = new_notes
    if due is not KEEP:
        task.due_at, task.due_all_day = to_stored(due, user.timezone)
    if new_priority is not None:
        task.priority = new_priority.value
    task.updated_at = utcnow()
    session.add(task)
    session.flush()
    if new_status is not None:
        _apply_status(session, user, task, new_status)
    if moving and task.status in OPEN:
        _reopen_above(session, user, task.parent_id)
    _notify(session, user, task.id, "updated")
    return task


def set_status(*, session: Session, user: User, task_id: uuid.UUID, status: TaskStatus | str) -> StatusChange:
    """Give one of ``user``'s tasks a new status (``done`` records ``completed_at``; any other clears it),
    following the open/closed rule (module docstring).

    Raises:
        NotFound: ``tasks.not_found``. InvalidInput: ``tasks.bad_status``.
    """
    wanted = check_status(status)
    task = get_task(session=session, user=user, task_id=task_id, lock=True)
    cascaded = _apply_status(session, user, task, wanted)
    _notify(session, user, task.id, "status")
    return StatusChange(task, cascaded)


def complete_task(*, session: Session, user: User, task_id: uuid.UUID) -> StatusChange:
    """Mark one of ``user``'s tasks done, with its open subtasks (``cascaded`` says how many).

    Raises:
        NotFound: ``tasks.not_found``.
    """
    return set_status(session=session, user=user, task_id=task_id, status=TaskStatus.DONE)


def delete_task(*, session: Session, user: User, task_id: uuid.UUID) -> int:
    """Delete one of ``user``'s tasks and its subtasks at any depth, with their reminders; returns how many
    tasks were deleted.

    Raises:
        NotFound: ``tasks.not_found``.
    """
    task = get_task(session=session, user=user, task_id=task_id, lock=True)
    doomed = [task.id, *_descendants(session, user, task.id)]
    reminding.delete_for(session, user, doomed)
    session.delete(task)
    session.flush()
    _notify(session, user, task_id, "deleted")
    return len(doomed)

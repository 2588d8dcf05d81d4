"""Reading a user's tasks: filtered, sorted, in tree order with each row's nesting depth.

Filters combine (AND). The due filters use the user's local calendar (``users.timezone``) at the moment of
the call: ``overdue`` is an open task whose time has passed (an all-day one once its day ended), ``today``
is due on today's date, ``week`` from the start of today through the next 6 days, ``none`` has no due date.

A subtask is listed right under its parent, siblings in the chosen order. When a filter leaves a subtask's
parent out, the subtask is listed at the top level with its parent's title (``parent_title``), so it is
never shown under the wrong task.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, or_, text
from sqlmodel import Session, col, func, select

from assistant.core.errors import InvalidInput
from assistant.models import Task, TaskPriority, TaskStatus, User
from assistant.models.base import utcnow
from assistant.services.tasks.due import ALL_DAY_HOUR, WEEK, day_start, today
from assistant.services.tasks.tasks import OPEN, check_priority, check_status

#: Rows returned at most.
LIST_LIMIT = 1_000
#: The status filter of open tasks (to do and in progress), and the one that does not filter.
OPEN_FILTER = "open"
ALL = "all"
#: Most urgent first, as :class:`~assistant.models.TaskPriority` lists them.
PRIORITY_RANK = {priority.value: rank for rank, priority in enumerate(TaskPriority)}


class DueFilter(StrEnum):
    ANY = "any"
    OVERDUE = "overdue"
    TODAY = "today"
    WEEK = "week"
    NONE = "none"


class TaskSort(StrEnum):
    """``due``: soonest first (a day's all-day tasks before its timed ones), no date last; ``priority``: most
    urgent first, then by due; ``created``: newest first. Ties keep the order tasks were added in."""

    DUE = "due"
    PRIORITY = "priority"
    CREATED = "created"


@dataclass(frozen=True)
class TaskRow:
    """One listed task: its depth in the list (0: top level), its parent's title when the parent is not
    listed above it ("" otherwise), and its direct subtasks (``subtasks``: all but cancelled ones;
    ``subtasks_done``: those done)."""

    task: Task
    depth: int
    parent_title: str
    subtasks: int
    subtasks_done: int


def check_status_filter(value: str | None) -> str:
    """``open``, ``all`` or a :class:`~assistant.models.TaskStatus` value (None: ``open``).

    Raises:
        InvalidInput: ``tasks.bad_status``.
    """
    value = (value or OPEN_FILTER).strip().lower()
    return value if value in (OPEN_FILTER, ALL) else check_status(value).value


def _enum(value: str | None, kind: type[StrEnum], default: StrEnum, code: str) -> Any:
    try:
        return kind((value or default.value).strip().lower())
    except ValueError:
        raise InvalidInput(code, value=value or "", allowed=", ".join(member.value for member in kind)) from None


def _due_condition(due: DueFilter, user: User, now: datetime) -> Any:
    first = today(now, user.timezone)
    start = day_start(first, user.timezone)
    due_at = col(Task.due_at)
    if due == DueFilter.NONE:
        return due_at.is_(None)
    if due == DueFilter.OVERDUE:
        passed = or_(and_(col(Task.due_all_day).is_(False), due_at < now),
                     and_(col(Task.due_all_day).is_(True), due_at < start))
        return and_(col(Task.status).in_([status.value for status in OPEN]), passed)
    end = day_start(first + (WEEK if due == DueFilter.WEEK else timedelta(days=1)), user.timezone)
    return and_(due_at >= start, due_at < end)


def _order(sort: TaskSort) -> list[Any]:
    rank = case(PRIORITY_RANK, value=col(Task.priority), else_=len(PRIORITY_RANK))
    # an all-day task is stored at local noon; it sorts at the start of its day, before the timed ones
    start = col(Task.due_at) - case((col(Task.due_all_day).is_(True), text(f"interval '{ALL_DAY_HOUR} hours'")),
                                    else_=text("interval '0 hours'"))
    due = [col(Task.due_at).is_(None), start]
    tail = [col(Task.position), col(Task.created_at), col(Task.id)]
    if sort == TaskSort.PRIORITY:
        return [rank, *due, *tail]
    if sort == TaskSort.CREATED:
        return [col(Task.created_at).desc(), col(Task.id)]
    return [*due, rank, *tail]


def list_tasks(*, session: Session, user: User, status: str | None = OPEN_FILTER, priority: str | None = None,
               due: str | None = None, sort: str | None = None, limit: int = LIST_LIMIT,
               now: datetime | None = None) -> list[TaskRow]:
    """``user``'s tasks matching the filters, in tree order (module docstring).

    Args:
        status: ``open`` (default), ``all`` or one status.
        priority: one :class:`~assistant.models.TaskPriority` value; None or ``all``: any.
        due: a :class:`DueFilter` value (None: any).
        sort: a :class:`TaskSort` value (None: ``due``).
        limit: rows at most (the first in sort order, then put in tree order).
        now: the moment "overdue" and "today" refer to (default: now).

    Raises:
        InvalidInput: ``tasks.bad_status``, ``tasks.bad_priority``, ``tasks.bad_due_filter``, ``tasks.bad_sort``.
    """
    wanted = check_status_filter(status)
    weight = None if priority in (None, "", ALL) else check_priority(priority or "")
    when: DueFilter = _enum(due, DueFilter, DueFilter.ANY, "tasks.bad_due_filter")
    order: TaskSort = _enum(sort, TaskSort, TaskSort.DUE, "tasks.bad_sort")
    query = select(Task).where(Task.user_id == user.id)
    if wanted == OPEN_FILTER:
        query = query.where(col(Task.status).in_([member.value for member in OPEN]))
    elif wanted != ALL:
        query = query.where(Task.status == wanted)
    if weight is not None:
        query = query.where(Task.priority == weight.value)
    if when != DueFilter.ANY:
        query = query.where(_due_condition(when, user, now or utcnow()))
    rows = list(session.exec(query.order_by(*_order(order)).limit(max(1, min(limit, LIST_LIMIT)))))
    return _tree(session, user, rows)


def _tree(session: Session, user: User, rows: list[Task]) -> list[TaskRow]:
    """``rows`` (sorted) in tree order: each task followed by its listed subtasks, depth first."""
    listed = {task.id for task in rows}
    children: dict[uuid.UUID, list[Task]] = defaultdict(list)
    roots: list[Task] = []
    for task in rows:
        if task.parent_id is not None and task.parent_id in listed:
            children[task.parent_id].append(task)
        else:
            roots.append(task)
    titles = _titles(session, user, {task.parent_id for task in roots if task.parent_id is not None})
    counts = _subtask_counts(session, user, list(listed))
    ordered: list[TaskRow] = []
    stack: list[tuple[Task, int]] = [(task, 0) for task in reversed(roots)]
    while stack:
        task, depth = stack.pop()
        total, done = counts.get(task.id, (0, 0))
        parent_title = titles.get(task.parent_id, "") if depth == 0 and task.parent_id else ""
        ordered.append(TaskRow(task=task, depth=depth, parent_title=parent_title, subtasks=total,
                               subtasks_done=done))
        stack.extend((child, depth + 1) for child in reversed(children.get(task.id, [])))
    return ordered


def _titles(session: Session, user: User, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    found = session.exec(select(Task.id, Task.title).where(Task.user_id == user.id, col(Task.id).in_(ids)))
    return {row[0]: row[1] for row in found.all()}


def _subtask_counts(session: Session, user: User, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
    """Direct subtasks of each of ``ids``: ``(not cancelled, done)``."""
    if not ids:
        return {}
    counts = session.exec(
        select(Task.parent_id,
               func.count().filter(col(Task.status) != TaskStatus.CANCELLED.value),
               func.count().filter(col(Task.status) == TaskStatus.DONE.value))
        .where(Task.user_id == user.id, col(Task.parent_id).in_(ids)).group_by(col(Task.parent_id)))
    return {parent: (total, done) for parent, total, done in counts if parent is not None}

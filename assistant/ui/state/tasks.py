"""The Tasks page: the user's tasks with their subtasks indented under them, filters and sort, adding a task
or a subtask, editing one inline, completing with a checkbox, changing the status, deleting, and a one-time
reminder of a task ("remind me", through :mod:`assistant.services.tasks.reminding`). Handing a task to the
assistant (now, at a time, on a schedule), its runs and schedules: the mixin
:class:`~assistant.ui.state.task_runs.TaskRuns`.

State holds what is on screen only: display dicts built on a worker thread (texts translated, due times on
the user's clock in the tab's language), the filters, which task is being edited and under which a subtask
is being added. A change made elsewhere (another tab, the assistant in a chat) arrives as a ``task`` event
of the bus and :class:`~assistant.ui.state.live.LiveState` calls :meth:`TasksState._reload`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from assistant.core.errors import InvalidInput
from assistant.core.i18n import format_date, format_time, translate
from assistant.models import Reminder, Task, TaskAuthor, TaskPriority, TaskStatus, User
from assistant.models.base import utcnow
from assistant.models.user import Role
from assistant.services.scheduler import reminders
from assistant.services.tasks import listing, reminding
from assistant.services.tasks import tasks as service
from assistant.services.tasks.due import is_overdue, parse_due, to_local, today
from assistant.ui.state.auth import AuthState, guarded, parse_id
from assistant.ui.state.task_runs import TaskRuns, reminder_fields, run_rows, task_reminders

T = TypeVar("T")

ALL = listing.ALL
#: The parent choice "no parent" (a select item cannot have an empty value).
NO_PARENT = "none"
STATUSES = tuple(status.value for status in TaskStatus)
PRIORITIES = tuple(priority.value for priority in TaskPriority)
STATUS_FILTERS = (listing.OPEN_FILTER, ALL, *STATUSES)
PRIORITY_FILTERS = (ALL, *PRIORITIES)
DUE_FILTERS = tuple(due.value for due in listing.DueFilter)
SORTS = tuple(sort.value for sort in listing.TaskSort)
#: Characters of a task's notes shown in the list.
NOTES_SHOWN = 300
#: Indentation of one level of subtasks.
INDENT_EM = 1.75


@dataclass(frozen=True)
class _Filters:
    status: str = listing.OPEN_FILTER
    priority: str = ALL
    due: str = listing.DueFilter.ANY.value
    sort: str = listing.TaskSort.DUE.value


@dataclass(frozen=True)
class _View:
    """What the page shows, built on a worker thread."""

    rows: list[dict[str, Any]]
    parents: list[dict[str, Any]]
    count: str
    timezone_note: str
    runs: list[dict[str, Any]]


def _due_text(task: Task, lang: str, tz: str, now: datetime) -> str:
    """"Today", "Tomorrow, 9:30 AM", "Mar 5, 2026" ... on the user's clock; "" without a due date."""
    due = to_local(task.due_at, task.due_all_day, tz)
    if due is None:
        return ""
    relative = {today(now, tz) + timedelta(days=offset): key
                for offset, key in ((-1, "tasks.due.yesterday"), (0, "tasks.due.today"), (1, "tasks.due.tomorrow"))}
    day = translate(relative[due.day], lang) if due.day in relative else format_date(due.day, lang)
    if due.time is None or task.due_at is None:
        return day
    return translate("tasks.due.at", lang, day=day, time=format_time(task.due_at, lang, tz))


def _row(row: listing.TaskRow, lang: str, tz: str, now: datetime, reminder: Reminder | None,
         schedules: list[Reminder]) -> dict[str, Any]:
    task = row.task
    due = to_local(task.due_at, task.due_all_day, tz)
    open_ = task.status in service.OPEN
    subtasks = row.subtasks
    return {
        "id": str(task.id), "title": task.title,
        "notes": task.notes if len(task.notes) <= NOTES_SHOWN else task.notes[:NOTES_SHOWN] + "…",
        "full_notes": task.notes, "depth": row.depth, "indent": f"{row.depth * INDENT_EM}em",
        "status": task.status, "status_text": translate(f"tasks.status.{task.status}", lang),
        "done": task.status == TaskStatus.DONE, "closed": not open_,
        "priority": task.priority, "priority_text": translate(f"tasks.priority.{task.priority}", lang),
        "due_text": _due_text(task, lang, tz, now),
        "overdue": open_ and is_overdue(task.due_at, task.due_all_day, now, tz),
        "due_date": due.day.isoformat() if due else "",
        "due_time": due.time.strftime("%H:%M") if due and due.time else "",
        "parent_id": str(task.parent_id) if task.parent_id else NO_PARENT,
        "parent_text": translate("tasks.page.in_parent", lang, title=row.parent_title) if row.parent_title else "",
        "subtasks_text": (translate("tasks.page.subtasks", lang, done=row.subtasks_done, count=subtasks)
                          if subtasks else ""),
        "by_assistant": task.author == TaskAuthor.ASSISTANT,
        **reminder_fields(reminder, schedules, lang, tz),
        "delete_text": (translate("tasks.delete.body_with", lang, title=task.title, count=subtasks)
                        if subtasks else translate("tasks.delete.body", lang, title=task.title)),
    }


def _parents(rows: list[listing.TaskRow]) -> list[dict[str, Any]]:
    """Every task as a parent choice, in tree order: ``{"id", "label", "path"}``; ``label`` indented by
    depth, ``path`` the ids from the top task down to this one (a task cannot go under one whose path holds
    it)."""
    choices: list[dict[str, Any]] = []
    trail: list[str] = []
    for row in rows:
        del trail[row.depth:]
        trail.append(str(row.task.id))
        choices.append({"id": str(row.task.id), "label": "— " * row.depth + row.task.title, "path": list(trail)})
    return choices


def _read(session: Session, user: User, filters: _Filters, lang: str, run_task_id: str = "") -> _View:
    """The page as it is now for ``user`` (on a worker thread); ``run_task_id``: the task whose runs are shown."""
    now = utcnow()
    rows = listing.list_tasks(session=session, user=user, status=filters.status, priority=filters.priority,
                              due=filters.due, sort=filters.sort, now=now)
    everything = listing.list_tasks(session=session, user=user, status=ALL, sort=listing.TaskSort.CREATED.value,
                                    now=now)
    soonest, schedules = task_reminders(session, user, [row.task.id for row in rows])
    return _View(rows=[_row(row, lang, user.timezone, now, soonest.get(row.task.id), schedules.get(row.task.id, []))
                       for row in rows],
                 parents=_parents(everything),
                 count=translate("tasks.page.count", lang, count=len(rows)),
                 timezone_note=translate("tasks.page.timezone", lang, timezone=user.timezone),
                 runs=run_rows(session, user, run_task_id, lang))


def _choice(value: str, allowed: tuple[str, ...], default: str) -> str:
    return value if value in allowed else default


def _parent_id(value: object) -> uuid.UUID | None:
    text = str(value or NO_PARENT)
    return None if text == NO_PARENT else parse_id(text, "tasks.parent_not_found")


class TasksState(TaskRuns, AuthState):
    """The tasks on screen, the filters, the forms' messages, the task being edited and the one a subtask is
    being added under; the assistant's part from the mixin :class:`TaskRuns` (``AuthState`` stays named as a
    base: a state whose bases are all mixins is itself a mixin to Reflex)."""

    rows: list[dict[str, Any]] = []
    parents: list[dict[str, Any]] = []
    count_text: str = ""
    timezone_note: str = ""
    status_filter: str = listing.OPEN_FILTER
    priority_filter: str = ALL
    due_filter: str = listing.DueFilter.ANY.value
    sort: str = listing.TaskSort.DUE.value
    add_error: str = ""
    #: Changed after a task was added, so the form starts empty again (kept as typed on an error).
    add_form_key: int = 0
    editing_id: str = ""
    edit_error: str = ""
    subtask_parent_id: str = ""
    subtask_error: str = ""
    subtask_form_key: int = 0

    @rx.var
    def filtered(self) -> bool:
        """Whether a filter narrows the list (the empty list then says "nothing matches")."""
        return (self.status_filter, self.priority_filter, self.due_filter) != (
            listing.OPEN_FILTER, ALL, listing.DueFilter.ANY.value)

    @rx.var
    def edit_parents(self) -> list[dict[str, Any]]:
        """The parent choices of the task being edited: not itself, not one of its subtasks."""
        return [choice for choice in self.parents if self.editing_id not in choice["path"]]

    def _filters(self) -> _Filters:
        return _Filters(status=self.status_filter, priority=self.priority_filter, due=self.due_filter,
                        sort=self.sort)

    def _show(self, view: _View) -> None:
        self.rows, self.parents, self.count_text = view.rows, view.parents, view.count
        self.timezone_note = view.timezone_note
        shown = {row["id"] for row in view.rows}
        if self.editing_id not in shown:
            self.editing_id, self.edit_error = "", ""
        if self.subtask_parent_id not in shown:
            self.subtask_parent_id, self.subtask_error = "", ""
        self._show_runs(shown, view.runs)

    async def _apply(self, action: Callable[[Session, User], T]) -> T:
        """Run ``action(session, user)`` for the re-checked user, then read the page again in the same
        transaction and show it; returns what ``action`` returned."""
        async with self:
            filters, lang, run_task_id = self._filters(), self.lang, self.run_task_id

        def work(session: Session, user: User) -> tuple[T, _View]:
            result = action(session, user)
            return result, _read(session, user, filters, lang, run_task_id)

        result, view = await self._run_as_user(work)
        async with self:
            self._show(view)
        return result

    async def _reload(self) -> None:
        """Show the page again as stored (after a filter changed, or a ``task`` event of the bus)."""
        await self._apply(lambda session, user: None)

    @rx.event
    @guarded
    async def load(self) -> None:
        """``on_load``: the tasks, nothing being edited, and whether the assistant can take them. Skipped when
        ``AuthState.check_login`` just found no session (it has already reacted)."""
        self.editing_id, self.edit_error, self.add_error = "", "", ""
        self.subtask_parent_id, self.subtask_error = "", ""
        self.run_task_id, self.run_error = "", ""
        if self._role_shown(Role.USER):
            await self._check_assistant()

    @rx.event
    @guarded
    async def set_status_filter(self, value: str) -> None:
        """Show the open tasks, all of them, or those of one status."""
        self.status_filter = _choice(value, STATUS_FILTERS, listing.OPEN_FILTER)
        await self._reload()

    @rx.event
    @guarded
    async def set_priority_filter(self, value: str) -> None:
        """Show the tasks of one priority (or all)."""
        self.priority_filter = _choice(value, PRIORITY_FILTERS, ALL)
        await self._reload()

    @rx.event
    @guarded
    async def set_due_filter(self, value: str) -> None:
        """Show the overdue tasks, those due today or in the next 7 days, those without a date, or any."""
        self.due_filter = _choice(value, DUE_FILTERS, listing.DueFilter.ANY.value)
        await self._reload()

    @rx.event
    @guarded
    async def set_sort(self, value: str) -> None:
        """Order the tasks (and the subtasks of each) by due date, priority or newest first."""
        self.sort = _choice(value, SORTS, listing.TaskSort.DUE.value)
        await self._reload()

    def _form_task(self, form: dict[str, Any]) -> dict[str, Any]:
        """The task fields of a submitted form, checked (raises ``InvalidInput``/``NotFound``)."""
        return {"title": str(form.get("title", "")), "notes": str(form.get("notes", "")),
                "due": parse_due(str(form.get("due_date", "")), str(form.get("due_time", ""))),
                "priority": str(form.get("priority") or TaskPriority.NORMAL.value)}

    @rx.event
    @guarded
    async def add(self, form: dict[str, Any]) -> Any:
        """Add a task typed in the form (a subtask when a parent is chosen), with a one-time reminder when a
        time is given; a refused one (the reminder's time too) is explained in the form, as typed, and nothing
        is stored."""
        self.add_error = ""
        try:
            fields = self._form_task(form)
            parent = _parent_id(form.get("parent"))
            remind_at = str(form.get("remind_at") or "").strip()

            def add(session: Session, user: User) -> None:
                task = service.create_task(session=session, user=user, parent_id=parent, **fields)
                if remind_at:
                    reminding.remind(session=session, user=user, task_id=task.id, at=remind_at)

            await self._apply(add)
        except InvalidInput as exc:
            self.add_error = self._t(exc.code, **exc.params)
            return None
        self.add_form_key += 1
        return rx.toast.success(self._t("tasks.page.added"))

    @rx.event
    def start_subtask(self, task_id: str) -> None:
        """Open the "add subtask" form under a task on screen (again: close it)."""
        if self.subtask_parent_id == task_id:
            self.subtask_parent_id = ""
        elif any(row["id"] == task_id for row in self.rows):
            self.subtask_parent_id, self.subtask_error = task_id, ""
            self.subtask_form_key += 1

    @rx.event
    def cancel_subtask(self) -> None:
        """Close the "add subtask" form; nothing is added."""
        self.subtask_parent_id, self.subtask_error = "", ""

    @rx.event
    @guarded
    async def add_subtask(self, form: dict[str, Any]) -> Any:
        """Add a subtask under the task whose form is open; a refused one is explained there, as typed."""
        parent = parse_id(self.subtask_parent_id, "tasks.parent_not_found")
        self.subtask_error = ""
        try:
            fields = self._form_task(form)
            await self._apply(lambda session, user: service.create_task(session=session, user=user,
                                                                        parent_id=parent, **fields))
        except InvalidInput as exc:
            self.subtask_error = self._t(exc.code, **exc.params)
            return None
        self.subtask_form_key += 1
        return rx.toast.success(self._t("tasks.page.added"))

    @rx.event
    def start_edit(self, task_id: str) -> None:
        """Open the inline editor of a task on screen."""
        if any(row["id"] == task_id for row in self.rows):
            self.editing_id, self.edit_error = task_id, ""

    @rx.event
    def cancel_edit(self) -> None:
        """Close the editor; nothing changes."""
        self.editing_id, self.edit_error = "", ""

    @rx.event
    @guarded
    async def save_edit(self, form: dict[str, Any]) -> Any:
        """Save the task being edited (title, notes, due, priority, status, parent; a reminder when a time is
        given); a refused change is explained in the editor, as typed, and nothing is stored."""
        task_id = parse_id(self.editing_id, service.NOT_FOUND)
        self.edit_error = ""
        try:
            fields = self._form_task(form)
            parent = _parent_id(form.get("parent"))
            status = str(form.get("status") or TaskStatus.TODO.value)
            remind_at = str(form.get("remind_at") or "").strip()

            def save(session: Session, user: User) -> None:
                service.update_task(session=session, user=user, task_id=task_id, parent_id=parent, status=status,
                                    **fields)
                if remind_at:
                    reminding.remind(session=session, user=user, task_id=task_id, at=remind_at)

            await self._apply(save)
        except InvalidInput as exc:
            self.edit_error = self._t(exc.code, **exc.params)
            return None
        self.editing_id = ""
        return rx.toast.success(self._t("common.saved"))

    @rx.event
    @guarded
    async def toggle_done(self, task_id: str) -> Any:
        """The checkbox: complete an open task (with its open subtasks), or reopen a closed one."""
        ident = parse_id(task_id, service.NOT_FOUND)
        closed = any(row["id"] == task_id and row["closed"] for row in self.rows)
        status = TaskStatus.TODO if closed else TaskStatus.DONE
        change = await self._apply(lambda session, user: service.set_status(session=session, user=user,
                                                                            task_id=ident, status=status))
        if status == TaskStatus.DONE and change.cascaded:
            return rx.toast.success(self._t("tasks.page.completed_with", count=change.cascaded))
        return None

    @rx.event
    @guarded
    async def set_task_status(self, task_id: str, status: str) -> None:
        """Give a task another status (to do, in progress, done, cancelled)."""
        ident = parse_id(task_id, service.NOT_FOUND)
        wanted = _choice(status, STATUSES, "")
        if wanted:
            await self._apply(lambda session, user: service.set_status(session=session, user=user, task_id=ident,
                                                                       status=wanted))

    @rx.event
    @guarded
    async def delete(self, task_id: str) -> Any:
        """Delete a task with its subtasks."""
        ident = parse_id(task_id, service.NOT_FOUND)
        count = await self._apply(lambda session, user: service.delete_task(session=session, user=user,
                                                                            task_id=ident))
        if count > 1:
            return rx.toast.success(self._t("tasks.page.deleted_with", count=count - 1))
        return rx.toast.success(self._t("tasks.page.deleted"))

    @rx.event
    @guarded
    async def remove_reminder(self, reminder_id: str) -> Any:
        """Delete a task's reminder (shown on its row)."""
        ident = parse_id(reminder_id, reminders.NOT_FOUND)
        await self._apply(lambda session, user: reminders.delete_reminder(session=session, user=user,
                                                                          reminder_id=ident))
        return rx.toast.success(self._t("tasks.reminder.removed"))

"""Tasks handed to the assistant, on the Tasks page: "Hand to the assistant" now, at a local time or on a
schedule, the latest runs of a task (status, when, cost, its chat, why it failed) with Cancel, and each task's
schedules (reminders of kind ``assistant``) on its row with a button that removes one.

:class:`TaskRuns` is a state mixin of :class:`assistant.ui.state.tasks.TasksState` (as
:class:`assistant.ui.state.chat_memory.ChatMemory` is of the chat state): Reflex copies its event handlers onto
the tasks state, so the page calls them as ``TasksState.hand_over``. One task's assistant panel is open at a
time (``run_task_id``); its runs are read with the rest of the page
(:func:`assistant.ui.state.tasks._read`), so a run's ``task`` event (queued, started, finished, cancelled)
refreshes them through :class:`~assistant.ui.state.live.LiveState` without a reload. Whether a language model
answers is read once per page load: without one the option is absent and the page says why.

The module-level functions do the work on a worker thread for the signed-in user (they never touch state).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import reflex as rx
from sqlmodel import Session

from assistant.core.errors import Conflict, InvalidInput, NotFound
from assistant.core.i18n import format_datetime, translate
from assistant.models import Reminder, RunStatus, User
from assistant.models.base import utcnow
from assistant.models.reminder import Recurrence, ReminderKind, ReminderStatus
from assistant.services.scheduler import reminders
from assistant.services.scheduler.views import describe_schedule
from assistant.services.tasks import runs as service
from assistant.services.tasks.due import today, zone
from assistant.services.tasks.tasks import NOT_FOUND, get_task
from assistant.ui import routes
from assistant.ui.state.auth import AuthState, guarded, parse_id

T = TypeVar("T")

#: How a task is handed over: at once, at a local date and time, or on a schedule.
MODES = ("now", "at", "schedule")
#: The repeats a schedule offers (the reminders' presets of the same names).
REPEATS = (Recurrence.DAILY.value, Recurrence.WEEKDAYS.value, Recurrence.WEEKLY.value)
WEEKDAYS = tuple(range(7))
_OPEN = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)


def task_reminders(session: Session, user: User, task_ids: list[uuid.UUID]
                   ) -> tuple[dict[uuid.UUID, Reminder], dict[uuid.UUID, list[Reminder]]]:
    """The active reminders of ``user``'s tasks ``task_ids``, soonest first: the soonest "remind me" reminder of
    each task, and each task's schedules (kind ``assistant``)."""
    wanted = set(task_ids)
    soonest: dict[uuid.UUID, Reminder] = {}
    schedules: dict[uuid.UUID, list[Reminder]] = {}
    for reminder in reminders.list_reminders(session=session, user=user, status=ReminderStatus.ACTIVE):
        if reminder.task_id is None or reminder.task_id not in wanted:
            continue
        if reminder.kind == ReminderKind.ASSISTANT.value:
            schedules.setdefault(reminder.task_id, []).append(reminder)
        else:
            soonest.setdefault(reminder.task_id, reminder)
    return soonest, schedules


def reminder_fields(reminder: Reminder | None, schedules: list[Reminder], lang: str, tz: str) -> dict[str, Any]:
    """A row's reminder (``reminder_id``, ``reminder_text``: "Reminder: <when>") and its schedules
    (``schedules``: ``{"id", "text"}``, "Assistant: Every Monday at 9:00 AM (next <when>)")."""
    def when(item: Reminder) -> str:
        return format_datetime(item.next_fire_at, lang, tz) if item.next_fire_at else ""

    return {
        "reminder_id": str(reminder.id) if reminder else "",
        "reminder_text": translate("tasks.reminder.next", lang, when=when(reminder)) if reminder and when(reminder)
        else "",
        "schedules": [{"id": str(item.id), "text": translate("tasks.run.page.schedule", lang, when=when(item),
                                                               schedule=describe_schedule(item, lang))}
                      for item in schedules],
    }


def _run_row(run: service.RunView, lang: str, tz: str) -> dict[str, Any]:
    """One run as the panel shows it."""
    if run.status == RunStatus.QUEUED.value:
        when = translate("tasks.run.page.when.queued", lang, when=format_datetime(run.due_at, lang, tz))
    elif run.status == RunStatus.RUNNING.value:
        when = translate("tasks.run.page.when.running", lang, when=format_datetime(run.started_at or run.due_at,
                                                                                   lang, tz))
    else:
        when = translate("tasks.run.page.when.finished", lang,
                         when=format_datetime(run.finished_at or run.due_at, lang, tz))
    tokens = run.input_tokens + run.output_tokens
    cost = translate("tasks.run.page.cost", lang, rounds=translate("tasks.run.page.rounds", lang, count=run.rounds),
                     tokens=translate("tasks.run.page.tokens", lang, count=tokens)) if run.rounds or tokens else ""
    return {"id": str(run.id), "status": run.status,
            "status_text": translate(f"tasks.run.page.status.{run.status}", lang), "when_text": when,
            "cost_text": cost, "chat_url": routes.chat(run.chat_id) if run.chat_id else "",
            "error_text": translate(run.error_code, lang) if run.error_code else "", "open": run.status in _OPEN}


def run_rows(session: Session, user: User, task_id: str, lang: str) -> list[dict[str, Any]]:
    """The latest runs of ``user``'s task ``task_id`` (an id from the page), newest first; none for no task or
    one that is gone (deleted in another tab)."""
    if not task_id:
        return []
    try:
        shown = service.list_runs(session=session, user=user, task_id=parse_id(task_id, NOT_FOUND))
    except NotFound:
        return []
    return [_run_row(run, lang, user.timezone) for run in shown]


def local_moment(value: str, timezone: str) -> datetime:
    """The moment (aware, UTC) of a local date and time ``YYYY-MM-DDTHH:MM`` (a ``datetime-local`` field) on
    the clock of ``timezone``; a time the clocks skip takes the offset from before the change.

    Raises:
        InvalidInput: ``tasks.run.page.time_required`` (blank), ``tasks.run.page.time_invalid``.
    """
    text = value.strip()
    if not text:
        raise InvalidInput("tasks.run.page.time_required")
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput("tasks.run.page.time_invalid", value=text) from None
    return local.replace(second=0, microsecond=0, tzinfo=zone(timezone)).astimezone(UTC)


def hand_over(session: Session, user: User, task_id: uuid.UUID, mode: str, repeat: str, form: dict[str, Any],
              lang: str) -> str:
    """Hand ``user``'s task to the assistant as the panel's form says (``mode`` of :data:`MODES`; ``at``: the
    local date and time; ``repeat`` of :data:`REPEATS`, ``time`` and the days ``run_day_<0..6>`` for a
    schedule); returns what the toast says.

    Raises:
        InvalidInput: ``tasks.run.no_model``, ``tasks.run.past``, the time's checks, ``tasks.run.page.days_required``
            (weekly without a day) and the reminders service's checks of the schedule.
        Conflict: ``tasks.run.already_open``. NotFound: ``tasks.not_found``.
    """
    if mode == "now":
        service.hand_to_assistant(session=session, user=user, task_id=task_id)
        return translate("tasks.run.page.handed", lang)
    if mode == "at":
        run = service.hand_to_assistant(session=session, user=user, task_id=task_id,
                                        at=local_moment(str(form.get("at", "")), user.timezone))
        return translate("tasks.run.page.handed_at", lang, when=format_datetime(run.due_at, lang, user.timezone))
    task = get_task(session=session, user=user, task_id=task_id)
    if not service.assistant_available(session=session, user=user):
        raise InvalidInput("tasks.run.no_model")
    at = str(form.get("time", "")).strip()
    if not at:
        raise InvalidInput("tasks.run.page.time_required")
    recurrence = repeat if repeat in REPEATS else Recurrence.DAILY.value
    days = [day for day in WEEKDAYS if form.get(f"run_day_{day}") in (True, "on")]
    if recurrence == Recurrence.WEEKLY.value and not days:
        raise InvalidInput("tasks.run.page.days_required")
    first_day = today(utcnow(), user.timezone).isoformat()
    schedule = reminders.create_reminder(session=session, user=user, data=reminders.ReminderInput(
        title=task.title, kind=ReminderKind.ASSISTANT.value, task_id=task.id, starts_at=f"{first_day}T{at}",
        recurrence=recurrence, weekdays=days if recurrence == Recurrence.WEEKLY.value else None))
    return translate("tasks.run.page.scheduled", lang, schedule=describe_schedule(schedule, lang))


class TaskRuns(AuthState, mixin=True):
    """Whether the assistant can take tasks, the task whose assistant panel is open, its runs and the panel's
    form (mode, repeat, error)."""

    #: Read once per page load: a language model answers for the user (else the option is absent).
    assistant_ready: bool = False
    #: Read and false: the page says why the option is absent.
    assistant_missing: bool = False
    run_task_id: str = ""
    runs: list[dict[str, Any]] = []
    run_mode: str = MODES[0]
    run_repeat: str = REPEATS[0]
    run_error: str = ""
    #: Changed whenever the panel opens or a hand-over succeeds, so its form starts empty.
    run_form_key: int = 0

    if TYPE_CHECKING:
        # What the tasks state using this mixin provides (see assistant.ui.state.tasks.TasksState).
        rows: list[dict[str, Any]]

        async def _apply(self, action: Callable[[Session, User], T]) -> T: ...

        async def _reload(self) -> None: ...

    async def _check_assistant(self) -> None:
        """Read whether a language model answers for the user (and the page), off the event loop."""
        ready = await self._apply(lambda session, user: service.assistant_available(session=session, user=user))
        self.assistant_ready, self.assistant_missing = ready, not ready

    def _show_runs(self, shown: set[str], runs: list[dict[str, Any]]) -> None:
        """Show the open panel's runs as read; the panel closes when its task is no longer on screen."""
        if self.run_task_id not in shown:
            self.run_task_id, self.run_error, runs = "", "", []
        self.runs = runs

    @rx.event
    @guarded
    async def open_runs(self, task_id: str) -> None:
        """Open a task's assistant panel (the hand-over form and its latest runs); again: close it."""
        if self.run_task_id == task_id or not any(row["id"] == task_id for row in self.rows):
            self.run_task_id, self.run_error, self.runs = "", "", []
            return
        self.run_task_id, self.run_error, self.run_mode = task_id, "", MODES[0]
        self.run_form_key += 1
        await self._reload()

    @rx.event
    def close_runs(self) -> None:
        """Close the assistant panel; nothing changes."""
        self.run_task_id, self.run_error, self.runs = "", "", []

    @rx.event
    def set_run_mode(self, mode: str) -> None:
        """Hand the task over now, at a time or on a schedule (the form shows that mode's fields)."""
        self.run_mode, self.run_error = mode if mode in MODES else MODES[0], ""

    @rx.event
    def set_run_repeat(self, repeat: str) -> None:
        """Run the schedule every day, every weekday or weekly on chosen days."""
        self.run_repeat = repeat if repeat in REPEATS else REPEATS[0]

    @rx.event
    @guarded
    async def hand_over(self, form: dict[str, Any]) -> Any:
        """Hand the open panel's task to the assistant as its form says; a refusal is explained next to the
        form, as typed, and nothing is stored."""
        task_id = parse_id(self.run_task_id, NOT_FOUND)
        mode, repeat, lang = self.run_mode, self.run_repeat, self.lang
        self.run_error = ""
        try:
            toast = await self._apply(lambda session, user: hand_over(session, user, task_id, mode, repeat, form,
                                                                      lang))
        except (InvalidInput, Conflict) as exc:
            self.run_error = self._t(exc.code, **exc.params)
            return None
        self.run_form_key += 1
        return rx.toast.success(toast)

    @rx.event
    @guarded
    async def cancel_run(self, run_id: str) -> Any:
        """Cancel a queued run at once, or stop a running one (within a few seconds)."""
        ident = parse_id(run_id, "tasks.run.not_found")
        run = await self._apply(lambda session, user: service.cancel_run(session=session, user=user, run_id=ident))
        if run.status == RunStatus.RUNNING.value:
            return rx.toast.info(self._t("tasks.run.page.stopping"))
        return rx.toast.success(self._t("tasks.run.page.cancelled"))

    @rx.event
    @guarded
    async def remove_schedule(self, reminder_id: str) -> Any:
        """Delete a task's schedule (shown on its row): the assistant no longer runs the task on it."""
        ident = parse_id(reminder_id, reminders.NOT_FOUND)
        await self._apply(lambda session, user: reminders.delete_reminder(session=session, user=user,
                                                                          reminder_id=ident))
        return rx.toast.success(self._t("tasks.run.page.schedule_removed"))


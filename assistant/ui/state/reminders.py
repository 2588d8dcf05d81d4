"""The Reminders page: the user's reminders (a status filter) with their schedule in words, time zone, next
times in the reminder's own zone and adherence; create and edit in one form; pause, resume, snooze and
delete (after a confirmation).

State holds what is on screen only: display dicts built on a worker thread from
:mod:`assistant.services.scheduler.views` (texts translated, times written in the tab's language), the filter,
the form's starting values and which reminder is being edited, snoozed or deleted. A change made elsewhere
(the worker firing a reminder, another tab, the assistant in a chat) arrives as a ``reminder`` event of the
bus, an acknowledgement as a ``notification`` event, and :class:`~assistant.ui.state.live.LiveState` calls
:meth:`RemindersState._reload`.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import reflex as rx
from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.core.errors import InvalidInput
from assistant.core.i18n import format_datetime, translate
from assistant.models import User
from assistant.models.base import utcnow
from assistant.models.reminder import Recurrence, ReminderKind, ReminderStatus
from assistant.models.user import Role
from assistant.services.scheduler import reminders, views
from assistant.ui.state.auth import AuthState, guarded, parse_id

T = TypeVar("T")

#: The filter value that does not filter.
ALL = "all"
STATUS_FILTERS = (ALL, *(status.value for status in ReminderStatus))
RECURRENCES = tuple(recurrence.value for recurrence in Recurrence)
#: The kinds the form offers (an ``assistant`` reminder is the schedule of a task, edited with its task).
FORM_KINDS = (ReminderKind.GENERAL.value, ReminderKind.MEDICATION.value)
#: How a series ends: never, after its last day, after a number of times.
END_MODES = ("none", "until", "count")
WEEKDAYS = tuple(range(7))
NOT_FOUND = reminders.NOT_FOUND
#: The every-N-hours preset's starting values in a new form.
NEW_INTERVAL_HOURS, NEW_WINDOW = "4", ("08:00", "20:00")


def _row(view: views.ReminderView, lang: str) -> dict[str, Any]:
    """One reminder as the list shows it (times in the reminder's own zone)."""
    snoozed = ""
    if view.snoozed and view.next_fire_at is not None:
        snoozed = translate("reminders.page.snoozed_until", lang,
                            time=format_datetime(view.next_fire_at, lang, view.timezone))
    return {
        "id": str(view.id), "title": view.title, "note": view.note, "kind": view.kind,
        "kind_text": translate(f"reminders.page.kind.{view.kind}", lang), "schedule": view.schedule,
        "timezone": view.timezone, "status": view.status,
        "status_text": translate(f"reminders.page.status.{view.status}", lang),
        "next": [format_datetime(instant, lang, view.timezone) for instant in view.next_occurrences],
        "snoozed": snoozed, "adherence": view.adherence_text,
        "active": view.status == ReminderStatus.ACTIVE, "paused": view.status == ReminderStatus.PAUSED,
        "editable": view.kind in FORM_KINDS,
    }


def _read(session: Session, user: User, status: str, lang: str) -> list[dict[str, Any]]:
    """The list as it is now for ``user`` (on a worker thread)."""
    rows = views.list_reminder_views(session=session, user=user, language=lang,
                                     status=None if status == ALL else status)
    return [_row(view, lang) for view in rows]


def _new_form(timezone: str) -> dict[str, str]:
    """The form's starting values for a new reminder: the next whole hour in the user's zone, once."""
    start = (utcnow().astimezone(ZoneInfo(timezone)) + timedelta(hours=1)).replace(minute=0, second=0,
                                                                                      microsecond=0)
    return {"title": "", "note": "", "kind": ReminderKind.GENERAL.value, "date": start.date().isoformat(),
            "time": start.strftime("%H:%M"), "timezone": timezone, "interval_hours": NEW_INTERVAL_HOURS,
            "window_start": NEW_WINDOW[0], "window_end": NEW_WINDOW[1], "rrule": "", "until_date": "", "count": "",
            "escalate_after_minutes": "",
            **{f"day_{day}": "on" if day == start.weekday() else "" for day in WEEKDAYS}}


def _edit_form(view: views.ReminderView, escalate_after_minutes: int | None = None) -> dict[str, str]:
    """The form's starting values for ``view``'s reminder, as stored (with its escalation, "" for off)."""
    return {"title": view.title, "note": view.note, "kind": view.kind, "date": view.starts_at.date().isoformat(),
            "time": view.starts_at.strftime("%H:%M"), "timezone": view.timezone,
            "interval_hours": str(view.interval_hours or NEW_INTERVAL_HOURS),
            "window_start": view.window_start.strftime("%H:%M") if view.window_start else NEW_WINDOW[0],
            "window_end": view.window_end.strftime("%H:%M") if view.window_end else NEW_WINDOW[1],
            "rrule": (view.rule or "") if view.recurrence == Recurrence.RRULE else "",
            "until_date": view.until_date.isoformat() if view.until_date else "",
            "count": str(view.count) if view.count else "",
            "escalate_after_minutes": str(escalate_after_minutes or ""),
            **{f"day_{day}": "on" if day in view.weekdays else "" for day in WEEKDAYS}}


def _end_mode(view: views.ReminderView) -> str:
    return "until" if view.until_date else "count" if view.count else "none"


def _whole(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def _input(form: dict[str, Any], recurrence: str, end: str, task_id: uuid.UUID | None) -> reminders.ReminderInput:
    """The service's input from the submitted form (strings) and the controlled repeat and end choices.

    Raises:
        InvalidInput: ``reminders.start_invalid`` without both a date and a time (the service would take a
            date alone as midnight); ``reminders.until_invalid`` when "on a date" was chosen without a date.
    """
    def text(name: str) -> str:
        return str(form.get(name) or "")

    day, clock = text("date").strip(), text("time").strip()
    if not day or not clock:
        raise InvalidInput("reminders.start_invalid", value=f"{day} {clock}".strip())
    if end == "until" and not text("until_date").strip():
        raise InvalidInput("reminders.until_invalid", value="")
    return reminders.ReminderInput(
        title=text("title"), note=text("note"), kind=text("kind") or ReminderKind.GENERAL.value,
        starts_at=f"{day}T{clock}",
        timezone=text("timezone").strip() or None, recurrence=recurrence,
        weekdays=[day for day in WEEKDAYS if form.get(f"reminder_day_{day}") in (True, "on")]
        if recurrence == Recurrence.WEEKLY else None,
        interval_hours=_whole(text("interval_hours")) if recurrence == Recurrence.HOURLY else None,
        window_start=(text("window_start") or None) if recurrence == Recurrence.HOURLY else None,
        window_end=(text("window_end") or None) if recurrence == Recurrence.HOURLY else None,
        rrule=text("rrule") if recurrence == Recurrence.RRULE else None,
        until_date=text("until_date") if end == "until" else None,
        count=(_whole(text("count")) or 0) if end == "count" else None,
        task_id=task_id, escalate_after_minutes=text("escalate_after_minutes"))


def _choice(value: str, allowed: tuple[str, ...], default: str) -> str:
    return value if value in allowed else default


class RemindersState(AuthState):
    """The reminders on screen, the filter, the form and the open snooze and delete confirmations."""

    rows: list[dict[str, Any]] = []
    status_filter: str = ALL
    missed_rule: str = ""
    form_open: bool = False
    #: The reminder the form edits ("" while creating one).
    editing_id: str = ""
    form_values: dict[str, str] = {}
    form_recurrence: str = Recurrence.ONCE.value
    form_end: str = "none"
    form_error: str = ""
    #: Changed whenever the form gets new starting values, so it is drawn again with them.
    form_key: int = 0
    deleting_id: str = ""
    deleting_title: str = ""
    #: The task of the reminder being edited (kept as it is by the form).
    _editing_task_id: str = ""

    async def _apply(self, action: Callable[[Session, User], T]) -> T:
        """Run ``action(session, user)`` for the re-checked user, then read the list again in the same
        transaction and show it; returns what ``action`` returned."""
        async with self:
            status, lang = self.status_filter, self.lang

        def work(session: Session, user: User) -> tuple[T, list[dict[str, Any]]]:
            return action(session, user), _read(session, user, status, lang)

        result, rows = await self._run_as_user(work)
        async with self:
            self.rows = rows
            if self.deleting_id and all(row["id"] != self.deleting_id for row in rows):
                self.deleting_id = self.deleting_title = ""
        return result

    async def _reload(self) -> None:
        """Show the list again as stored (after the filter changed, or a ``reminder`` or ``notification``
        event of the bus)."""
        await self._apply(lambda session, user: None)

    @rx.event
    @guarded
    async def load(self) -> None:
        """``on_load``: the list, the missed-run rule, no form open. Skipped when ``AuthState.check_login``
        just found no session (it has already reacted)."""
        self.form_open, self.form_error, self.deleting_id = False, "", ""
        self.missed_rule = self._t("reminders.page.missed_rule", minutes=get_settings().reminder_grace_minutes)
        if self._role_shown(Role.USER):
            await self._reload()

    @rx.event
    @guarded
    async def set_status_filter(self, value: str) -> None:
        """Show the reminders of one status (or all)."""
        self.status_filter = _choice(value, STATUS_FILTERS, ALL)
        await self._reload()

    def _open_form(self, values: dict[str, str], recurrence: str, end: str, editing_id: str, task_id: str) -> None:
        self.form_values, self.form_recurrence, self.form_end = values, recurrence, end
        self.editing_id, self._editing_task_id = editing_id, task_id
        self.form_open, self.form_error = True, ""
        self.form_key += 1

    @rx.event
    @guarded
    async def open_new(self) -> None:
        """Open an empty form: the next whole hour in the user's time zone, once."""
        timezone = await self._run_as_user(lambda session, user: user.timezone)
        self._open_form(_new_form(timezone), Recurrence.ONCE.value, "none", "", "")

    @rx.event
    @guarded
    async def open_edit(self, reminder_id: str) -> None:
        """Open the form with one of the user's reminders as stored."""
        ident, lang = parse_id(reminder_id, NOT_FOUND), self.lang

        def read(session: Session, user: User) -> tuple[views.ReminderView, int | None]:
            view = views.reminder_view(session=session, user=user, reminder_id=ident, language=lang)
            stored = reminders.get_reminder(session=session, user=user, reminder_id=ident)
            return view, stored.escalate_after_minutes

        view, escalation = await self._run_as_user(read)
        self._open_form(_edit_form(view, escalation), view.recurrence, _end_mode(view), str(view.id),
                        str(view.task_id) if view.task_id else "")

    @rx.event
    def close_form(self) -> None:
        """Close the form; nothing changes."""
        self.form_open, self.form_error, self.editing_id, self._editing_task_id = False, "", "", ""

    @rx.event
    def set_form_recurrence(self, value: str) -> None:
        """Choose how the reminder repeats (the form shows that choice's fields)."""
        self.form_recurrence = _choice(value, RECURRENCES, Recurrence.ONCE.value)

    @rx.event
    def set_form_end(self, value: str) -> None:
        """Choose how a series ends."""
        self.form_end = _choice(value, END_MODES, "none")

    @rx.event
    @guarded
    async def save(self, form: dict[str, Any]) -> Any:
        """Create the reminder, or store the one being edited; a refused one is explained in the form, which
        keeps what was typed, and nothing is stored."""
        editing = parse_id(self.editing_id, NOT_FOUND) if self.editing_id else None
        task_id = parse_id(self._editing_task_id) if self._editing_task_id and editing else None
        self.form_error = ""
        try:
            data = _input(form, self.form_recurrence, self.form_end, task_id)
            if editing is None:
                await self._apply(lambda session, user: reminders.create_reminder(session=session, user=user,
                                                                                  data=data))
            else:
                await self._apply(lambda session, user: reminders.update_reminder(
                    session=session, user=user, reminder_id=editing, data=data))
        except InvalidInput as exc:
            self.form_error = self._t(exc.code, **exc.params)
            return None
        self.form_open, self.editing_id, self._editing_task_id = False, "", ""
        return rx.toast.success(self._t("reminders.page.created" if editing is None else "common.saved"))

    async def _change(self, reminder_id: str, action: Callable[..., object], **values: Any) -> Any:
        """Run ``action(session=, user=, reminder_id=, **values)`` on one reminder, then show the list again;
        returns what ``action`` returned."""
        ident = parse_id(reminder_id, NOT_FOUND)
        return await self._apply(lambda session, user: action(session=session, user=user, reminder_id=ident,
                                                              **values))

    @rx.event
    @guarded
    async def pause(self, reminder_id: str) -> Any:
        """Stop a reminder from firing until it is resumed."""
        await self._change(reminder_id, reminders.pause_reminder)
        return rx.toast.success(self._t("reminders.page.paused"))

    @rx.event
    @guarded
    async def resume(self, reminder_id: str) -> Any:
        """Let a paused reminder fire again from its next time after now."""
        await self._change(reminder_id, reminders.resume_reminder)
        return rx.toast.success(self._t("reminders.page.resumed"))

    async def _snooze(self, reminder_id: str, minutes: int | str) -> Any:
        fire_at = await self._change(reminder_id, functools.partial(_snoozed_until, self.lang), minutes=minutes)
        return rx.toast.success(self._t("reminders.page.snoozed", time=fire_at))

    @rx.event
    @guarded
    async def snooze(self, reminder_id: str, minutes: int) -> Any:
        """Postpone an active reminder's next time by ``minutes`` (a refused length: the service's toast)."""
        return await self._snooze(reminder_id, minutes)

    @rx.event
    @guarded
    async def snooze_custom(self, form: dict[str, Any]) -> Any:
        """The custom snooze form: ``reminder_id`` and ``minutes`` as typed."""
        return await self._snooze(str(form.get("reminder_id", "")), str(form.get("minutes", "")))

    @rx.event
    def ask_delete(self, reminder_id: str) -> None:
        """Ask to confirm deleting a reminder on screen."""
        row = next((row for row in self.rows if row["id"] == reminder_id), None)
        if row is not None:
            self.deleting_id, self.deleting_title = reminder_id, row["title"]

    @rx.event
    def cancel_delete(self) -> None:
        """Keep the reminder."""
        self.deleting_id = self.deleting_title = ""

    @rx.event
    @guarded
    async def confirm_delete(self) -> Any:
        """Delete the reminder being confirmed, with its notifications."""
        reminder_id = self.deleting_id
        self.deleting_id = self.deleting_title = ""
        if self.editing_id == reminder_id:
            self.form_open, self.editing_id = False, ""
        await self._change(reminder_id, reminders.delete_reminder)
        return rx.toast.success(self._t("reminders.page.deleted"))


def _snoozed_until(lang: str, *, session: Session, user: User, reminder_id: uuid.UUID, minutes: int | str) -> str:
    """Snooze ``user``'s reminder and return its new fire time written in ``lang`` in the reminder's zone."""
    reminder = reminders.snooze_reminder(session=session, user=user, reminder_id=reminder_id, minutes=minutes)
    fire_at: datetime | None = reminder.next_fire_at
    return format_datetime(fire_at, lang, reminder.timezone) if fire_at else ""

"""The reminder tools: ``schedule_reminder``, ``list_reminders`` and ``cancel_reminder``.

They act only on the reminders of the session's user (:class:`~assistant.services.tools.registry.ToolContext`);
times are local wall-clock times in the user's time zone unless the model names another IANA zone, and the
results give each next occurrence as a local ISO 8601 time with its UTC offset. A refused reminder (bad time,
rule, zone, a one-time reminder in the past...) stores nothing; the model reads why. ``cancel_reminder``
deletes the reminder, as Delete on the Reminders page does (its notifications go with it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from assistant.core.db import in_session
from assistant.models.reminder import MAX_REMINDER_NOTE_CHARS, MAX_REMINDER_TITLE_CHARS
from assistant.services.scheduler import reminders, views
from assistant.services.scheduler.recurrence import WEEKDAY_CODES
from assistant.services.scheduler.reminders import ReminderInput
from assistant.services.tools.acting import acting_user, parse_row_id
from assistant.services.tools.registry import Tool, ToolContext
from assistant.services.tools.spec import ToolSpec

Weekday = Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
Repeat = Literal["once", "daily", "weekdays", "weekly", "monthly", "hourly", "rrule"]
#: The language of what the tools return (the model answers in the user's own).
_LANGUAGE = "en"
#: Reminders ``list_reminders`` returns at most, and the next occurrences it gives for each.
_LIST_MAX = 50
_LIST_UPCOMING = 3


class ScheduleReminderArguments(BaseModel):
    """Arguments of ``schedule_reminder``."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=MAX_REMINDER_TITLE_CHARS,
                       description="What to remind of, short, in the user's language, e.g. 'Take metformin 500 mg'.")
    time: str = Field(description="The first (or only) time as a local date and time in the time zone, ISO 8601 "
                                  "without offset, e.g. '2025-06-02T08:00'. For 'every day at 8' give the next 08:00 "
                                  "(call get_current_time first if unsure of today's date).")
    repeat: Repeat = Field(default="once", description=(
        "once; daily; weekdays (Mon-Fri); weekly (on 'weekdays', else the first time's weekday); monthly (the first "
        "time's day of month; 29-31 fall back to a shorter month's last day); hourly (every 'interval_hours' "
        "between 'window_start' and 'window_end' each day); rrule (the 'rrule' text)."))
    weekdays: list[Weekday] | None = Field(default=None, description="For weekly: the days, e.g. ['MO', 'TH'].")
    interval_hours: int | None = Field(default=None, ge=1, le=24, description="For hourly: every N hours.")
    window_start: str | None = Field(default=None, description="For hourly: first time of day, 'HH:MM'.")
    window_end: str | None = Field(default=None, description="For hourly: last time of day, 'HH:MM'.")
    rrule: str | None = Field(default=None, max_length=500, description=(
        "For rrule: an RFC 5545 RRULE without DTSTART, UNTIL or COUNT, e.g. 'FREQ=MONTHLY;BYDAY=1MO'. At most 48 "
        "times a day."))
    until: str | None = Field(default=None, description="Last local day of a repeating reminder, 'YYYY-MM-DD'.")
    count: int | None = Field(default=None, ge=1, le=reminders.MAX_COUNT,
                              description="How many times a repeating reminder fires in all.")
    note: str = Field(default="", max_length=MAX_REMINDER_NOTE_CHARS, description="Optional details, e.g. the dose.")
    kind: Literal["general", "medication"] = Field(
        default="general", description="medication: taking a medicine (the user confirms with 'Taken').")
    timezone: str | None = Field(default=None, description="An IANA time zone such as 'Europe/Berlin' if the user "
                                                           "names one; omit for the user's own.")


class ListRemindersArguments(BaseModel):
    """Arguments of ``list_reminders``."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["active", "paused", "ended", "all"] = Field(
        default="all", description="Only reminders of this status; 'all' for every one.")


class CancelReminderArguments(BaseModel):
    """Arguments of ``cancel_reminder``."""

    model_config = ConfigDict(extra="forbid")

    reminder_id: str = Field(description="The id of the reminder to cancel (from list_reminders or schedule_reminder).")


def _local(moment: datetime) -> str:
    return f"{moment.isoformat(timespec='minutes')} ({moment.strftime('%a')})"


def _described(view: views.ReminderView) -> dict[str, Any]:
    """What the model reads of a reminder: its id, schedule in words and next local times."""
    described: dict[str, Any] = {"reminder_id": str(view.id), "title": view.title, "kind": view.kind,
                                 "status": view.status, "schedule": view.schedule, "timezone": view.timezone,
                                 "next_occurrences": [_local(moment) for moment in view.next_occurrences]}
    if view.note:
        described["note"] = view.note
    if view.rule:
        described["rrule"] = view.rule
    if view.snoozed and view.next_fire_at is not None:
        described["snoozed_until"] = _local(view.next_fire_at)
    return described


async def schedule_reminder(arguments: ScheduleReminderArguments, context: ToolContext) -> dict[str, Any]:
    """Store a reminder for the acting user.

    Returns:
        ``{"result": "scheduled", "reminder_id", "title", "kind", "status", "schedule", "timezone",
        "next_occurrences": ["2025-06-02T08:00+02:00 (Mon)", ...], "note"?, "rrule"?}`` (up to 5 times).

    Raises:
        InvalidInput: a bad time, zone, rule, end or a one-time reminder in the past (nothing stored).
    """
    data = ReminderInput(
        title=arguments.title, note=arguments.note, kind=arguments.kind, starts_at=arguments.time,
        timezone=arguments.timezone or context.timezone, recurrence=arguments.repeat,
        weekdays=[WEEKDAY_CODES.index(day) for day in arguments.weekdays] if arguments.weekdays else None,
        interval_hours=arguments.interval_hours, window_start=arguments.window_start,
        window_end=arguments.window_end, rrule=arguments.rrule, until_date=arguments.until, count=arguments.count)

    def run(session: Session) -> dict[str, Any]:
        user = acting_user(session, context)
        reminder = reminders.create_reminder(session=session, user=user, data=data)
        view = views.reminder_view(session=session, user=user, reminder_id=reminder.id, language=_LANGUAGE)
        return {"result": "scheduled", **_described(view)}

    return await in_session(run)


async def list_reminders(arguments: ListRemindersArguments, context: ToolContext) -> dict[str, Any]:
    """The acting user's reminders (active first, by next time), at most 50, each with its next 3 times.

    Returns:
        ``{"reminders": [{"reminder_id", "title", "kind", "status", "schedule", "timezone",
        "next_occurrences", ...}], "more"?: <count left out>}``.
    """
    status = None if arguments.status == "all" else arguments.status

    def run(session: Session) -> dict[str, Any]:
        found = views.list_reminder_views(session=session, user=acting_user(session, context), language=_LANGUAGE,
                                          status=status, upcoming=_LIST_UPCOMING)
        listed: dict[str, Any] = {"reminders": [_described(view) for view in found[:_LIST_MAX]]}
        if len(found) > _LIST_MAX:
            listed["more"] = len(found) - _LIST_MAX
        return listed

    return await in_session(run)


async def cancel_reminder(arguments: CancelReminderArguments, context: ToolContext) -> dict[str, Any]:
    """Delete one of the acting user's reminders (as the Reminders page's Delete).

    Returns:
        ``{"result": "deleted ...", "reminder_id", "title"}``.

    Raises:
        NotFound: an id that is not one of the user's reminders.
    """
    reminder_id = parse_row_id(arguments.reminder_id, reminders.NOT_FOUND)

    def run(session: Session) -> dict[str, Any]:
        user = acting_user(session, context)
        title = reminders.get_reminder(session=session, user=user, reminder_id=reminder_id).title
        reminders.delete_reminder(session=session, user=user, reminder_id=reminder_id)
        return {"result": "deleted: it will not fire again and is gone from the Reminders page",
                "reminder_id": str(reminder_id), "title": title}

    return await in_session(run)


SCHEDULE_REMINDER = Tool(ToolSpec(
    name="schedule_reminder",
    description="Schedule a reminder (a notification in the app) for the user: once at a date and time, or "
                "repeating (daily, weekdays, weekly on chosen days, monthly, every N hours within a daily window, "
                "or an RRULE), in the user's time zone unless they name another; 08:00 stays 08:00 local when "
                "the clocks change. Tell the user the schedule and the first times it returns.",
    arguments=ScheduleReminderArguments), schedule_reminder)
LIST_REMINDERS = Tool(ToolSpec(
    name="list_reminders",
    description="List the user's reminders with their ids, schedules and next times (local, with UTC offset).",
    arguments=ListRemindersArguments), list_reminders)
CANCEL_REMINDER = Tool(ToolSpec(
    name="cancel_reminder",
    description="Cancel one of the user's reminders by its reminder_id: it is deleted and will not fire again. "
                "Only when the user asks to stop or remove a reminder.",
    arguments=CancelReminderArguments), cancel_reminder)

REMINDER_TOOLS = [SCHEDULE_REMINDER, LIST_REMINDERS, CANCEL_REMINDER]

"""A user's reminders: create, edit, pause, resume, snooze, delete, read.

Every write keeps ``next_occurrence_at`` (the upcoming occurrence, UTC) and ``next_fire_at`` (when it fires:
later when snoozed) in step with the schedule (both None when paused or ended), signals the worker's
scheduler (:func:`~assistant.services.scheduler.signals.signal_scheduler`, sent on commit) and publishes a
``reminder`` event (``{"reminder_id": "<uuid>", "action": "created" | "updated" | "paused" | "resumed" |
"snoozed" | "deleted"}``) to the user's open tabs. Another user's reminder is
"not found", exactly like a missing one. Nothing is stored when a check fails.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case
from sqlmodel import Session, col, select

from assistant.core import events
from assistant.core.errors import InvalidInput, NotFound
from assistant.models import Task, User
from assistant.models.base import utcnow
from assistant.models.reminder import (
    MAX_REMINDER_NOTE_CHARS,
    MAX_REMINDER_TITLE_CHARS,
    Channel,
    Recurrence,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from assistant.services.scheduler.recurrence import (
    build_rule,
    check_timezone,
    first_occurrence,
    occurrence_after,
    occurrences,
)
from assistant.services.scheduler.signals import signal_scheduler

NOT_FOUND = "reminders.not_found"
#: The bus topic of reminder changes.
TOPIC = "reminder"
#: The channels a reminder may name (beyond the user's delivery rules for its type; each is used only where the
#: user can be reached: :mod:`assistant.services.notifications.delivery`).
ALLOWED_CHANNELS = tuple(channel.value for channel in Channel)
#: The most occurrences a series may be given (``count``).
MAX_COUNT = 10_000
#: A snooze postpones the upcoming occurrence by this many minutes at least and at most.
SNOOZE_MIN_MINUTES = 1
SNOOZE_MAX_MINUTES = 1_440
#: An unacknowledged occurrence escalates after this many minutes at least and at most (the column's check).
ESCALATION_MIN_MINUTES, ESCALATION_MAX_MINUTES = 1, 1_440
#: The years a reminder's start may fall in.
FIRST_YEAR, LAST_YEAR = 1970, 2200
#: Rows returned by :func:`list_reminders` at most.
LIST_LIMIT = 1_000


@dataclass(frozen=True)
class ReminderInput:
    """What a reminder form or tool gives (dates and times may be ISO 8601 text, as forms send them).

    ``starts_at``: the first occurrence as a local wall-clock time in ``timezone`` (an offset, if given, is
    converted into that zone; seconds are dropped); ``timezone``: an IANA name, None for the user's;
    ``recurrence`` and its parameters as :func:`~assistant.services.scheduler.recurrence.build_rule` takes
    them (``weekdays`` 0 = Monday; ``interval_hours`` with ``window_start``/``window_end``; ``rrule`` text);
    ``until_date`` (last local day, inclusive) or ``count`` end a series (ignored for a one-time reminder);
    ``channels``: where it goes besides the user's rules for its type (``in_app``, ``email``, ``telegram``);
    ``task_id``: one of the user's tasks; ``escalate_after_minutes``:
    minutes (1 to 1,440, an integer or its text) after which an unacknowledged occurrence is sent again on the
    next channel, None or ``""`` for never.
    """

    title: str
    starts_at: datetime | str
    note: str = ""
    kind: str = ReminderKind.GENERAL.value
    timezone: str | None = None
    recurrence: str = Recurrence.ONCE.value
    weekdays: list[int] | None = None
    interval_hours: int | None = None
    window_start: time | str | None = None
    window_end: time | str | None = None
    rrule: str | None = None
    until_date: date | str | None = None
    count: int | None = None
    channels: list[str] = field(default_factory=lambda: [Channel.IN_APP.value])
    task_id: uuid.UUID | None = None
    escalate_after_minutes: int | str | None = None


def _escalation(value: int | str | None) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        minutes = int(value.strip()) if isinstance(value, str) else value
    except ValueError:
        raise InvalidInput("delivery.escalation_invalid", max=ESCALATION_MAX_MINUTES) from None
    if (isinstance(minutes, bool) or not isinstance(minutes, int)
            or not ESCALATION_MIN_MINUTES <= minutes <= ESCALATION_MAX_MINUTES):
        raise InvalidInput("delivery.escalation_invalid", max=ESCALATION_MAX_MINUTES)
    return minutes


def _text(value: str, *, required: str | None, too_long: str, limit: int) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidInput(required)
    if len(value) > limit:
        raise InvalidInput(too_long, max_length=limit, length=len(value))
    return value


def _choice(value: str, allowed: type[ReminderKind] | type[Recurrence], code: str) -> str:
    if value not in {member.value for member in allowed}:
        raise InvalidInput(code)
    return value


def _start(value: datetime | str, zone: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput("reminders.start_invalid", value=value) from None
    if value.tzinfo is not None:
        value = value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise InvalidInput("reminders.start_invalid", value=value.isoformat())
    return value.replace(second=0, microsecond=0)


def _time(value: time | str | None) -> time | None:
    if value is None or isinstance(value, time):
        return value
    try:
        return time.fromisoformat(value.strip()).replace(second=0, microsecond=0, tzinfo=None)
    except ValueError:
        raise InvalidInput("reminders.window_invalid") from None


def _date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("reminders.until_invalid", value=value) from None


def _channels(channels: list[str]) -> list[str]:
    chosen = list(dict.fromkeys(channels))
    if not chosen or any(channel not in ALLOWED_CHANNELS for channel in chosen):
        raise InvalidInput("reminders.channel_unsupported")
    return chosen


def _check_task(session: Session, user: User, task_id: uuid.UUID | None) -> uuid.UUID | None:
    if task_id is None:
        return None
    task = session.get(Task, task_id)
    if task is None or task.user_id != user.id:
        raise NotFound("reminders.task_not_found")
    return task_id


def _fields(session: Session, user: User, data: ReminderInput) -> dict[str, Any]:
    """The checked column values of ``data`` (without the next occurrence and status).

    Raises:
        InvalidInput: a translated reason (``reminders.*``, ``auth.timezone_invalid``). NotFound: the task.
    """
    title = _text(data.title, required="reminders.title_required", too_long="reminders.title_too_long",
                  limit=MAX_REMINDER_TITLE_CHARS)
    note = _text(data.note, required=None, too_long="reminders.note_too_long", limit=MAX_REMINDER_NOTE_CHARS)
    kind = _choice(data.kind, ReminderKind, "reminders.kind_invalid")
    zone = check_timezone((data.timezone or "").strip() or user.timezone)
    recurrence = _choice(data.recurrence, Recurrence, "reminders.recurrence_invalid")
    starts_at = _start(data.starts_at, zone)
    rule = build_rule(Recurrence(recurrence), weekdays=data.weekdays, interval_hours=data.interval_hours,
                      window_start=_time(data.window_start), window_end=_time(data.window_end), rrule=data.rrule,
                      month_day=starts_at.day)
    until_date, count = (_date(data.until_date), data.count) if rule is not None else (None, None)
    if count is not None and not 1 <= count <= MAX_COUNT:
        raise InvalidInput("reminders.count_invalid", max=MAX_COUNT)
    if until_date is not None and until_date < starts_at.date():
        raise InvalidInput("reminders.until_before_start")
    if first_occurrence(starts_at=starts_at, timezone=zone, rule=rule, until_date=until_date, count=count) is None:
        raise InvalidInput("reminders.never_occurs")
    return {"title": title, "note": note, "kind": kind, "timezone": zone, "starts_at": starts_at,
            "recurrence": recurrence, "rrule": rule, "until_date": until_date, "count": count,
            "channels": _channels(data.channels), "task_id": _check_task(session, user, data.task_id),
            "escalate_after_minutes": _escalation(data.escalate_after_minutes)}


def _schedule_key(values: Reminder | dict[str, Any]) -> tuple[Any, ...]:
    names = ("timezone", "starts_at", "rrule", "until_date", "count")
    if isinstance(values, Reminder):
        return tuple(getattr(values, name) for name in names)
    return tuple(values[name] for name in names)


def _set_next(reminder: Reminder, upcoming: datetime | None) -> None:
    reminder.next_occurrence_at = reminder.next_fire_at = upcoming


def _no_future(reminder: Reminder) -> InvalidInput:
    if reminder.rrule is None:
        return InvalidInput("reminders.in_past", time=reminder.starts_at.isoformat(sep=" ", timespec="minutes"),
                            timezone=reminder.timezone)
    return InvalidInput("reminders.no_future_occurrence")


def _announce(session: Session, user: User, reminder_id: uuid.UUID, action: str) -> None:
    """Signal the scheduler and tell the user's tabs (both sent when the transaction commits)."""
    signal_scheduler(session, "reminder", reminder_id)
    events.publish([user.id], TOPIC, {"reminder_id": str(reminder_id), "action": action}, session=session)


def _changed(session: Session, user: User, reminder: Reminder, action: str) -> Reminder:
    session.add(reminder)
    session.flush()
    _announce(session, user, reminder.id, action)
    return reminder


def get_reminder(*, session: Session, user: User, reminder_id: uuid.UUID) -> Reminder:
    """``user``'s reminder ``reminder_id``.

    Raises:
        NotFound: ``reminders.not_found`` for a missing id or another user's.
    """
    reminder = session.get(Reminder, reminder_id)
    if reminder is None or reminder.user_id != user.id:
        raise NotFound(NOT_FOUND)
    return reminder


def list_reminders(*, session: Session, user: User, status: ReminderStatus | str | None = None) -> list[Reminder]:
    """``user``'s reminders (of one ``status`` if given): active ones first by next fire time, then paused,
    then ended, newest first within each; at most :data:`LIST_LIMIT`.

    Raises:
        InvalidInput: ``reminders.status_invalid`` for an unknown status.
    """
    query = select(Reminder).where(Reminder.user_id == user.id)
    if status is not None:
        if status not in {member.value for member in ReminderStatus}:
            raise InvalidInput("reminders.status_invalid")
        query = query.where(Reminder.status == str(status))
    rank = case({ReminderStatus.ACTIVE.value: 0, ReminderStatus.PAUSED.value: 1}, value=col(Reminder.status),
                else_=2)
    query = query.order_by(rank, col(Reminder.next_fire_at).asc().nulls_last(), col(Reminder.created_at).desc())
    return list(session.exec(query.limit(LIST_LIMIT)).all())


def create_reminder(*, session: Session, user: User, data: ReminderInput) -> Reminder:
    """Store a new active reminder of ``user`` with its next occurrence (UTC) computed from now.

    Returns:
        The flushed row (``id``, ``next_occurrence_at`` = ``next_fire_at`` set).

    Raises:
        InvalidInput: empty or over-long title (``reminders.title_required``/``title_too_long``,
            ``max_length``), over-long note (``reminders.note_too_long``), unknown kind, recurrence or time
            zone, a bad start, window, rule, end date or count, an unsupported channel, an escalation that is
            not 1 to 1,440 minutes (``delivery.escalation_invalid``), a one-time reminder
            in the past (``reminders.in_past``), a series with no occurrence after now
            (``reminders.no_future_occurrence``) or none at all (``reminders.never_occurs``).
        NotFound: ``reminders.task_not_found`` for a task that is not the user's.
    """
    reminder = Reminder(user_id=user.id, **_fields(session, user, data))
    upcoming = occurrence_after(reminder, utcnow())
    if upcoming is None:
        raise _no_future(reminder)
    _set_next(reminder, upcoming)
    return _changed(session, user, reminder, "created")


def update_reminder(*, session: Session, user: User, reminder_id: uuid.UUID, data: ReminderInput) -> Reminder:
    """Replace ``user``'s reminder with ``data`` (every field) and compute its next occurrence from now; a
    snooze is dropped. A paused reminder stays paused. An ended one becomes active again when the new
    schedule has an occurrence after now; one whose unchanged schedule has none (a one-time reminder that
    fired, its title edited) stays ended.

    Raises:
        NotFound: ``reminders.not_found`` (missing or another user's), ``reminders.task_not_found``.
        InvalidInput: as :func:`create_reminder`.
    """
    reminder = get_reminder(session=session, user=user, reminder_id=reminder_id)
    values = _fields(session, user, data)
    unchanged_schedule = _schedule_key(values) == _schedule_key(reminder)
    candidate = Reminder(user_id=user.id, **values)
    upcoming = occurrence_after(candidate, utcnow())
    if upcoming is None and not unchanged_schedule:
        raise _no_future(candidate)
    for name, value in values.items():
        setattr(reminder, name, value)
    if reminder.status == ReminderStatus.PAUSED:
        _set_next(reminder, None)
    else:
        reminder.status = (ReminderStatus.ACTIVE if upcoming is not None else ReminderStatus.ENDED).value
        _set_next(reminder, upcoming)
    return _changed(session, user, reminder, "updated")


def pause_reminder(*, session: Session, user: User, reminder_id: uuid.UUID) -> Reminder:
    """Pause an active reminder (no occurrence fires until resumed; a snooze is dropped). Pausing a paused
    one changes nothing.

    Raises:
        NotFound: ``reminders.not_found``. InvalidInput: ``reminders.ended`` for an ended reminder.
    """
    reminder = get_reminder(session=session, user=user, reminder_id=reminder_id)
    if reminder.status == ReminderStatus.ENDED:
        raise InvalidInput("reminders.ended")
    if reminder.status == ReminderStatus.PAUSED:
        return reminder
    reminder.status = ReminderStatus.PAUSED.value
    _set_next(reminder, None)
    return _changed(session, user, reminder, "paused")


def resume_reminder(*, session: Session, user: User, reminder_id: uuid.UUID) -> Reminder:
    """Resume a paused reminder from its next occurrence after now (the ones while it was paused do not
    fire). A one-time reminder whose time passed meanwhile ends instead. Resuming an active one changes
    nothing.

    Raises:
        NotFound: ``reminders.not_found``. InvalidInput: ``reminders.ended`` for an ended reminder.
    """
    reminder = get_reminder(session=session, user=user, reminder_id=reminder_id)
    if reminder.status == ReminderStatus.ENDED:
        raise InvalidInput("reminders.ended")
    if reminder.status == ReminderStatus.ACTIVE:
        return reminder
    upcoming = occurrence_after(reminder, utcnow())
    reminder.status = (ReminderStatus.ACTIVE if upcoming is not None else ReminderStatus.ENDED).value
    _set_next(reminder, upcoming)
    return _changed(session, user, reminder, "resumed")


def check_snooze_minutes(minutes: object) -> int:
    """``minutes`` as a snooze length (of a reminder or of one of its notifications): a whole number from
    :data:`SNOOZE_MIN_MINUTES` to :data:`SNOOZE_MAX_MINUTES`, given as an integer or as text of one (a form).

    Raises:
        InvalidInput: ``reminders.snooze_invalid`` (``min``, ``max``).
    """
    error = InvalidInput("reminders.snooze_invalid", min=SNOOZE_MIN_MINUTES, max=SNOOZE_MAX_MINUTES)
    if isinstance(minutes, bool) or not isinstance(minutes, (int, str)):
        raise error
    try:
        value = int(minutes)
    except ValueError:
        raise error from None
    if not SNOOZE_MIN_MINUTES <= value <= SNOOZE_MAX_MINUTES:
        raise error
    return value


def snooze_reminder(*, session: Session, user: User, reminder_id: uuid.UUID, minutes: int | str) -> Reminder:
    """Postpone the upcoming occurrence of an active reminder by ``minutes`` from its fire time (or from
    now, if that has passed): ``next_fire_at`` moves later, ``next_occurrence_at`` stays (the occurrence
    keeps its identity). Snoozing again postpones further.

    Raises:
        NotFound: ``reminders.not_found``.
        InvalidInput: ``reminders.snooze_invalid``; ``reminders.not_active`` (paused or ended);
            ``reminders.snooze_past_next`` when the new time would reach the following occurrence.
    """
    length = timedelta(minutes=check_snooze_minutes(minutes))
    reminder = get_reminder(session=session, user=user, reminder_id=reminder_id)
    if reminder.status != ReminderStatus.ACTIVE or reminder.next_occurrence_at is None:
        raise InvalidInput("reminders.not_active")
    fire_at = max(reminder.next_fire_at or reminder.next_occurrence_at, utcnow()) + length
    following = occurrences(starts_at=reminder.starts_at, timezone=reminder.timezone, rule=reminder.rrule,
                            until_date=reminder.until_date, count=reminder.count,
                            after=reminder.next_occurrence_at, limit=1)
    if following and fire_at >= following[0]:
        raise InvalidInput("reminders.snooze_past_next")
    reminder.next_fire_at = fire_at
    return _changed(session, user, reminder, "snoozed")


def delete_reminder(*, session: Session, user: User, reminder_id: uuid.UUID) -> None:
    """Delete ``user``'s reminder and its notifications (the worker drops its job on the signal).

    Raises:
        NotFound: ``reminders.not_found``.
    """
    reminder = get_reminder(session=session, user=user, reminder_id=reminder_id)
    session.delete(reminder)
    session.flush()
    _announce(session, user, reminder_id, "deleted")

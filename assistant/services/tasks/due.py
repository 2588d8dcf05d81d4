"""When a task is due: a day, or a day and a time, on the user's wall clock, stored as one UTC moment.

A timed due ``(day, time)`` is the moment that wall-clock time happens in the user's IANA time zone
(``users.timezone``); ``tasks.due_at`` stores it in UTC. A time the clocks skip (02:30 on the night summer
time starts in Europe/Berlin) is read with the offset from before the change, so it is due at 03:30 on the
wall clock; a time the clocks repeat (02:30 on the night summer time ends) is the first of the two.

An all-day due (``tasks.due_all_day``) is stored as noon of that day in the user's zone: only its date
counts, and noon keeps the date if the user later moves up to 11 hours east or west.

Times are kept to the minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant.core.errors import InvalidInput

#: The local hour an all-day due is stored at.
ALL_DAY_HOUR = 12
#: How far the "week" filter reaches, from the start of today (today and the next 6 days).
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Due:
    """A due date on the user's wall clock, with a time of day (minutes) or without (``time`` None: all day)."""

    day: date
    time: time | None = None


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; UTC for an unknown one (a user's zone is checked when it is saved)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _day(value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("tasks.bad_date", value=value) from None


def _time(value: time | str) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        return time.fromisoformat(value.strip()).replace(second=0, microsecond=0, tzinfo=None)
    except ValueError:
        raise InvalidInput("tasks.bad_time", value=value) from None


def parse_due(day: date | str | None, at: time | str | None = None) -> Due | None:
    """A due from a date (``YYYY-MM-DD``) and an optional time of day (``HH:MM``), as a form sends them.

    Returns:
        None when ``day`` is None or blank (no due date).

    Raises:
        InvalidInput: ``tasks.bad_date``, ``tasks.bad_time``; ``tasks.time_without_date`` for a time
            without a date.
    """
    blank_time = at is None or (isinstance(at, str) and not at.strip())
    if day is None or (isinstance(day, str) and not day.strip()):
        if not blank_time:
            raise InvalidInput("tasks.time_without_date")
        return None
    return Due(_day(day), None if blank_time or at is None else _time(at))


def parse_due_text(text: str, timezone: str) -> Due:
    """A due from one ISO 8601 value, as the assistant gives it: ``2026-03-05`` (all day),
    ``2026-03-05T09:30`` (the user's local time) or ``2026-03-05T09:30+01:00`` (that moment, shown on the
    user's clock in ``timezone``).

    Raises:
        InvalidInput: ``tasks.bad_due`` for anything else.
    """
    value = text.strip()
    if len(value) == 10:
        try:
            return Due(date.fromisoformat(value))
        except ValueError:
            pass
    else:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None:
            if moment.tzinfo is not None:
                moment = moment.astimezone(zone(timezone))
            return Due(moment.date(), moment.time().replace(second=0, microsecond=0, tzinfo=None))
    raise InvalidInput("tasks.bad_due", value=text)


def to_stored(due: Due | None, timezone: str) -> tuple[datetime | None, bool]:
    """``(due_at in UTC, due_all_day)`` for ``due`` on the wall clock of ``timezone``; ``(None, False)`` for
    no due date."""
    if due is None:
        return None, False
    local = datetime.combine(due.day, due.time or time(ALL_DAY_HOUR), tzinfo=zone(timezone))
    return local.astimezone(UTC), due.time is None


def to_local(due_at: datetime | None, all_day: bool, timezone: str) -> Due | None:
    """The stored due as the user's wall clock in ``timezone`` shows it (None: no due date)."""
    if due_at is None:
        return None
    local = due_at.astimezone(zone(timezone))
    return Due(local.date(), None if all_day else local.time().replace(second=0, microsecond=0))


def day_start(day: date, timezone: str) -> datetime:
    """The UTC moment local ``day`` begins in ``timezone``."""
    return datetime.combine(day, time(0), tzinfo=zone(timezone)).astimezone(UTC)


def today(now: datetime, timezone: str) -> date:
    """The user's local date at the moment ``now``."""
    return now.astimezone(zone(timezone)).date()


def is_overdue(due_at: datetime | None, all_day: bool, now: datetime, timezone: str) -> bool:
    """Whether a due has passed at ``now``: a timed one once its moment passed, an all-day one once its
    local day ended."""
    if due_at is None:
        return False
    if all_day:
        return due_at < day_start(today(now, timezone), timezone)
    return due_at < now


def iso_local(due_at: datetime | None, all_day: bool, timezone: str) -> str | None:
    """The due as the assistant reads it: ``2026-03-05`` (all day) or ``2026-03-05T09:30+01:00`` (local time
    with its offset); None for no due date."""
    if due_at is None:
        return None
    local = due_at.astimezone(zone(timezone))
    return local.date().isoformat() if all_day else local.isoformat(timespec="minutes")

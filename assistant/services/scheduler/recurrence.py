"""Recurrence in local time: the RRULE of each preset and the occurrences of a reminder, as UTC instants.

Pure functions, no database. A reminder's schedule is its first local wall-clock time ``starts_at`` (naive,
RRULE's DTSTART) in an IANA ``timezone``, an RFC 5545 RRULE without DTSTART (None for a one-time reminder),
and optionally the last local day (``until_date``, inclusive) or the number of occurrences (``count``,
counted from the first occurrence of the series).

Occurrences are expanded in local naive time (so 08:00 stays 08:00 across daylight-saving changes, and the
UTC instant moves instead), then placed in the zone as RFC 5545 §3.3.5 says:

* a local time that occurs twice (the autumn change) means the first of the two (``fold=0``): 01:30 in
  New York on the fall-back day is 01:30 EDT = 05:30 UTC;
* a local time that does not exist (the spring gap) is read with the UTC offset before the gap: 02:30 in
  Berlin on the spring-forward day is 02:30+01:00 = 01:30 UTC = 03:30 CEST. Two local times that land on
  the same instant this way (02:30 and 03:30 of an hourly rule) fire once.

Limits: at most :data:`MAX_OCCURRENCES_PER_DAY` occurrences in a local day (SECONDLY and MINUTELY rules are
refused outright), and a series must occur at least once (:func:`first_occurrence`). A rule that never
occurs makes dateutil search up to the year 9999 (it checks UNTIL only on a match), so such checks run on
the same dates moved forward by whole 400-year Gregorian cycles (the calendar repeats exactly, weekdays
and leap days included) to just before 9999: a few hundred years of search at most.
A series whose first time is not one of the rule's (a weekly rule on Mon/Thu starting on a Tuesday) begins
at the first matching time after ``starts_at``, as python-dateutil expands it.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, HOURLY, WEEKLY, rrule, rrulestr

from assistant.core.errors import InvalidInput
from assistant.models.reminder import Recurrence
from assistant.services.auth.profile import check_timezone as _check_profile_timezone

if TYPE_CHECKING:
    from assistant.models.reminder import Reminder

#: The most occurrences a rule may have in one local day (every 30 minutes); more is refused.
MAX_OCCURRENCES_PER_DAY = 48
#: The Gregorian calendar repeats every 400 years (146,097 days, a whole number of weeks).
_CYCLE_YEARS = 400
#: The latest year a probe starts in: dateutil stops searching after 9999.
_PROBE_LAST_YEAR = 9968
#: Weekday numbers (0 = Monday .. 6 = Sunday) as RRULE's BYDAY names.
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
#: The most characters of a user's RRULE text.
MAX_RRULE_CHARS = 500
#: Where a user's rule is tried out: the first day of 9968 (the calendar of 1968, a leap year), at midnight.
_PROBE_START = datetime(_PROBE_LAST_YEAR, 1, 1)
#: How many local days with occurrences of a user's rule are counted for the per-day cap.
_PROBE_DAYS = 3
#: The longest a local time can move when it falls into a gap (some zones moved their clocks by 2 hours).
_GAP_SLACK = timedelta(hours=3)
_RULE_PART = re.compile(r"^[A-Z]+=[A-Z0-9,+\-]+$")


def check_timezone(name: str) -> str:
    """``name`` if it is an IANA time zone (the same rule as the user's profile).

    Raises:
        InvalidInput: ``auth.timezone_invalid``.
    """
    return _check_profile_timezone(name)


def _weekly_rule(weekdays: list[int] | None) -> str:
    if not weekdays:
        return "FREQ=WEEKLY"
    if any(day not in range(7) for day in weekdays):
        raise InvalidInput("reminders.weekdays_invalid")
    return "FREQ=WEEKLY;BYDAY=" + ",".join(WEEKDAY_CODES[day] for day in sorted(set(weekdays)))


def _monthly_rule(month_day: int | None) -> str:
    if month_day is None or month_day <= 28:
        return "FREQ=MONTHLY"
    if month_day > 31:
        raise InvalidInput("reminders.month_day_invalid")
    days = ",".join(str(day) for day in range(28, month_day + 1))
    return f"FREQ=MONTHLY;BYMONTHDAY={days};BYSETPOS=-1"


def window_hours(interval_hours: int, window_start: time, window_end: time) -> list[int]:
    """The hours of an every-``interval_hours`` preset: from ``window_start``'s hour while the time (at
    ``window_start``'s minute) is not after ``window_end``: (2, 08:00, 20:00) -> [8, 10, ..., 20]."""
    hours = []
    hour = window_start.hour
    while hour < 24 and time(hour, window_start.minute) <= window_end:
        hours.append(hour)
        hour += interval_hours
    return hours


def _hourly_rule(interval_hours: int | None, window_start: time | None, window_end: time | None) -> str:
    if interval_hours is None or not 1 <= interval_hours <= 24:
        raise InvalidInput("reminders.interval_invalid")
    start = window_start or time(0, 0)
    end = window_end or time(23, 59)
    if end < start:
        raise InvalidInput("reminders.window_invalid")
    hours = ",".join(str(hour) for hour in window_hours(interval_hours, start, end))
    return f"FREQ=DAILY;BYHOUR={hours};BYMINUTE={start.minute};BYSECOND=0"


def _per_day_cap_exceeded(rule: rrule) -> bool:
    """Whether one of the first :data:`_PROBE_DAYS` local days with occurrences has more than the cap (every
    day of a rule repeats the same times of day, give or take one of an HOURLY rule's steps)."""
    days: Counter[date] = Counter()
    for occurrence in rule:
        day = occurrence.date()
        days[day] += 1
        if days[day] > MAX_OCCURRENCES_PER_DAY:
            return True
        if len(days) > _PROBE_DAYS:
            return False
    return False


def _parse(text: str, dtstart: datetime) -> rrule:
    """``text`` (an RRULE without DTSTART, UNTIL or COUNT) as a dateutil rule from ``dtstart``.

    Raises:
        InvalidInput: ``reminders.rrule_invalid`` (``detail``: dateutil's reason, in English).
    """
    try:
        rule = rrulestr(text, dtstart=dtstart)
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        raise InvalidInput("reminders.rrule_invalid", detail=str(exc) or "?") from exc
    if not isinstance(rule, rrule):
        raise InvalidInput("reminders.rrule_invalid", detail="one RRULE only")
    return rule


def validate_rrule(text: str) -> str:
    """A user's RRULE text, normalised (upper case, an ``RRULE:`` prefix removed), if this product runs it.

    Refused (InvalidInput): more than :data:`MAX_RRULE_CHARS` characters or not ``NAME=VALUE`` parts
    (``reminders.rrule_invalid``), a DTSTART (``reminders.rrule_dtstart``: the start is a field of its own),
    UNTIL or COUNT (``reminders.rrule_has_end``: end date and count are fields of their own), SECONDLY or
    MINUTELY (``reminders.too_frequent``), more than :data:`MAX_OCCURRENCES_PER_DAY` in a day
    (``reminders.too_frequent``, ``limit``), what dateutil cannot parse (``reminders.rrule_invalid``) and a
    rule that never occurs from the first of January of a leap year on (``reminders.never_occurs``) within
    31 years (a whole 28-year cycle of weekdays and leap days).
    """
    normalised = text.strip().upper()
    if "DTSTART" in normalised:
        raise InvalidInput("reminders.rrule_dtstart")
    normalised = normalised.removeprefix("RRULE:").strip().rstrip(";")
    parts = normalised.split(";")
    if not normalised or len(normalised) > MAX_RRULE_CHARS or not all(_RULE_PART.match(part) for part in parts):
        raise InvalidInput("reminders.rrule_invalid", detail="expected NAME=VALUE parts such as FREQ=DAILY")
    params = dict(part.split("=", 1) for part in parts)
    if params.keys() & {"UNTIL", "COUNT"}:
        raise InvalidInput("reminders.rrule_has_end")
    if params.get("FREQ") in ("SECONDLY", "MINUTELY"):
        raise InvalidInput("reminders.too_frequent", limit=MAX_OCCURRENCES_PER_DAY)
    if not params.get("INTERVAL", "1").isdigit() or int(params.get("INTERVAL", "1")) < 1:
        raise InvalidInput("reminders.rrule_invalid", detail="INTERVAL must be a whole number, 1 or more")
    rule = _parse(normalised, _PROBE_START)
    if next(iter(rule), None) is None:
        raise InvalidInput("reminders.never_occurs")
    if _per_day_cap_exceeded(rule):
        raise InvalidInput("reminders.too_frequent", limit=MAX_OCCURRENCES_PER_DAY)
    return normalised


def build_rule(recurrence: Recurrence, *, weekdays: list[int] | None = None, interval_hours: int | None = None,
               window_start: time | None = None, window_end: time | None = None, rrule: str | None = None,
               month_day: int | None = None) -> str | None:
    """The RFC 5545 RRULE text (without DTSTART) of a preset, or None for :attr:`Recurrence.ONCE`.

    * ``daily``: ``FREQ=DAILY``; ``weekdays``: ``FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR``;
    * ``weekly``: on ``weekdays`` (0 = Monday .. 6 = Sunday): ``FREQ=WEEKLY;BYDAY=MO,TH``; none given: the
      start's weekday (``FREQ=WEEKLY``);
    * ``monthly``: on the start's day of the month. ``month_day`` (the start's day) from 29 to 31 makes it
      "that day, or the month's last day when the month is shorter": the 31st fires on Feb 28/29, Apr 30...
      (``FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1``); without ``month_day`` such months are skipped
      (RFC 5545's rule for invalid dates);
    * ``hourly``: every ``interval_hours`` (1-24) hours from ``window_start`` while not after ``window_end``
      (defaults 00:00 and 23:59), at ``window_start``'s minute: 2, 08:00-20:00 ->
      ``FREQ=DAILY;BYHOUR=8,10,12,14,16,18,20;BYMINUTE=0;BYSECOND=0``;
    * ``rrule``: the user's ``rrule`` text, checked by :func:`validate_rrule`.

    Raises:
        InvalidInput: ``reminders.weekdays_invalid`` (a day outside 0-6), ``reminders.month_day_invalid``,
            ``reminders.interval_invalid``, ``reminders.window_invalid`` (ends before it starts),
            ``reminders.rrule_required`` and those of :func:`validate_rrule`.
    """
    match recurrence:
        case Recurrence.ONCE:
            return None
        case Recurrence.DAILY:
            return "FREQ=DAILY"
        case Recurrence.WEEKDAYS:
            return "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
        case Recurrence.WEEKLY:
            return _weekly_rule(weekdays)
        case Recurrence.MONTHLY:
            return _monthly_rule(month_day)
        case Recurrence.HOURLY:
            return _hourly_rule(interval_hours, window_start, window_end)
        case Recurrence.RRULE:
            if not rrule or not rrule.strip():
                raise InvalidInput("reminders.rrule_required")
            return validate_rrule(rrule)
    raise InvalidInput("reminders.recurrence_invalid")


def to_utc(local: datetime, timezone: str) -> datetime:
    """The UTC instant of the naive local wall-clock time ``local`` in ``timezone`` (module docstring:
    a repeated time is its first instance, a skipped one takes the offset before the gap)."""
    return local.replace(tzinfo=ZoneInfo(timezone), fold=0).astimezone(UTC)


def _shifted_start(rule: rrule, starts_at: datetime, before: datetime) -> datetime:
    """A later DTSTART giving the same occurrences from ``before`` on (whole periods of a DAILY, WEEKLY or
    HOURLY rule without COUNT), so a years-old series is not expanded from its beginning on every call."""
    freq, interval = rule._freq, rule._interval  # type: ignore[attr-defined]  # dateutil exposes no accessor
    step = {DAILY: timedelta(days=interval), WEEKLY: timedelta(weeks=interval),
            HOURLY: timedelta(hours=interval)}.get(freq)
    if step is None or before <= starts_at:
        return starts_at
    return starts_at + step * ((before - starts_at) // step)


def _cycles_to_probe(year: int) -> int:
    """How many 400-year cycles move ``year`` to just before :data:`_PROBE_LAST_YEAR` (0 if past it)."""
    return max(0, (_PROBE_LAST_YEAR - year) // _CYCLE_YEARS)


def _until(until_date: date | None) -> datetime | None:
    return datetime.combine(until_date, time.max) if until_date else None


def first_occurrence(*, starts_at: datetime, timezone: str, rule: str | None, until_date: date | None,
                     count: int | None) -> datetime | None:
    """The first occurrence of a series (aware UTC), wherever ``now`` is; None when it never occurs (a rule
    that matches no date from ``starts_at`` on, or none before ``until_date`` ends; ``count`` < 1).

    Arguments as :func:`occurrences`. Costs at most a few hundred years of dateutil's search (module
    docstring), about 0.2 s for the worst daily rule.

    Raises:
        InvalidInput: an unknown ``timezone`` or unparsable ``rule``.
    """
    zone_name = check_timezone(timezone)
    start = starts_at.replace(second=0, microsecond=0, tzinfo=None)
    if count is not None and count < 1:
        return None
    if rule is None:
        return to_utc(start, zone_name)
    shift = relativedelta(years=_CYCLE_YEARS * _cycles_to_probe(start.year))
    until = _until(until_date)
    probe = _parse(rule, start + shift).replace(until=until + shift if until else None)
    first = next(iter(probe), None)
    return None if first is None else to_utc(first - shift, zone_name)


def occurrences(*, starts_at: datetime, timezone: str, rule: str | None, until_date: date | None,
                count: int | None, after: datetime, limit: int) -> list[datetime]:
    """The next up to ``limit`` occurrences strictly after ``after`` (aware), as aware UTC datetimes, ascending.

    ``starts_at``: the naive local wall-clock time of the first occurrence (seconds are ignored); ``rule``:
    RRULE text without DTSTART (None: one-time, the only occurrence is ``starts_at``); ``until_date``: the
    last local day, inclusive; ``count``: the number of occurrences of the series from its start. The series
    must occur at all (:func:`first_occurrence`, checked when a reminder is written): for one that never
    does, this searches up to the year 9999 (seconds).

    Raises:
        InvalidInput: an unknown ``timezone`` (``auth.timezone_invalid``) or unparsable ``rule``.
    """
    zone_name = check_timezone(timezone)
    if limit <= 0:
        return []
    start = starts_at.replace(second=0, microsecond=0, tzinfo=None)
    if rule is None:
        first = to_utc(start, zone_name)
        return [first] if first > after else []
    after_local = after.astimezone(ZoneInfo(zone_name)).replace(tzinfo=None)
    parsed = _parse(rule, start)
    if count is None:
        parsed = parsed.replace(dtstart=_shifted_start(parsed, start, after_local - _GAP_SLACK))
    expanded = parsed.replace(until=_until(until_date))
    found: set[datetime] = set()
    enough_at: datetime | None = None
    for local in islice(expanded, count):
        if enough_at is not None and local > enough_at:
            break
        instant = to_utc(local, zone_name)
        if instant > after:
            found.add(instant)
            if enough_at is None and len(found) >= limit:
                enough_at = local + _GAP_SLACK
    return sorted(found)[:limit]


def next_occurrences(reminder: Reminder, *, after: datetime, limit: int) -> list[datetime]:
    """The next up to ``limit`` occurrences of ``reminder`` strictly after ``after`` (aware), in UTC.

    Raises:
        InvalidInput: the stored time zone or rule no longer parses.
    """
    return occurrences(starts_at=reminder.starts_at, timezone=reminder.timezone, rule=reminder.rrule,
                       until_date=reminder.until_date, count=reminder.count, after=after, limit=limit)


def occurrence_after(reminder: Reminder, after: datetime) -> datetime | None:
    """The first occurrence of ``reminder`` strictly after ``after`` (aware), in UTC; None when the series
    has ended (a one-time reminder past its time, past ``until_date`` or ``count``)."""
    found = next_occurrences(reminder, after=after, limit=1)
    return found[0] if found else None

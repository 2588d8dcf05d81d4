"""The date range an analytics view covers: whole days in the viewer's time zone, at most :data:`MAX_DAYS`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant.core.errors import InvalidInput

#: The longest range in days: a longer one is clamped to the last ``MAX_DAYS`` days before its end.
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end`` (both included) in time zone ``timezone`` (IANA name).

    ``clamped``: the range asked for was longer than :data:`MAX_DAYS` and ``start`` was moved forward.
    """

    start: date
    end: date
    timezone: str
    clamped: bool = False

    @property
    def days(self) -> int:
        """How many days the period covers (1 to :data:`MAX_DAYS`)."""
        return (self.end - self.start).days + 1

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """``(from, until)``, UTC instants: local midnight starting ``start`` and local midnight after ``end``."""
        zone = ZoneInfo(self.timezone)
        low = datetime.combine(self.start, time(0), zone).astimezone(UTC)
        high = datetime.combine(self.end + timedelta(days=1), time(0), zone).astimezone(UTC)
        return low, high

    def params(self) -> dict[str, object]:
        """The bind parameters every analytics query takes: ``lo``, ``hi`` (UTC), ``tz``, ``first``, ``last``."""
        low, high = self.bounds
        return {"lo": low, "hi": high, "tz": self.timezone, "first": self.start, "last": self.end}


def bounded_period(*, start: date, end: date, timezone: str) -> Period:
    """The period from ``start`` to ``end`` in ``timezone``, clamped to its last :data:`MAX_DAYS` days.

    Raises:
        InvalidInput: ``analytics.bad_range`` when ``end`` is before ``start``, ``analytics.bad_timezone`` for a
            name that is not an IANA time zone.
    """
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput("analytics.bad_timezone") from exc
    if end < start:
        raise InvalidInput("analytics.bad_range")
    if (end - start).days + 1 > MAX_DAYS:
        return Period(start=end - timedelta(days=MAX_DAYS - 1), end=end, timezone=timezone, clamped=True)
    return Period(start=start, end=end, timezone=timezone)


def parse_period(*, start: str, end: str, timezone: str) -> Period:
    """:func:`bounded_period` of two ISO dates (``YYYY-MM-DD``) as a form or a URL sends them.

    Raises:
        InvalidInput: ``analytics.bad_date`` for a malformed date; as :func:`bounded_period`.
    """
    try:
        first, last = date.fromisoformat(start.strip()), date.fromisoformat(end.strip())
    except ValueError as exc:
        raise InvalidInput("analytics.bad_date") from exc
    return bounded_period(start=first, end=last, timezone=timezone)


def last_days(days: int, *, timezone: str, today: date | None = None) -> Period:
    """The ``days`` days up to and including today in ``timezone`` (``today``: that day, for tests).

    Raises:
        InvalidInput: as :func:`bounded_period`.
    """
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput("analytics.bad_timezone") from exc
    end = today or datetime.now(zone).date()
    return bounded_period(start=end - timedelta(days=max(days, 1) - 1), end=end, timezone=timezone)

"""When a user's daily review is due: their local review time, every day, in their IANA time zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from assistant.core.errors import InvalidInput
from assistant.models import DeliveryPreferences, User
from assistant.services.scheduler.signals import signal_scheduler

#: The review time of a user who never chose one.
DEFAULT_REVIEW_TIME = time(8, 0)


def next_review_at(review_time: time, timezone: str, after: datetime) -> datetime:
    """The first moment strictly after ``after`` (aware) when the wall clock in ``timezone`` shows
    ``review_time``, in UTC.

    Local time as RFC 5545 §3.3.5 reads it: a time skipped by a DST change (02:30 on the spring-forward day)
    happens at the same offset as before the change (03:30 local); a repeated time (the autumn hour) takes its
    first occurrence.
    """
    zone = ZoneInfo(timezone)
    day = after.astimezone(zone).date()
    while True:
        # fold=0 gives a skipped time the offset before the change and a repeated time its first occurrence
        candidate = datetime.combine(day, review_time, tzinfo=zone).replace(fold=0).astimezone(UTC)
        if candidate > after:
            return candidate
        day += timedelta(days=1)


def review_schedule(*, session: Session, user: User) -> tuple[bool, time, datetime | None]:
    """``(enabled, local time, last review)`` of ``user``: their preferences, or on at 08:00 without a row."""
    prefs = session.get(DeliveryPreferences, user.id)
    if prefs is None:
        return True, DEFAULT_REVIEW_TIME, None
    return prefs.review_enabled, prefs.review_time, prefs.last_review_at


def save_review_schedule(*, session: Session, user: User, enabled: bool,
                         review_time: time | str) -> DeliveryPreferences:
    """Turn ``user``'s daily review on or off and set its local time (``"08:00"`` or a :class:`time`; seconds
    are dropped), and tell the worker's scheduler.

    Raises:
        InvalidInput: ``review.time_invalid`` for a time that is not ``HH:MM``; nothing changes.
    """
    if isinstance(review_time, str):
        try:
            review_time = time.fromisoformat(review_time.strip())
        except ValueError as exc:
            raise InvalidInput("review.time_invalid") from exc
    prefs = session.get(DeliveryPreferences, user.id, with_for_update=True) or DeliveryPreferences(user_id=user.id)
    prefs.review_enabled, prefs.review_time = bool(enabled), review_time.replace(second=0, microsecond=0)
    session.add(prefs)
    session.flush()
    signal_scheduler(session, "review", user.id)
    return prefs

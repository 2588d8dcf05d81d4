"""What the Reminders page and the reminder tools show: a reminder with its schedule in words, its next
occurrences in its own time zone, and its adherence (how often its occurrences were acknowledged, how late).
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import get_day_names
from sqlmodel import Session, col, select

from assistant.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, format_date, format_time, translate
from assistant.models import Notification, NotificationStatus, NotificationType, User
from assistant.models.base import utcnow
from assistant.models.reminder import Channel, Recurrence, Reminder, ReminderKind, ReminderStatus
from assistant.services.scheduler.recurrence import WEEKDAY_CODES, next_occurrences
from assistant.services.scheduler.reminders import get_reminder, list_reminders

#: How many next occurrences a view lists, and the days adherence looks back by default.
UPCOMING = 5
ADHERENCE_DAYS = 14


@dataclass(frozen=True)
class Adherence:
    """How a reminder's in-app notifications of the last ``days`` days went (occurrences up to now).

    ``occurrences``: those that fired or were recorded missed; ``acknowledged``: the user pressed Done/Taken;
    ``missed``: recorded missed (the scheduler was down beyond the grace window); the rest were not acted on
    (or are snoozed). ``median_minutes_late``: the median of acknowledgement time minus occurrence time over
    the acknowledged ones, in minutes (0 when acknowledged early), None when none was acknowledged.
    """

    days: int
    occurrences: int
    acknowledged: int
    missed: int
    median_minutes_late: float | None


@dataclass(frozen=True)
class ReminderView:
    """One reminder as shown. Times: ``starts_at`` naive local wall clock in ``timezone``;
    ``next_occurrences`` (up to :data:`UPCOMING`) and ``next_fire_at`` aware in ``timezone`` (``next_fire_at``
    later than the first occurrence when ``snoozed``; both empty/None when paused or ended). ``rule``: the
    RRULE text (None for once); ``schedule``: the schedule in words in the requested language; ``weekdays``
    (0 = Monday), ``interval_hours``, ``window_start``/``window_end``: the preset's parameters, to fill an
    edit form; ``adherence_text``: :attr:`adherence` in words."""

    id: uuid.UUID
    title: str
    note: str
    kind: str
    timezone: str
    recurrence: str
    rule: str | None
    starts_at: datetime
    until_date: date | None
    count: int | None
    channels: list[str]
    status: str
    schedule: str
    next_occurrences: list[datetime]
    next_fire_at: datetime | None
    snoozed: bool
    last_fired_at: datetime | None
    task_id: uuid.UUID | None
    weekdays: list[int]
    interval_hours: int | None
    window_start: time | None
    window_end: time | None
    adherence: Adherence
    adherence_text: str


def _rule_parts(rule: str | None) -> dict[str, str]:
    return dict(part.split("=", 1) for part in rule.split(";") if "=" in part) if rule else {}


def _weekdays(reminder: Reminder) -> list[int]:
    days = _rule_parts(reminder.rrule).get("BYDAY")
    if reminder.recurrence != Recurrence.WEEKLY:
        return []
    return [WEEKDAY_CODES.index(code) for code in days.split(",")] if days else [reminder.starts_at.weekday()]


def _window(reminder: Reminder) -> tuple[int | None, time | None, time | None]:
    """``(interval_hours, window_start, window_end)`` of an every-N-hours reminder, else Nones."""
    parts = _rule_parts(reminder.rrule)
    if reminder.recurrence != Recurrence.HOURLY or "BYHOUR" not in parts:
        return None, None, None
    hours = [int(hour) for hour in parts["BYHOUR"].split(",")]
    minute = int(parts.get("BYMINUTE", "0"))
    interval = hours[1] - hours[0] if len(hours) > 1 else 24
    return interval, time(hours[0], minute), time(hours[-1], minute)


def _language(language: str) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def describe_schedule(reminder: Reminder, language: str) -> str:
    """The schedule in words: "Every day at 8:00 AM", "Every week on Mon, Thu at 9:00 AM, until Jun 30,
    2025", "Every 2 hours from 8:00 AM to 8:00 PM, 10 times", "Once, Jun 1, 2025 at 8:00 AM" (times in the
    reminder's own zone, the language's formats)."""
    language = _language(language)
    local = reminder.starts_at.replace(tzinfo=ZoneInfo(reminder.timezone))
    at = format_time(local, language, reminder.timezone)
    match reminder.recurrence:
        case Recurrence.ONCE:
            return translate("reminders.schedule.once", language, date=format_date(local.date(), language), time=at)
        case Recurrence.DAILY | Recurrence.WEEKDAYS:
            text = translate(f"reminders.schedule.{reminder.recurrence}", language, time=at)
        case Recurrence.WEEKLY:
            names = get_day_names("abbreviated", locale=Locale.parse(language))
            days = ", ".join(str(names[day]) for day in _weekdays(reminder))
            text = translate("reminders.schedule.weekly", language, days=days, time=at)
        case Recurrence.MONTHLY:
            key = "reminders.schedule.monthly_last" if reminder.starts_at.day > 28 else "reminders.schedule.monthly"
            text = translate(key, language, day=reminder.starts_at.day, time=at)
        case Recurrence.HOURLY:
            interval, start, end = _window(reminder)
            day = reminder.starts_at.date()
            text = translate("reminders.schedule.hourly", language, hours=interval or 24,
                             start=format_time(datetime.combine(day, start or time(0), local.tzinfo), language,
                                               reminder.timezone),
                             end=format_time(datetime.combine(day, end or time(0), local.tzinfo), language,
                                             reminder.timezone))
        case _:
            text = translate("reminders.schedule.rrule", language, rule=reminder.rrule or "", time=at)
    if reminder.until_date is not None:
        return translate("reminders.schedule.until", language, schedule=text,
                         date=format_date(reminder.until_date, language))
    if reminder.count is not None:
        return translate("reminders.schedule.count", language, schedule=text, count=reminder.count)
    return text


def adherence_by_reminder(*, session: Session, user: User, reminder_ids: Iterable[uuid.UUID],
                          days: int = ADHERENCE_DAYS) -> dict[uuid.UUID, Adherence]:
    """:class:`Adherence` of each of ``user``'s reminders in ``reminder_ids`` over the last ``days`` days, from
    their in-app reminder notifications (one query). Ids of other users' reminders get an empty one."""
    ids = list(reminder_ids)
    now = utcnow()
    rows = session.exec(select(Notification).where(
        Notification.user_id == user.id, col(Notification.reminder_id).in_(ids),
        Notification.channel == Channel.IN_APP.value, Notification.type == NotificationType.REMINDER.value,
        col(Notification.occurrence_at) >= now - timedelta(days=days), col(Notification.occurrence_at) <= now,
    )).all() if ids else []
    grouped: dict[uuid.UUID, list[Notification]] = defaultdict(list)
    for row in rows:
        if row.reminder_id is not None:
            grouped[row.reminder_id].append(row)
    result = {}
    for reminder_id in ids:
        found = grouped.get(reminder_id, [])
        late = [max(0.0, (row.acknowledged_at - row.occurrence_at).total_seconds() / 60) for row in found
                if row.status == NotificationStatus.ACKNOWLEDGED and row.acknowledged_at and row.occurrence_at]
        result[reminder_id] = Adherence(
            days=days, occurrences=len(found),
            acknowledged=sum(row.status == NotificationStatus.ACKNOWLEDGED for row in found),
            missed=sum(row.status == NotificationStatus.MISSED for row in found),
            median_minutes_late=round(statistics.median(late), 1) if late else None)
    return result


def adherence(*, session: Session, user: User, reminder_id: uuid.UUID, days: int = ADHERENCE_DAYS) -> Adherence:
    """:class:`Adherence` of ``user``'s reminder over the last ``days`` days.

    Raises:
        NotFound: ``reminders.not_found`` (missing or another user's).
    """
    get_reminder(session=session, user=user, reminder_id=reminder_id)
    return adherence_by_reminder(session=session, user=user, reminder_ids=[reminder_id], days=days)[reminder_id]


def describe_adherence(value: Adherence, kind: str, language: str) -> str:
    """``value`` in words: "Taken 12 of 14, median 8 min late, 1 missed (last 14 days)" (a medication says
    Taken, others Done); "No occurrences in the last 14 days" when none fired."""
    language = _language(language)
    if value.occurrences == 0:
        return translate("reminders.adherence.none", language, days=value.days)
    key = "reminders.adherence.taken" if kind == ReminderKind.MEDICATION else "reminders.adherence.done"
    parts = [translate(key, language, acknowledged=value.acknowledged, total=value.occurrences)]
    if value.median_minutes_late is not None:
        parts.append(translate("reminders.adherence.late", language, minutes=value.median_minutes_late))
    if value.missed:
        parts.append(translate("reminders.adherence.missed", language, missed=value.missed))
    return translate("reminders.adherence.summary", language, parts=", ".join(parts), days=value.days)


def _view(reminder: Reminder, adherence_value: Adherence, language: str, upcoming: int) -> ReminderView:
    zone = ZoneInfo(reminder.timezone)
    active = reminder.status == ReminderStatus.ACTIVE and reminder.next_occurrence_at is not None
    upcoming_at: list[datetime] = []
    if active and reminder.next_occurrence_at is not None:
        upcoming_at = [reminder.next_occurrence_at, *next_occurrences(reminder, after=reminder.next_occurrence_at,
                                                                      limit=max(upcoming - 1, 0))][:upcoming]
    interval, window_start, window_end = _window(reminder)
    return ReminderView(
        id=reminder.id, title=reminder.title, note=reminder.note, kind=reminder.kind, timezone=reminder.timezone,
        recurrence=reminder.recurrence, rule=reminder.rrule, starts_at=reminder.starts_at,
        until_date=reminder.until_date, count=reminder.count, channels=list(reminder.channels),
        status=reminder.status, schedule=describe_schedule(reminder, language),
        next_occurrences=[instant.astimezone(zone) for instant in upcoming_at],
        next_fire_at=reminder.next_fire_at.astimezone(zone) if reminder.next_fire_at else None,
        snoozed=bool(reminder.next_fire_at and reminder.next_occurrence_at
                     and reminder.next_fire_at > reminder.next_occurrence_at),
        last_fired_at=reminder.last_fired_at.astimezone(zone) if reminder.last_fired_at else None,
        task_id=reminder.task_id, weekdays=_weekdays(reminder), interval_hours=interval,
        window_start=window_start, window_end=window_end, adherence=adherence_value,
        adherence_text=describe_adherence(adherence_value, reminder.kind, language))


def reminder_view(*, session: Session, user: User, reminder_id: uuid.UUID, language: str,
                  upcoming: int = UPCOMING, days: int = ADHERENCE_DAYS) -> ReminderView:
    """``user``'s reminder as shown, with up to ``upcoming`` next occurrences and ``days`` of adherence.

    Raises:
        NotFound: ``reminders.not_found`` (missing or another user's).
    """
    reminder = get_reminder(session=session, user=user, reminder_id=reminder_id)
    found = adherence_by_reminder(session=session, user=user, reminder_ids=[reminder.id], days=days)
    return _view(reminder, found[reminder.id], language, upcoming)


def list_reminder_views(*, session: Session, user: User, language: str, status: ReminderStatus | str | None = None,
                        upcoming: int = UPCOMING, days: int = ADHERENCE_DAYS) -> list[ReminderView]:
    """``user``'s reminders as shown, in :func:`~assistant.services.scheduler.reminders.list_reminders` order.

    Raises:
        InvalidInput: ``reminders.status_invalid``.
    """
    reminders = list_reminders(session=session, user=user, status=status)
    found = adherence_by_reminder(session=session, user=user, reminder_ids=[row.id for row in reminders], days=days)
    return [_view(row, found[row.id], language, upcoming) for row in reminders]

"""Recurrence in local time: presets, DST changes in Berlin and New York, ends of a series, refused rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from assistant.core.errors import InvalidInput
from assistant.models.reminder import Recurrence
from assistant.services.scheduler.recurrence import (
    MAX_OCCURRENCES_PER_DAY,
    build_rule,
    check_timezone,
    first_occurrence,
    occurrences,
    validate_rrule,
)

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(instants: list[datetime], zone: str) -> list[str]:
    return [instant.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M %z") for instant in instants]


def series(starts_at: datetime, zone: str, rule: str | None, *, after: datetime, limit: int = 10,
           until_date: date | None = None, count: int | None = None) -> list[datetime]:
    return occurrences(starts_at=starts_at, timezone=zone, rule=rule, until_date=until_date, count=count,
                       after=after, limit=limit)


@pytest.mark.parametrize(("zone", "spring", "autumn"), [
    (BERLIN, date(2025, 3, 30), date(2025, 10, 26)),
    (NEW_YORK, date(2025, 3, 9), date(2025, 11, 2)),
])
def test_daily_at_8_stays_8_local_across_both_changes_while_its_utc_time_moves(zone, spring, autumn):
    rule = build_rule(Recurrence.DAILY)
    for change in (spring, autumn):
        start = datetime.combine(change - timedelta(days=2), time(8, 0))
        found = series(start, zone, rule, after=utc(2025, 1, 1), limit=4)
        assert [instant.astimezone(ZoneInfo(zone)).time() for instant in found] == [time(8, 0)] * 4
        offsets = {instant.astimezone(ZoneInfo(zone)).utcoffset() for instant in found}
        assert len(offsets) == 2, "the UTC offset changes over the weekend, the local time does not"
        assert [instant.tzinfo for instant in found] == [UTC] * 4


def test_berlin_0230_on_the_spring_forward_day_fires_at_0330_summer_time():
    found = series(datetime(2025, 3, 29, 2, 30), BERLIN, "FREQ=DAILY", after=utc(2025, 3, 1), limit=3)
    assert found == [utc(2025, 3, 29, 1, 30), utc(2025, 3, 30, 1, 30), utc(2025, 3, 31, 0, 30)]
    assert local(found, BERLIN) == ["Sat 2025-03-29 02:30 +0100", "Sun 2025-03-30 03:30 +0200",
                                    "Mon 2025-03-31 02:30 +0200"]


def test_new_york_0130_on_the_fall_back_day_fires_once_at_the_first_0130():
    found = series(datetime(2025, 11, 1, 1, 30), NEW_YORK, "FREQ=DAILY", after=utc(2025, 10, 1), limit=3)
    assert local(found, NEW_YORK) == ["Sat 2025-11-01 01:30 -0400", "Sun 2025-11-02 01:30 -0400",
                                      "Mon 2025-11-03 01:30 -0500"]


def test_hourly_through_the_spring_gap_fires_once_per_instant_in_order():
    rule = build_rule(Recurrence.HOURLY, interval_hours=1, window_start=time(1, 30), window_end=time(4, 30))
    found = series(datetime(2025, 3, 30, 1, 30), BERLIN, rule, after=utc(2025, 3, 1), limit=4)
    # 02:30 does not exist and becomes 03:30 summer time, which the rule also names: one occurrence.
    assert local(found, BERLIN) == ["Sun 2025-03-30 01:30 +0100", "Sun 2025-03-30 03:30 +0200",
                                    "Sun 2025-03-30 04:30 +0200", "Mon 2025-03-31 01:30 +0200"]


def test_weekly_on_monday_and_thursday_and_weekdays():
    weekly = build_rule(Recurrence.WEEKLY, weekdays=[3, 0, 3])
    assert weekly == "FREQ=WEEKLY;BYDAY=MO,TH"
    found = series(datetime(2025, 6, 3, 9, 0), BERLIN, weekly, after=utc(2025, 6, 1), limit=4)  # a Tuesday
    assert local(found, BERLIN) == ["Thu 2025-06-05 09:00 +0200", "Mon 2025-06-09 09:00 +0200",
                                    "Thu 2025-06-12 09:00 +0200", "Mon 2025-06-16 09:00 +0200"]
    workdays = series(datetime(2025, 6, 6, 7, 15), NEW_YORK, build_rule(Recurrence.WEEKDAYS),
                      after=utc(2025, 6, 1), limit=3)
    assert local(workdays, NEW_YORK) == ["Fri 2025-06-06 07:15 -0400", "Mon 2025-06-09 07:15 -0400",
                                         "Tue 2025-06-10 07:15 -0400"]
    assert build_rule(Recurrence.WEEKLY) == "FREQ=WEEKLY"


def test_monthly_on_the_15th_and_on_the_31st_falling_back_to_the_last_day():
    mid = series(datetime(2025, 1, 15, 20, 0), BERLIN, build_rule(Recurrence.MONTHLY, month_day=15),
                 after=utc(2025, 1, 1), limit=3)
    assert [instant.astimezone(ZoneInfo(BERLIN)).date().isoformat() for instant in mid] == [
        "2025-01-15", "2025-02-15", "2025-03-15"]
    end = series(datetime(2024, 1, 31, 9, 0), BERLIN, build_rule(Recurrence.MONTHLY, month_day=31),
                 after=utc(2024, 1, 1), limit=5)
    assert [instant.astimezone(ZoneInfo(BERLIN)).date().isoformat() for instant in end] == [
        "2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31"]


def test_every_two_hours_from_8_to_20():
    rule = build_rule(Recurrence.HOURLY, interval_hours=2, window_start=time(8, 0), window_end=time(20, 0))
    assert rule == "FREQ=DAILY;BYHOUR=8,10,12,14,16,18,20;BYMINUTE=0;BYSECOND=0"
    found = series(datetime(2025, 6, 2, 8, 0), NEW_YORK, rule, after=utc(2025, 6, 2, 19), limit=8)
    assert [instant.astimezone(ZoneInfo(NEW_YORK)).strftime("%d %H:%M") for instant in found] == [
        "02 16:00", "02 18:00", "02 20:00", "03 08:00", "03 10:00", "03 12:00", "03 14:00", "03 16:00"]


def test_count_counts_from_the_first_occurrence_and_until_is_the_last_local_day():
    start = datetime(2025, 6, 1, 8, 0)
    assert len(series(start, BERLIN, "FREQ=DAILY", after=utc(2025, 1, 1), count=3)) == 3
    assert local(series(start, BERLIN, "FREQ=DAILY", after=utc(2025, 6, 2, 12), count=3), BERLIN) == [
        "Tue 2025-06-03 08:00 +0200"]
    until = series(start, NEW_YORK, "FREQ=DAILY", after=utc(2025, 1, 1), until_date=date(2025, 6, 3))
    assert local(until, NEW_YORK) == ["Sun 2025-06-01 08:00 -0400", "Mon 2025-06-02 08:00 -0400",
                                      "Tue 2025-06-03 08:00 -0400"]


def test_a_long_running_series_gives_the_same_next_times_as_a_fresh_one():
    old = series(datetime(2015, 2, 3, 7, 45), BERLIN, "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,FR",
                 after=utc(2025, 3, 28), limit=4)
    expected = [instant for instant in series(datetime(2015, 2, 3, 7, 45), BERLIN,
                                              "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,FR", after=utc(2015, 1, 1),
                                              limit=600, count=600) if instant > utc(2025, 3, 28)][:4]
    assert old == expected and len(old) == 4


def test_one_time_reminder_has_its_start_as_only_occurrence():
    assert build_rule(Recurrence.ONCE) is None
    start = datetime(2025, 3, 30, 2, 30)
    assert series(start, BERLIN, None, after=utc(2025, 1, 1)) == [utc(2025, 3, 30, 1, 30)]
    assert series(start, BERLIN, None, after=utc(2025, 3, 30, 1, 30)) == []


@pytest.mark.parametrize(("text", "code"), [
    ("FREQ=FORTNIGHTLY", "reminders.rrule_invalid"),
    ("every day please", "reminders.rrule_invalid"),
    ("FREQ=DAILY;BYHOUR=25", "reminders.rrule_invalid"),
    ("FREQ=DAILY;INTERVAL=0", "reminders.rrule_invalid"),
    ("DTSTART:20250101T080000\nRRULE:FREQ=DAILY", "reminders.rrule_dtstart"),
    ("FREQ=DAILY;COUNT=5", "reminders.rrule_has_end"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "reminders.never_occurs"),
    ("FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31", "reminders.never_occurs"),
    ("FREQ=MINUTELY", "reminders.too_frequent"),
    ("FREQ=SECONDLY;INTERVAL=3600", "reminders.too_frequent"),
    ("FREQ=DAILY;BYHOUR=" + ",".join(map(str, range(24))) + ";BYMINUTE=" + ",".join(map(str, range(0, 60, 6))),
     "reminders.too_frequent"),
    ("FREQ=HOURLY;BYMINUTE=0,20,40", "reminders.too_frequent"),
])
def test_bad_rules_are_refused_with_a_reason(text, code):
    with pytest.raises(InvalidInput) as caught:
        build_rule(Recurrence.RRULE, rrule=text)
    assert caught.value.code == code


def test_rules_at_the_cap_and_sparse_rules_are_accepted():
    assert validate_rrule("rrule:freq=hourly;byminute=0,30;") == "FREQ=HOURLY;BYMINUTE=0,30"
    assert MAX_OCCURRENCES_PER_DAY == 48
    leap_monday = validate_rrule("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO")
    assert first_occurrence(starts_at=datetime(2025, 1, 1, 9, 0), timezone=BERLIN, rule=leap_monday,
                            until_date=None, count=None) == utc(2044, 2, 29, 8, 0)


def test_a_series_that_never_occurs_from_its_own_start():
    # A valid rule, but the start's day (31) never falls in February; an end date before the start.
    assert first_occurrence(starts_at=datetime(2025, 1, 31, 9, 0), timezone=BERLIN, rule="FREQ=MONTHLY;BYMONTH=2",
                            until_date=None, count=None) is None
    assert first_occurrence(starts_at=datetime(2025, 6, 1, 9, 0), timezone=BERLIN, rule="FREQ=DAILY",
                            until_date=date(2025, 5, 31), count=None) is None


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"recurrence": Recurrence.WEEKLY, "weekdays": [7]}, "reminders.weekdays_invalid"),
    ({"recurrence": Recurrence.HOURLY}, "reminders.interval_invalid"),
    ({"recurrence": Recurrence.HOURLY, "interval_hours": 0}, "reminders.interval_invalid"),
    ({"recurrence": Recurrence.HOURLY, "interval_hours": 2, "window_start": time(20), "window_end": time(8)},
     "reminders.window_invalid"),
    ({"recurrence": Recurrence.RRULE}, "reminders.rrule_required"),
])
def test_bad_preset_parameters_are_refused(kwargs, code):
    recurrence = kwargs.pop("recurrence")
    with pytest.raises(InvalidInput) as caught:
        build_rule(recurrence, **kwargs)
    assert caught.value.code == code


def test_unknown_time_zone_is_refused():
    assert check_timezone(NEW_YORK) == NEW_YORK
    for name in ("Mars/Olympus", "", "../etc/passwd"):
        with pytest.raises(InvalidInput):
            check_timezone(name)
    with pytest.raises(InvalidInput):
        series(datetime(2025, 6, 1, 8, 0), "Europe/Atlantis", "FREQ=DAILY", after=utc(2025, 1, 1))

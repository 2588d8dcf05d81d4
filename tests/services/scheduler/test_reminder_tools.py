"""The reminder tools called through the built-in registry, as a chat turn runs them: local times in the
user's zone (across a DST change), refusals the model can read with nothing stored, and no reach into another
user's reminders."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from assistant.models import Reminder, User
from assistant.services.llm.events import ToolCall
from assistant.services.scheduler.recurrence import next_occurrences
from assistant.services.tools.builtin import builtin_registry
from assistant.services.tools.registry import ToolContext, ToolResult

NEW_YORK = "America/New_York"


@pytest.fixture
def people(make_user, call):
    def in_zone(user, zone):
        def move(session):
            row = session.get(User, user.id)
            row.timezone = zone
            session.add(row)
            return row
        return call(move)

    return in_zone(make_user(), NEW_YORK), in_zone(make_user(), "Asia/Tokyo")


def run(user: User, name: str, arguments: dict) -> ToolResult:
    context = ToolContext(user_id=user.id, timezone=user.timezone)
    return asyncio.run(builtin_registry().run(ToolCall("call_1", name, arguments), context=context))


def stored(call) -> list[Reminder]:
    return call(lambda session: list(session.exec(select(Reminder)).all()))


def next_dst_change(zone: str) -> date:
    """The first day from the day after tomorrow on whose 12:00 the zone's UTC offset differs from the day before."""
    tz = ZoneInfo(zone)
    day = datetime.now(tz).date() + timedelta(days=2)
    while datetime.combine(day, datetime.min.time().replace(hour=12), tz).utcoffset() == \
            datetime.combine(day - timedelta(days=1), datetime.min.time().replace(hour=12), tz).utcoffset():
        day += timedelta(days=1)
    return day


def test_every_day_at_8_in_the_users_zone_stays_8_across_the_clock_change(people, call):
    user, _ = people
    change = next_dst_change(NEW_YORK)
    first = datetime.combine(change - timedelta(days=2), datetime.min.time().replace(hour=8))
    result = run(user, "schedule_reminder", {"title": "Take metformin", "time": first.isoformat(timespec="minutes"),
                                              "repeat": "daily", "kind": "medication", "note": "500 mg"})
    assert not result.is_error, result.content
    answer = json.loads(result.content)
    assert (answer["result"], answer["timezone"], answer["schedule"]) == (
        "scheduled", NEW_YORK, "Every day at 8:00\u202fAM")
    assert [entry[11:16] for entry in answer["next_occurrences"]] == ["08:00"] * 5
    assert len({entry[16:22] for entry in answer["next_occurrences"]}) == 2, "the offset changes, 08:00 does not"

    [row] = stored(call)
    assert (str(row.id), row.user_id, row.rrule, row.kind) == (answer["reminder_id"], user.id, "FREQ=DAILY",
                                                              "medication")
    expected = [datetime.combine(first.date() + timedelta(days=n), first.time(), ZoneInfo(NEW_YORK)).astimezone(UTC)
                for n in range(5)]
    assert row.next_occurrence_at == expected[0]
    assert [expected[0], *next_occurrences(row, after=expected[0], limit=4)] == expected
    assert {moment.hour for moment in expected} == {12, 13}, "08:00 in New York is 12:00 or 13:00 UTC"


def test_weekly_in_a_named_zone_and_listing(people, call):
    user, _ = people
    start = (datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(days=1)).strftime("%Y-%m-%dT07:30")
    result = run(user, "schedule_reminder", {"title": "Physio exercises", "time": start, "repeat": "weekly",
                                              "weekdays": ["MO", "TH"], "timezone": "Europe/Berlin", "count": 10})
    assert not result.is_error, result.content
    answer = json.loads(result.content)
    assert answer["timezone"] == "Europe/Berlin" and answer["rrule"] == "FREQ=WEEKLY;BYDAY=MO,TH"
    assert answer["schedule"] == "Every week on Mon, Thu at 7:30\u202fAM, 10 times"
    assert {entry[-4:-1] for entry in answer["next_occurrences"]} == {"Mon", "Thu"}

    listed = json.loads(run(user, "list_reminders", {}).content)["reminders"]
    assert [(entry["reminder_id"], len(entry["next_occurrences"])) for entry in listed] == [(answer["reminder_id"], 3)]
    assert json.loads(run(user, "list_reminders", {"status": "paused"}).content) == {"reminders": []}


@pytest.mark.parametrize(("arguments", "message"), [
    ({"time": "2020-01-01T08:00"}, "has already passed"),
    ({"time": "tomorrow at 8"}, "Not a valid date and time"),
    ({"timezone": "Mars/Olympus"}, "Unknown time zone"),
    ({"repeat": "rrule", "rrule": "FREQ=DAILY;BYHOUR=" + ",".join(map(str, range(24))) + ";BYMINUTE=0,15,30,45"},
     "at most 48 times a day"),
    ({"repeat": "rrule", "rrule": "FREQ=SOMETIMES"}, "not a valid RFC 5545 RRULE"),
    ({"repeat": "rrule", "rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"}, "never occurs"),
    ({"repeat": "hourly"}, "Repeat every 1 to 24 hours"),
    ({"note": "x" * 50_000}, "note: String should have at most 2000 characters"),
    ({"user_id": "00000000-0000-0000-0000-000000000000"}, "Extra inputs are not permitted"),
])
def test_bad_calls_are_explained_and_store_nothing(people, call, arguments, message):
    user, _ = people
    tomorrow = (datetime.now(ZoneInfo(NEW_YORK)) + timedelta(days=1)).strftime("%Y-%m-%dT09:00")
    result = run(user, "schedule_reminder", {"title": "Check glucose", "time": tomorrow, **arguments})
    assert result.is_error and message in result.content, result.content
    assert stored(call) == []


def test_another_users_reminder_cannot_be_listed_or_cancelled(people, call):
    owner, intruder = people
    tomorrow = (datetime.now(ZoneInfo(NEW_YORK)) + timedelta(days=1)).strftime("%Y-%m-%dT09:00")
    reminder_id = json.loads(run(owner, "schedule_reminder", {"title": "Secret", "time": tomorrow}).content)[
        "reminder_id"]

    assert json.loads(run(intruder, "list_reminders", {}).content) == {"reminders": []}
    for wrong in (reminder_id, "not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        refused = run(intruder, "cancel_reminder", {"reminder_id": wrong})
        assert refused.is_error and refused.content == "Reminder not found."
    assert [str(row.id) for row in stored(call)] == [reminder_id]

    cancelled = json.loads(run(owner, "cancel_reminder", {"reminder_id": reminder_id}).content)
    assert cancelled["result"].startswith("deleted") and cancelled["title"] == "Secret"
    assert call(lambda session: session.exec(select(func.count()).select_from(Reminder)).one()) == 0

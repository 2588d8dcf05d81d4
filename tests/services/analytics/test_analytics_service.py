"""Usage analytics: every table of the instance view and a user's own usage equal what the stored rows say
(recounted here from plain SELECTs, bucketed by day in Python) and the numbers worked out by hand for the
seeded dataset; a long range is clamped to 366 days and stays fast; only admins see the instance view."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from support.analytics_data import FORMULA_TOOL, TIMEZONE, seed

from assistant.core.errors import Forbidden, InvalidInput, NotFound
from assistant.services.analytics import export, instance
from assistant.services.analytics.periods import MAX_DAYS, bounded_period, last_days, parse_period
from assistant.services.analytics.usage import my_usage


@pytest.fixture
def seeded(make_user):
    return seed(make_user)


def tables(call, seeded) -> dict[str, list[tuple]]:
    found = call(instance.all_tables, user=seeded.admin, period=seeded.period)
    return {table.key: table.rows for table in found}


def rows(call, sql: str) -> list:
    return call(lambda session: session.execute(text(sql)).all())


def in_period(seeded, moment) -> bool:
    low, high = seeded.period.bounds
    return low <= moment < high


def local_day(moment) -> date:
    return moment.astimezone(ZoneInfo(TIMEZONE)).date()


def every_day(seeded, counts: dict[date, int]) -> list[tuple]:
    days = [seeded.period.start + timedelta(days=n) for n in range(seeded.period.days)]
    return [(day, counts.get(day, 0)) for day in days]


def percentile(values: list[int], q: float) -> float:
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (position - low), 1)


def test_every_table_equals_a_recount_of_the_stored_rows(call, seeded):
    found = tables(call, seeded)
    assert tuple(found) == instance.TABLES

    user_messages = [row for row in rows(call, "SELECT m.created_at, c.user_id FROM messages m "
                                               "JOIN chats c ON c.id = m.chat_id WHERE m.role = 'user'")
                     if in_period(seeded, row[0])]
    assert found["messages_per_day"] == every_day(seeded, Counter(local_day(row[0]) for row in user_messages))
    active: dict[date, set] = defaultdict(set)
    for created_at, user_id in user_messages:
        active[local_day(created_at)].add(user_id)
    assert found["active_users_per_day"] == every_day(seeded, {day: len(users) for day, users in active.items()})

    answers = [row._mapping for row in rows(call, "SELECT * FROM messages WHERE role = 'assistant'")
               if in_period(seeded, row._mapping["created_at"])]
    for dimension in ("tier", "provider", "model"):
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for answer in answers:
            total = totals[answer[dimension]]
            total[0] += 1
            total[1] += answer["input_tokens"]
            total[2] += answer["output_tokens"]
        assert {row[0]: list(row[1:]) for row in found[f"tokens_by_{dimension}"]} == totals

    latencies: dict[str, list[int]] = defaultdict(list)
    for answer in answers:
        if answer["latency_ms"] > 0:
            latencies[answer["model"]].append(answer["latency_ms"])
    assert found["latency_by_model"] == [(model, len(values), percentile(values, 0.5), percentile(values, 0.95))
                                         for model, values in sorted(latencies.items())]

    calls = Counter(call_["name"] for answer in answers for call_ in answer["tool_calls"])
    assert dict(found["tool_calls"]) == calls

    documents = rows(call, "SELECT status, chunk_count, error_code, updated_at FROM documents")
    by_status = {row[0]: (row[1], row[2]) for row in found["documents_by_status"]}
    assert by_status.pop("total") == (len(documents), sum(row[1] for row in documents))
    assert by_status == {status: (sum(1 for row in documents if row[0] == status),
                                  sum(row[1] for row in documents if row[0] == status))
                         for status in ("pending", "processing", "completed", "failed", "cancelled")}
    assert dict(found["ingestion_failures"]) == Counter(row[2] for row in documents
                                                        if row[0] == "failed" and in_period(seeded, row[3]))

    notifications = [row for row in rows(call, "SELECT id, channel, status, sent_at, acknowledged_at, created_at "
                                               "FROM notifications") if in_period(seeded, row[5])]
    attempts = rows(call, "SELECT n.channel, d.outcome, d.created_at FROM notification_deliveries d "
                          "JOIN notifications n ON n.id = d.notification_id")
    expected = {}
    for channel in ("in_app", "email", "telegram"):
        mine = [row for row in notifications if row[1] == channel]
        expected[channel] = (len(mine), sum(row[3] is not None for row in mine),
                             sum(row[2] == "failed" for row in mine), sum(row[4] is not None for row in mine),
                             sum(1 for row in attempts if row[0] == channel and row[1] == "failed"
                                 and in_period(seeded, row[2])))
    assert {row[0]: tuple(row[1:]) for row in found["notifications_by_channel"]} == expected


def test_the_seeded_numbers_worked_out_by_hand(call, seeded):
    found = tables(call, seeded)
    day_a = seeded.day_a
    per_day = dict(found["messages_per_day"])
    # alice's 23:30 question is already the next day in UTC: it counts on day A in New York.
    assert (per_day[day_a], per_day[day_a + timedelta(days=1)], sum(per_day.values())) == (2, 1, 3)
    assert dict(found["active_users_per_day"])[day_a] == 1
    assert found["tokens_by_tier"] == [("medium", 2, 300, 30), ("large", 2, 50, 5)]
    assert found["tokens_by_provider"] == [("openai", 2, 300, 30), ("anthropic", 2, 50, 5)]
    assert found["latency_by_model"] == [("claude-b", 1, 2000.0, 2000.0), ("gpt-a", 2, 2000.0, 2900.0)]
    assert found["tool_calls"] == [("search_documents", 2), (FORMULA_TOOL, 1), ("remember", 1)]
    assert found["documents_by_status"][-1] == ("total", 3, 5)
    assert found["ingestion_failures"] == [("documents.error.no_text", 1)]
    assert found["notifications_by_channel"] == [("in_app", 1, 1, 0, 1, 0), ("email", 1, 0, 1, 0, 2),
                                                 ("telegram", 1, 1, 0, 0, 1)]


def test_each_user_sees_only_their_own_usage(call, seeded):
    alice = call(my_usage, user=seeded.alice, period=seeded.period)
    bob = call(my_usage, user=seeded.bob, period=seeded.period)

    assert alice.messages == 2 and alice.tokens == (300, 30)
    assert alice.per_model.rows == [("gpt-a", 2, 300, 30)]
    assert [row for row in alice.per_day.rows if row[1]] == [(seeded.day_a, 2, 300, 30)]
    assert len(alice.per_day.rows) == seeded.period.days
    assert bob.messages == 1 and bob.tokens == (50, 5)
    assert bob.per_model.rows == [("claude-b", 2, 50, 5)]
    nobody = call(my_usage, user=seeded.admin, period=seeded.period)
    assert (nobody.messages, nobody.tokens, nobody.per_model.rows) == (0, (0, 0), [])


def test_a_ten_year_range_is_clamped_to_366_days_and_stays_fast(call, seeded):
    end = seeded.period.end
    period = bounded_period(start=end - timedelta(days=3650), end=end, timezone=TIMEZONE)
    assert period.clamped and period.days == MAX_DAYS and period.start == end - timedelta(days=MAX_DAYS - 1)

    started = time.perf_counter()
    found = {table.key: table.rows for table in call(instance.all_tables, user=seeded.admin, period=period)}
    assert time.perf_counter() - started < 5
    assert len(found["messages_per_day"]) == MAX_DAYS
    assert sum(row[1] for row in found["messages_per_day"]) == 4  # the message before the week counts now
    assert not bounded_period(start=end - timedelta(days=365), end=end, timezone="UTC").clamped


def test_bad_ranges_are_refused_with_a_reason():
    today = date.today()
    with pytest.raises(InvalidInput) as backwards:
        bounded_period(start=today, end=today - timedelta(days=1), timezone="UTC")
    assert backwards.value.code == "analytics.bad_range"
    with pytest.raises(InvalidInput) as zone:
        bounded_period(start=today, end=today, timezone="Mars/Olympus")
    assert zone.value.code == "analytics.bad_timezone"
    with pytest.raises(InvalidInput) as malformed:
        parse_period(start="2026-13-01", end="2026-12-01", timezone="UTC")
    assert malformed.value.code == "analytics.bad_date"
    assert last_days(7, timezone="UTC", today=today).start == today - timedelta(days=6)


def test_a_non_admin_gets_forbidden_and_nothing(call, seeded):
    for user in (seeded.alice, seeded.bob):
        with pytest.raises(Forbidden):
            call(instance.all_tables, user=user, period=seeded.period)
        with pytest.raises(Forbidden):
            call(instance.table, user=user, key="messages_per_day", period=seeded.period)
        with pytest.raises(Forbidden):
            call(export.table_csv, user=user, key="messages_per_day", period=seeded.period)
        with pytest.raises(Forbidden):
            call(export.download_ticket, user=user, key="messages_per_day", login_session_id=user.id)
    with pytest.raises(NotFound):
        call(instance.table, user=seeded.admin, key="users; DROP TABLE users", period=seeded.period)


def test_the_csv_neutralises_formulas(call, seeded):
    name, body = call(export.table_csv, user=seeded.admin, key="tool_calls", period=seeded.period)
    assert name == f"analytics-tool_calls-{seeded.period.start}-{seeded.period.end}.csv"
    lines = body.splitlines()
    assert lines[0] == "tool,calls"
    assert "search_documents,2" in lines
    assert f"\"'{FORMULA_TOOL.replace(chr(34), chr(34) * 2)}\",1" in lines

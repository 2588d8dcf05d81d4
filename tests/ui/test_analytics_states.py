"""The Analytics page and the Settings "My usage" card (on the real database, no browser): an admin's tab shows
every table for the last 30 days, a preset or a from/to range (a ten-year one is clamped and says so), and
Download CSV gives a ticket URL of the CSV route; a user's tab sending the page's events is refused (sent home)
and holds nothing; the usage card shows the user's own messages and tokens per model."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta

import pytest
from support.analytics_data import seed
from support.states import open_tab

from assistant.models import User
from assistant.services.analytics.instance import TABLES
from assistant.services.auth import profile
from assistant.ui.state.analytics import AnalyticsState
from assistant.ui.state.usage import UsageState


@pytest.fixture
def seeded(make_user):
    return seed(make_user)


def test_an_admin_sees_every_table_and_picks_ranges(seeded, sign_in, call):
    # The admin's zone counts the days (their profile says New York, like the seeded data).
    call(lambda session: profile.update_profile(session=session, user=session.get(User, seeded.admin.id),
                                                data={"timezone": "America/New_York"}))
    tab = open_tab(AnalyticsState, sign_in("admin@example.com"))

    asyncio.run(tab.load())
    assert list(tab.tables) == list(TABLES)
    assert len(tab.tables["messages_per_day"]) == 30 and tab.timezone == "America/New_York"
    assert {row["day"]: row["messages"] for row in tab.tables["messages_per_day"]}[seeded.day_a.isoformat()] == 2
    # 30 days hold alice's answer of the week before too (7+7 tokens)
    assert tab.tables["tokens_by_tier"][0] == {"tier": "medium", "answers": 3, "input_tokens": 307,
                                               "output_tokens": 37}
    assert "America/New_York" in tab.zone_hint and tab.range_notice == ""
    # channels and document statuses in the admin's language (the CSV keeps the codes)
    assert [row["channel"] for row in tab.tables["notifications_by_channel"]] == ["In the app", "E-mail", "Telegram"]
    assert [row["status"] for row in tab.tables["documents_by_status"]][-1] == "Total"
    tab.lang = "ru"
    asyncio.run(tab.load())
    assert [row["channel"] for row in tab.tables["notifications_by_channel"]][0] == "В приложении"
    assert "Готов" in [row["status"] for row in tab.tables["documents_by_status"]]
    tab.lang = "en"

    asyncio.run(tab.show_last(7))
    assert (tab.start, tab.end) == (seeded.period.start.isoformat(), seeded.period.end.isoformat())

    end = date.fromisoformat(tab.end)
    asyncio.run(tab.show_range({"start": (end - timedelta(days=3650)).isoformat(), "end": end.isoformat()}))
    assert len(tab.tables["messages_per_day"]) == 366
    assert tab.range_notice == f"A range is at most 366 days: showing {end - timedelta(days=365)} to {end}."

    reaction = str(asyncio.run(tab.download_csv("tool_calls")))
    assert re.search(r"/api/v1/analytics/tool_calls\.csv\?start=[0-9-]+&end=[0-9-]+&tz=America%2FNew_York&ticket=",
                     reaction)


def test_a_user_sending_the_pages_events_is_sent_home_with_nothing(seeded, sign_in):
    tab = open_tab(AnalyticsState, sign_in("alice@example.com"))
    for event in (tab.load(), tab.show_last(90), tab.show_range({"start": "2026-01-01", "end": "2026-02-01"}),
                  tab.download_csv("messages_per_day")):
        reaction = str(asyncio.run(event))
        assert "You do not have permission" in reaction and "/chats" in reaction
    assert all(rows == [] for rows in tab.tables.values()) and tab.start == ""


def test_the_usage_card_shows_only_the_users_own_usage(seeded, sign_in):
    alice = open_tab(UsageState, sign_in("alice@example.com"))
    asyncio.run(alice.load_usage())
    assert alice.usage_summary == "Messages: 3. Tokens: 307 in, 37 out."
    assert alice.usage_models == [{"model": "gpt-a", "answers": "3", "input_tokens": "307", "output_tokens": "37"}]
    admin = open_tab(UsageState, sign_in("admin@example.com"))
    asyncio.run(admin.load_usage())
    assert admin.usage_summary == "Messages: 0. Tokens: 0 in, 0 out." and admin.usage_models == []

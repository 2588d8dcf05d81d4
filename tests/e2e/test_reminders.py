"""The Reminders page in a real browser against the real worker and scheduler: a refused reminder is explained
and nothing is stored; a one-time medication reminder created for the next minute fires, the bell's number
rises and the reminder shows in the bell without a reload, Taken clears it and the reminder shows "taken 1 of
1"; a weekly reminder lists its next times, pauses, resumes, snoozes, is edited and deleted; another user sees
none of it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from support.browser import choose, ensure_account, login, register

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

OWNER, OTHER = "mira@example.org", "oskar@example.org"
ZONE = "Europe/Berlin"
PILL = "Metformin 500 mg"
WALK = "Evening walk"
#: The least time between choosing the reminder's minute and that minute (the form has no seconds): enough to
#: save it on a busy machine.
LEAD = timedelta(seconds=10)
#: About what the weekly reminder's steps and the other user's look take: done while the medication reminder's
#: minute comes when they fit before it, else after it fired (a toast over a button would stall a click).
SIDE_STEPS = timedelta(seconds=30)


def _next_minute() -> datetime:
    """The first whole minute at least :data:`LEAD` from now (UTC)."""
    soon = datetime.now(UTC) + LEAD
    return soon.replace(second=0, microsecond=0) + timedelta(minutes=1)


def _fill_start(page: Page, at: datetime) -> None:
    local = at.astimezone(ZoneInfo(ZONE))
    page.fill("#reminder-date", local.date().isoformat())
    page.fill("#reminder-time", local.strftime("%H:%M"))
    page.fill("#reminder-timezone", ZONE)


def _row(page: Page, title: str):
    return page.locator(".reminder-item").filter(has=page.locator(".reminder-title", has_text=title))


def _weekly_reminder_is_paused_resumed_snoozed_edited_and_deleted(owner: Page, shot) -> None:
    owner.click("#reminder-new")
    owner.fill("#reminder-title", WALK)
    choose(owner, "reminder-recurrence", "weekly")
    today = datetime.now(ZoneInfo(ZONE)).date()
    other_day = (today.weekday() + 2) % 7
    owner.click(f"#reminder-day-{other_day}")  # today's weekday is ticked already
    choose(owner, "reminder-end", "count")
    owner.fill("#reminder-count", "3")
    _fill_start(owner, datetime.now(UTC) + timedelta(days=1))
    owner.click("#reminder-save")
    walk = _row(owner, WALK)
    expect(walk.locator(".reminder-next-time")).to_have_count(3)
    expect(walk.locator(".reminder-schedule")).to_contain_text(re.compile(r"Every week on \w+, \w+ at .*, 3 times"))
    walk.locator(".reminder-pause").click()
    expect(walk.locator(".reminder-status")).to_have_text("Paused")
    expect(walk.locator(".reminder-next-time")).to_have_count(0)
    walk.locator(".reminder-resume").click()
    expect(walk.locator(".reminder-status")).to_have_text("Active")
    walk.locator(".reminder-snooze").click()
    owner.locator(".reminder-snooze-60").click()
    expect(walk.locator(".reminder-snoozed")).to_contain_text("Snoozed until")
    walk.locator(".reminder-edit").click()
    expect(owner.locator("#reminder-title")).to_have_value(WALK)
    owner.fill("#reminder-title", f"{WALK}, 30 min")
    owner.click("#reminder-save")
    expect(_row(owner, f"{WALK}, 30 min").locator(".reminder-next-time")).to_have_count(3)
    shot(owner, "weekly")
    _row(owner, WALK).locator(".reminder-delete").click()
    expect(owner.locator("#reminder-delete-name")).to_have_text(f"{WALK}, 30 min")
    owner.click("#reminder-delete-confirm")
    expect(owner.locator(".reminder-item")).to_have_count(1)


def _other_user_sees_none_of_it(other: Page, url: str) -> None:
    ensure_account(url, OTHER, "Oskar")
    login(other, url, OTHER)
    other.goto(f"{url}/reminders")
    expect(other.locator("#reminders-empty")).to_be_visible()
    expect(other.locator(".reminder-item")).to_have_count(0)


def _the_medication_fires_live_and_is_taken(owner: Page, due: datetime, shot) -> None:
    pill = _row(owner, PILL)
    wait_ms = max(0.0, (due - datetime.now(UTC)).total_seconds()) * 1000 + 30_000
    expect(owner.locator("#bell-count")).to_have_text("1", timeout=wait_ms)
    expect(pill.locator(".reminder-status")).to_have_text("Ended")  # the worker's change, without a reload
    expect(pill.locator(".reminder-adherence")).to_contain_text("taken 0 of 1")
    owner.click("#bell-button")
    item = owner.locator(".bell-item").filter(has_text=PILL)
    expect(item).to_have_count(1)
    shot(owner, "fired")
    item.locator(".bell-ack").click()
    expect(owner.locator("#bell-count")).to_have_count(0)
    expect(pill.locator(".reminder-adherence")).to_contain_text("taken 1 of 1")
    shot(owner, "taken")


def test_a_medication_reminder_fires_live_is_taken_and_shows_adherence(app_url, browser, shot):
    url = app_url
    owner_context, other_context = browser.new_context(), browser.new_context()
    owner, other = owner_context.new_page(), other_context.new_page()
    register(owner, url, OWNER, "Mira")
    owner.click("a[href='/reminders']")
    expect(owner).to_have_url(f"{url}/reminders")
    expect(owner.locator("#reminders-missed-rule")).to_contain_text("within 60 minutes")
    expect(owner.locator("#reminders-empty")).to_be_visible()

    owner.click("#reminder-new")
    expect(owner.locator("#reminder-timezone")).to_have_value("UTC")  # the user's zone by default
    owner.fill("#reminder-title", PILL)
    owner.fill("#reminder-note", "With breakfast")
    choose(owner, "reminder-kind", "medication")
    _fill_start(owner, datetime.now(UTC) - timedelta(hours=2))
    owner.click("#reminder-save")
    expect(owner.locator("#reminder-form-error")).to_contain_text("has already passed")
    shot(owner, "refused")
    expect(owner.locator(".reminder-item")).to_have_count(0)

    due = _next_minute()
    _fill_start(owner, due)
    owner.click("#reminder-save")
    expect(owner.locator("#reminder-form")).to_have_count(0)
    pill = _row(owner, PILL)
    expect(pill.locator(".reminder-status")).to_have_text("Active")
    expect(pill.locator(".reminder-kind")).to_have_text("Medication")
    expect(pill.locator(".reminder-timezone")).to_have_text(ZONE)
    expect(pill.locator(".reminder-schedule")).to_contain_text("Once, ")
    expect(pill.locator(".reminder-next-time")).to_have_count(1)
    shot(owner, "created")

    if due - datetime.now(UTC) >= SIDE_STEPS:  # while the minute comes
        _weekly_reminder_is_paused_resumed_snoozed_edited_and_deleted(owner, shot)
        _other_user_sees_none_of_it(other, url)
        _the_medication_fires_live_and_is_taken(owner, due, shot)
    else:
        _the_medication_fires_live_and_is_taken(owner, due, shot)
        _weekly_reminder_is_paused_resumed_snoozed_edited_and_deleted(owner, shot)
        _other_user_sees_none_of_it(other, url)

    choose(owner, "reminders-filter", "active")
    expect(owner.locator("#reminders-empty")).to_be_visible()
    choose(owner, "reminders-filter", "ended")
    expect(_row(owner, PILL)).to_have_count(1)

    other.reload()
    expect(other.locator(".reminder-item")).to_have_count(0)
    expect(other.locator("#bell-count")).to_have_count(0)
    owner_context.close()
    other_context.close()

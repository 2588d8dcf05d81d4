"""The bell and the notifications page in a real browser: the bell shows on sign-in what arrived meanwhile; a
reminder delivered by another process (the row inserted and published from this test exactly as the worker
does it) raises its number within 2 s without a reload and is announced; Taken in the bell's list stores the
time and lowers the number; the notifications page lists them, the reminder taken and linked to the
reminders; a custom snooze puts another reminder off; Mark all read empties the bell; another user's tab
hears nothing and its bell stays empty.

The app runs on this test session's database, so the rows this process writes are the ones the app reads and
its events reach the app's listener."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select
from support.app import app_on_test_database
from support.browser import ensure_account, login

from assistant.core import events
from assistant.core.db import session_scope
from assistant.models import Notification, Reminder, User
from assistant.models.base import utcnow

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

OWNER, OTHER = "mira@example.org", "oskar@example.org"
TITLE, NEWS, WATER = "Metformin 500 mg", "Weekly summary is ready", "Drink a glass of water"
#: Records, in the page, every change of the bell's number ``[ms since the epoch, text]`` and every toast's text.
WATCH = """() => {
  window.__toasts = []; window.__counts = []; let last = null;
  new MutationObserver(() => {
    const badge = document.querySelector('#bell-count'), shown = badge ? badge.textContent : '';
    if (shown !== last) { last = shown; window.__counts.push([Date.now(), shown]); }
    for (const toast of document.querySelectorAll('[data-sonner-toast]')) {
      if (!toast.__seen) { toast.__seen = true; window.__toasts.push(toast.textContent); }
    }
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def notifications_app(start_app, database) -> Iterator[str]:
    """The app on the test session's database (emptied before and after)."""
    with app_on_test_database(start_app, database.url) as url:
        yield url


def _store(email: str, *, reminder: bool, title: str = NEWS, kind: str = "info") -> tuple[Notification, float]:
    """A notification of ``email`` as the worker delivers it: with ``reminder`` a medication reminder fires
    (its in-app row stored and published in one transaction), else one of ``kind`` that arrived while the
    user was away (stored, nobody listening). Returns the row and when it was committed (s since the epoch)."""
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == email)).one()
        now = utcnow()
        row = Notification(user_id=user.id, type=kind, status="sent", title=title, scheduled_at=now,
                           sent_at=now - timedelta(minutes=5))
        if reminder:
            medication = Reminder(user_id=user.id, title=TITLE, kind="medication", timezone="Europe/Berlin",
                                  starts_at=datetime(2026, 1, 1, 8, 0))
            session.add(medication)
            session.flush()
            row = Notification(user_id=user.id, type="reminder", status="sent", title=TITLE, body="With breakfast",
                               reminder_id=medication.id, occurrence_at=now, scheduled_at=now, sent_at=now,
                               expires_at=now + timedelta(days=1),
                               idempotency_key=f"reminder:{medication.id}:{now.isoformat()}:in_app")
        session.add(row)
        session.flush()
        if reminder:
            events.publish([user.id], "notification", {"notification_id": str(row.id), "status": "sent"},
                           session=session)
    return row, time.time()


def _signed_in(page: Page, url: str, email: str, count: int) -> None:
    """Sign in and wait for the bell to show ``count`` (read when the page mounted), then watch the page."""
    login(page, url, email)
    expect(page.locator("#bell-button")).to_be_visible()
    if count:
        expect(page.locator("#bell-count")).to_have_text(str(count))
    else:
        expect(page.locator("#bell-count")).to_have_count(0)
    page.evaluate(WATCH)


def test_the_bell_rings_live_and_the_answers_quiet_it(notifications_app, browser, shot):
    url = notifications_app
    ensure_account(url, OWNER, "Mira")
    ensure_account(url, OTHER, "Oskar")
    _store(OWNER, reminder=False)
    water, _ = _store(OWNER, reminder=False, title=WATER, kind="reminder")
    owner_context, other_context = browser.new_context(), browser.new_context()
    owner, other = owner_context.new_page(), other_context.new_page()
    _signed_in(owner, url, OWNER, 2)
    _signed_in(other, url, OTHER, 0)

    row, committed = _store(OWNER, reminder=True)
    expect(owner.locator("#bell-count")).to_have_text("3")
    [shown_ms] = [at for at, shown in owner.evaluate("window.__counts") if shown == "3"]
    assert shown_ms / 1000 - committed < 2.0, f"{shown_ms / 1000 - committed:.2f} s"
    owner.wait_for_function(f"window.__toasts.some(text => text.includes('Reminder: {TITLE}'))")
    shot(owner, "bell-rang")

    owner.click("#bell-button")
    items = owner.locator(".bell-item")
    expect(items).to_have_count(3)
    expect(items.first.locator(".bell-item-title")).to_have_text(TITLE)  # the latest first
    expect(items.first.locator(".bell-ack")).to_have_text("Taken")
    expect(items.filter(has_text=WATER).locator(".bell-ack")).to_have_text("Done")
    expect(items.filter(has_text=NEWS).locator(".bell-read")).to_be_visible()  # news is read, not done
    shot(owner, "bell-open")
    items.first.locator(".bell-ack").click()
    expect(owner.locator("#bell-count")).to_have_text("2")
    with session_scope() as session:
        stored = session.get_one(Notification, row.id)
    assert stored.status == "acknowledged" and stored.acknowledged_at is not None

    owner.click("#bell-button")
    expect(owner.locator(".bell-item")).to_have_count(2)
    owner.click("#bell-all")
    expect(owner).to_have_url(f"{url}/notifications")
    listed = owner.locator(".notification-item")
    expect(listed).to_have_count(3)
    taken = listed.filter(has_text=TITLE)
    expect(taken.locator(".notification-status")).to_contain_text("Taken")
    expect(taken.locator(".notification-ack")).to_have_count(0)
    expect(taken.locator(".notification-link")).to_have_attribute("href", "/reminders")
    expect(listed.filter(has_text=NEWS).locator(".notification-unread")).to_have_count(1)

    listed.filter(has_text=WATER).locator(".notification-snooze").click()
    custom = owner.locator(".notification-snooze-form")
    custom.locator("input[name=minutes]").fill("30")
    custom.locator("button[type=submit]").click()
    expect(owner.locator("#bell-count")).to_have_text("1")
    expect(listed.filter(has_text=WATER).locator(".notification-status")).to_contain_text("Snoozed until")
    with session_scope() as session:
        snoozed = session.get_one(Notification, water.id)
    assert snoozed.status == "pending" and snoozed.snooze_count == 1
    assert timedelta(minutes=29) < snoozed.scheduled_at - utcnow() <= timedelta(minutes=30)
    owner.click("#notifications-mark-all")
    expect(owner.locator("#bell-count")).to_have_count(0)
    expect(owner.locator(".notification-unread")).to_have_count(0)
    shot(owner, "page")

    expect(other.locator("#bell-count")).to_have_count(0)
    assert other.evaluate("window.__toasts") == []
    other.click("#bell-button")
    expect(other.locator("#bell-empty")).to_be_visible()
    owner_context.close()
    other_context.close()

"""The bell and the notifications page in a real browser: a reminder delivered by another process (the row
inserted and published from this test exactly as the worker does it) raises the bell's number within 2 s
without a reload and is announced; Taken in the bell's list clears it and stores the time; the notifications
page shows it taken; another user's tab hears nothing and its bell stays empty.

The app runs on this test session's database, so the rows this process writes are the ones the app reads and
its events reach the app's listener."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import text
from sqlmodel import select
from support.browser import ensure_account, login

from assistant.core import events
from assistant.core.db import get_engine, session_scope
from assistant.models import Notification, Reminder, User
from assistant.models.base import utcnow

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

OWNER, OTHER = "mira@example.org", "oskar@example.org"
TITLE = "Metformin 500 mg"
#: Records, in the page, when (ms since the epoch) the bell's number appears and every toast's text.
WATCH = """() => {
  window.__toasts = []; window.__bellAt = null;
  new MutationObserver(() => {
    if (window.__bellAt === null && document.querySelector('#bell-count')) window.__bellAt = Date.now();
    for (const toast of document.querySelectorAll('[data-sonner-toast]')) {
      if (!toast.__seen) { toast.__seen = true; window.__toasts.push(toast.textContent); }
    }
  }).observe(document.body, {childList: true, subtree: true});
}"""


def _truncate() -> None:
    with get_engine().begin() as conn:
        tables = conn.execute(text("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
                                   "AND tablename <> 'alembic_version'")).scalars().all()
        conn.execute(text(f"TRUNCATE TABLE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="module")
def notifications_app(start_app, database) -> Iterator[str]:
    """The app on the test session's database (emptied before and after)."""
    _truncate()
    try:
        with start_app({"DATABASE_URL": database.url}) as url:
            yield url
    finally:
        _truncate()


def _deliver(email: str) -> tuple[Notification, float]:
    """A medication reminder of ``email`` fires: its in-app row is stored and published in one transaction,
    as the worker's delivery does; returns the row and when it was committed (s since the epoch)."""
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == email)).one()
        reminder = Reminder(user_id=user.id, title=TITLE, kind="medication", timezone="Europe/Berlin",
                            starts_at=datetime(2026, 1, 1, 8, 0))
        session.add(reminder)
        session.flush()
        now = utcnow()
        row = Notification(user_id=user.id, type="reminder", status="sent", title=TITLE, body="With breakfast",
                           reminder_id=reminder.id, occurrence_at=now, scheduled_at=now, sent_at=now,
                           expires_at=now + timedelta(days=1),
                           idempotency_key=f"reminder:{reminder.id}:{now.isoformat()}:in_app")
        session.add(row)
        session.flush()
        events.publish([user.id], "notification", {"notification_id": str(row.id), "status": "sent"},
                       session=session)
    return row, time.time()


def _signed_in(page: Page, url: str, email: str) -> None:
    login(page, url, email)
    expect(page.locator("#bell-button")).to_be_visible()
    expect(page.locator("#bell-count")).to_have_count(0)
    page.evaluate(WATCH)


def test_a_delivered_reminder_rings_the_bell_live_and_taken_clears_it(notifications_app, browser, shot):
    url = notifications_app
    ensure_account(url, OWNER, "Mira")
    ensure_account(url, OTHER, "Oskar")
    owner_context, other_context = browser.new_context(), browser.new_context()
    owner, other = owner_context.new_page(), other_context.new_page()
    _signed_in(owner, url, OWNER)
    _signed_in(other, url, OTHER)

    row, committed = _deliver(OWNER)
    expect(owner.locator("#bell-count")).to_have_text("1")
    assert owner.evaluate("window.__bellAt") / 1000 - committed < 2.0
    owner.wait_for_function(f"window.__toasts.some(text => text.includes('Reminder: {TITLE}'))")
    shot(owner, "bell-rang")

    owner.click("#bell-button")
    item = owner.locator(".bell-item")
    expect(item).to_have_count(1)
    expect(item.locator(".bell-item-title")).to_have_text(TITLE)
    expect(item.locator(".bell-ack")).to_have_text("Taken")
    shot(owner, "bell-open")
    item.locator(".bell-ack").click()
    expect(owner.locator("#bell-count")).to_have_count(0)
    with session_scope() as session:
        stored = session.get_one(Notification, row.id)
    assert stored.status == "acknowledged" and stored.acknowledged_at is not None

    owner.click("#bell-button")
    expect(owner.locator("#bell-empty")).to_be_visible()
    owner.click("#bell-all")
    expect(owner).to_have_url(f"{url}/notifications")
    listed = owner.locator(".notification-item")
    expect(listed).to_have_count(1)
    expect(listed.locator(".notification-title")).to_have_text(TITLE)
    expect(listed.locator(".notification-status")).to_contain_text("Taken")
    expect(listed.locator(".notification-ack")).to_have_count(0)
    shot(owner, "page")

    expect(other.locator("#bell-count")).to_have_count(0)
    assert other.evaluate("window.__toasts") == []
    other.click("#bell-button")
    expect(other.locator("#bell-empty")).to_be_visible()
    owner_context.close()
    other_context.close()

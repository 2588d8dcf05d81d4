"""The Tasks page in a real browser: a refused title keeps what was typed; add a task due at a local time
(Europe/Berlin, stored as UTC) with a reminder (shown on its row, then removed); add a subtask under it
(indented); a subtask the assistant adds from another process appears without a reload; edit one and change
another's status; complete the parent with its open subtasks; filter by status, priority and due date; delete
the parent with its subtasks.

The app runs on this test session's database, so the test can read what was stored and add a task as a
chat's tool would (its event reaches the app's listener)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select
from support.app import app_on_test_database
from support.browser import choose, ensure_account, login

from assistant.core.db import session_scope
from assistant.models import Reminder, Task, TaskAuthor, User

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

OWNER = "tamsin@example.org"


@pytest.fixture(scope="module")
def tasks_app(start_app, database) -> Iterator[str]:
    """The app on the test session's database (emptied before and after)."""
    with app_on_test_database(start_app, database.url) as url:
        yield url


def _in_berlin(email: str) -> User:
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == email)).one()
        user.timezone = "Europe/Berlin"
        session.add(user)
    return user


def _task(title: str) -> Task:
    with session_scope() as session:
        return session.exec(select(Task).where(Task.title == title)).one()


def _toast(page: Page, message: str):
    return page.locator("[data-sonner-toast]", has_text=message)


def test_tasks_add_nest_live_edit_complete_filter_and_delete(tasks_app: str, browser, shot) -> None:
    ensure_account(tasks_app, OWNER, "Tamsin")
    owner = _in_berlin(OWNER)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    login(page, tasks_app, OWNER)
    page.click("#nav-tasks")
    expect(page).to_have_url(re.compile(r"/tasks/?$"))
    expect(page.locator("#page-title")).to_have_text("Tasks")
    expect(page.locator("#task-empty")).to_contain_text("No tasks yet")
    expect(page.locator("#task-timezone")).to_contain_text("Europe/Berlin")

    # A refused title: the translated reason, and what was typed stays.
    too_long = "Plan " * 50
    page.fill("#task-new-title", too_long)
    page.click("#task-add")
    expect(page.locator("#task-add-error")).to_have_text("A task title can be at most 200 characters.")
    expect(page.locator("#task-new-title")).to_have_value(too_long)

    page.fill("#task-new-title", "Plan the trip")
    page.fill("#task-new-notes", "Lisbon, early May")
    page.fill("#task-new-due-date", "2030-05-01")
    page.fill("#task-new-due-time", "09:30")
    choose(page, "task-new-priority", "high")
    page.fill("#task-new-remind-at", "2030-04-30T18:00")
    page.click("#task-add")
    rows = page.locator(".task-row")
    expect(rows).to_have_count(1)
    trip = page.locator(".task-row", has=page.locator(".task-title", has_text="Plan the trip"))
    expect(trip.locator(".task-priority")).to_have_text("High")
    expect(trip.locator(".task-due")).to_have_text("May 1, 2030, 9:30 AM")
    expect(trip.locator(".task-notes")).to_have_text("Lisbon, early May")
    expect(page.locator("#task-new-title")).to_have_value("")  # the form starts over
    assert _task("Plan the trip").due_at == datetime(2030, 5, 1, 7, 30, tzinfo=UTC)  # 09:30 CEST
    expect(trip.locator(".task-reminder-text")).to_have_text("Reminder: Apr 30, 2030, 6:00 PM")
    with session_scope() as session:
        [reminder] = session.exec(select(Reminder)).all()
        assert (reminder.task_id, reminder.next_fire_at) == (_task("Plan the trip").id,
                                                             datetime(2030, 4, 30, 16, 0, tzinfo=UTC))

    # A subtask, nested under it.
    trip.locator(".task-add-subtask").first.click()
    page.fill("#task-subtask-title", "Book tickets")
    page.click("#task-subtask-add")
    expect(rows).to_have_count(2)
    tickets = rows.nth(1)
    expect(tickets.locator(".task-title")).to_have_text("Book tickets")
    expect(tickets).to_have_attribute("data-depth", "1")
    expect(trip.locator(".task-subtasks").first).to_have_text("0 of 1 subtask done")

    # The assistant adds a subtask from a chat (another process): it appears without a reload.
    page.evaluate("window.__same_page = true")
    from assistant.services.tasks import tasks as service

    with session_scope() as session:
        service.create_task(session=session, user=owner, title="Pack bags", parent_id=_task("Plan the trip").id,
                            author=TaskAuthor.ASSISTANT)
    expect(rows).to_have_count(3)
    packing = page.locator(".task-row", has=page.locator(".task-title", has_text="Pack bags"))
    expect(packing).to_have_attribute("data-depth", "1")
    expect(packing.locator(".task-by-assistant")).to_have_text("Added by the assistant")
    assert page.evaluate("window.__same_page") is True
    shot(page, "nested")

    # Edit a subtask's title; set the other in progress from its status menu.
    tickets.locator(".task-edit").click()
    page.fill("#task-edit-title", "Book train tickets")
    page.click("#task-edit-save")
    expect(page.locator("#task-edit-form")).to_have_count(0)
    expect(tickets.locator(".task-title")).to_have_text("Book train tickets")
    packing.locator(".task-status").click()
    page.click("#task-status-in_progress")
    expect(packing).to_have_attribute("data-status", "in_progress")

    # The reminder can be removed from the row.
    trip.locator(".task-reminder-remove").click()
    expect(_toast(page, "Reminder removed.")).to_be_visible()
    expect(page.locator(".task-reminder")).to_have_count(0)

    # Completing the parent completes its open subtasks; the open list is then empty.
    trip.locator(".task-check").first.click()
    expect(_toast(page, "Done, with 2 open subtasks.")).to_be_visible()
    expect(rows).to_have_count(0)
    choose(page, "task-filter-status", "done")
    expect(rows).to_have_count(3)
    expect(page.locator(".task-row[data-status=done]")).to_have_count(3)
    expect(rows.nth(0).locator(".task-title")).to_have_text("Plan the trip")
    expect(page.locator(".task-row[data-depth='1']")).to_have_count(2)
    shot(page, "done")

    # Filters: priority keeps the parent only; "no due date" lists the subtasks with their parent named.
    choose(page, "task-filter-priority", "high")
    expect(rows).to_have_count(1)
    choose(page, "task-filter-priority", "all")
    choose(page, "task-filter-due", "none")
    expect(rows).to_have_count(2)
    expect(page.locator(".task-row[data-depth='0'] .task-parent")).to_have_text(
        ['Subtask of "Plan the trip"', 'Subtask of "Plan the trip"'])
    choose(page, "task-filter-due", "overdue")
    expect(page.locator("#task-empty")).to_have_text("No task matches these filters.")
    choose(page, "task-filter-due", "any")

    # Deleting the parent takes its subtasks.
    trip.locator(".task-delete").first.click()
    page.click(".task-delete-confirm")
    expect(_toast(page, "Task deleted with 2 subtasks.")).to_be_visible()
    expect(rows).to_have_count(0)
    with session_scope() as session:
        assert session.exec(select(Task)).all() == []
    page.context.close()

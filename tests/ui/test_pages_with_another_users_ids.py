"""User B's signed-in tab sending the page events of the bell, the Reminders page and the Tasks page with user
A's ids (as a crafted socket message would): each answers as for an id that does not exist, and A's reminder,
its notification and A's tasks stay exactly as they were."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from support.states import open_tab

from assistant.core.db import session_scope
from assistant.models import Notification, Reminder
from assistant.models.base import utcnow
from assistant.services.scheduler.reminders import ReminderInput, create_reminder
from assistant.services.tasks.tasks import create_task
from assistant.ui.state.notifications import BellState
from assistant.ui.state.reminders import RemindersState
from assistant.ui.state.tasks import TasksState


def _rows_of(user_id: uuid.UUID) -> dict[str, list[tuple]]:
    with session_scope() as session:
        return {table: [tuple(row) for row in session.execute(
            text(f"SELECT * FROM {table} WHERE user_id = :u ORDER BY id"), {"u": user_id})]  # noqa: S608
            for table in ("reminders", "notifications", "tasks")}


@pytest.fixture
def alice(make_user):
    """A with a task, a daily reminder of it that has fired once (its notification waits for Taken)."""
    user = make_user()
    with session_scope() as session:
        task = create_task(session=session, user=user, title="Refill metformin")
        start = (utcnow() + timedelta(days=1)).replace(tzinfo=None, second=0, microsecond=0)
        reminder = create_reminder(session=session, user=user, data=ReminderInput(
            title="Take metformin", starts_at=start, recurrence="daily", kind="medication", task_id=task.id))
        note = Notification(user_id=user.id, type="reminder", status="sent", title="Take metformin",
                            reminder_id=reminder.id, occurrence_at=utcnow(), sent_at=utcnow(),
                            expires_at=utcnow() + timedelta(hours=24))
        session.add(note)
        session.flush()
        return user, task.id, reminder.id, note.id


def _reaction(result: Any) -> str:
    """What the tab shows for an event's result (a toast or nothing), without object addresses."""
    return re.sub(r" at 0x[0-9a-f]+", "", str(result))


def test_bs_page_events_with_as_ids_answer_like_a_missing_id_and_change_nothing(alice, make_user, sign_in):
    a, task_id, reminder_id, note_id = alice
    before = _rows_of(a.id)
    b = make_user()
    bell = open_tab(BellState, sign_in(b.email))
    reminders = open_tab(RemindersState, sign_in(b.email))
    tasks = open_tab(TasksState, sign_in(b.email))
    assert bell.count == 0 and reminders.rows == [] and tasks.rows == []
    missing = str(uuid.uuid4())

    attempts = {
        "bell.acknowledge": lambda some: bell.acknowledge(some),
        "bell.mark_read": lambda some: bell.mark_read(some),
        "bell.snooze": lambda some: bell.snooze(some, 10),
        "bell.snooze_custom": lambda some: bell.snooze_custom({"notification_id": some, "minutes": "30"}),
        "reminders.pause": lambda some: reminders.pause(some),
        "reminders.resume": lambda some: reminders.resume(some),
        "reminders.snooze": lambda some: reminders.snooze(some, 60),
        "reminders.open_edit": lambda some: reminders.open_edit(some),
        "tasks.toggle_done": lambda some: tasks.toggle_done(some),
        "tasks.set_task_status": lambda some: tasks.set_task_status(some, "cancelled"),
        "tasks.delete": lambda some: tasks.delete(some),
        "tasks.remove_reminder": lambda some: tasks.remove_reminder(some),
        "tasks.open_runs": lambda some: tasks.open_runs(some),
    }
    ids = {"bell": str(note_id), "reminders": str(reminder_id), "tasks.remove_reminder": str(reminder_id)}
    for name, send in attempts.items():
        theirs = ids.get(name, ids.get(name.split(".")[0], str(task_id)))
        answered = _reaction(asyncio.run(send(theirs))).replace(theirs, "<id>")
        random = _reaction(asyncio.run(send(missing))).replace(missing, "<id>")
        assert answered == random, name
        if name != "tasks.open_runs":  # opening the panel of a task not on screen just shows nothing
            assert "not found" in answered or "does not exist" in answered, name
    # deleting goes through a confirmation of a reminder on B's screen: A's is not there to confirm
    reminders.ask_delete(str(reminder_id))
    assert reminders.deleting_id == ""
    asyncio.run(reminders.confirm_delete())

    assert _rows_of(a.id) == before
    assert bell.count == 0 and reminders.rows == [] and tasks.rows == []
    with session_scope() as session:
        assert session.get(Reminder, reminder_id) is not None

"""The scheduler's rules without a worker: the missed-run rule, the notification rows of an occurrence (one per
delivered channel, never two for the same occurrence, even from two transactions at once), and the web
process never loading APScheduler or the worker."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlmodel import Session, select

from assistant.core.db import get_engine, session_scope
from assistant.models import Notification, Task
from assistant.models.reminder import Reminder
from assistant.services.notifications.delivery import idempotency_key, record_occurrence
from assistant.worker.firing import MAX_MISSED_ROWS, CatchUp, missed_run_rule

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
GRACE = timedelta(hours=1)


def hours_ago(*hours: float) -> list[tuple[datetime, datetime]]:
    """Due occurrences ``hours`` ago (oldest first), each firing at its occurrence."""
    return [(NOW - timedelta(hours=h), NOW - timedelta(hours=h)) for h in hours]


def test_an_occurrence_fires_on_time_or_late_within_grace_and_is_missed_beyond():
    assert missed_run_rule([], now=NOW, grace=GRACE) == CatchUp(fire=None, missed=[])
    assert missed_run_rule(hours_ago(0), now=NOW, grace=GRACE) == CatchUp(fire=NOW, missed=[])
    assert missed_run_rule(hours_ago(1), now=NOW, grace=GRACE).fire == NOW - GRACE, "the boundary still fires"
    beyond = NOW - GRACE - timedelta(seconds=1)
    assert missed_run_rule([(beyond, beyond)], now=NOW, grace=GRACE) == CatchUp(fire=None, missed=[beyond])


def test_of_several_missed_occurrences_only_the_latest_within_grace_fires():
    assert missed_run_rule(hours_ago(3, 2, 0.5), now=NOW, grace=GRACE) == CatchUp(
        fire=NOW - timedelta(hours=0.5), missed=[NOW - timedelta(hours=3), NOW - timedelta(hours=2)])
    assert missed_run_rule(hours_ago(3, 2), now=NOW, grace=GRACE) == CatchUp(
        fire=None, missed=[NOW - timedelta(hours=3), NOW - timedelta(hours=2)])


def test_a_snoozed_occurrence_counts_from_its_new_time():
    occurrence = NOW - timedelta(hours=3)
    decision = missed_run_rule([(occurrence, NOW - timedelta(minutes=10))], now=NOW, grace=GRACE)
    assert decision == CatchUp(fire=occurrence, missed=[])


def test_a_long_outage_records_at_most_the_latest_missed_occurrences():
    decision = missed_run_rule(hours_ago(*range(100, 1, -1)), now=NOW, grace=GRACE)
    assert decision.fire is None and len(decision.missed) == MAX_MISSED_ROWS == 24
    assert decision.missed[-1] == NOW - timedelta(hours=2) and decision.missed[0] == NOW - timedelta(hours=25)


def make_reminder(user, **values) -> Reminder:
    reminder = Reminder(user_id=user.id, title="Take metformin", note="With breakfast.", timezone="Europe/Berlin",
                        starts_at=datetime(2026, 3, 29, 10, 0), next_occurrence_at=NOW, next_fire_at=NOW, **values)
    with session_scope() as session:
        session.add(reminder)
    return reminder


def test_an_occurrence_is_stored_once_per_delivered_channel_and_never_twice(make_user, database):
    user = make_user()
    reminder = make_reminder(user, channels=["in_app", "telegram", "email"])
    with psycopg.connect(database.url, autocommit=True) as listener:
        listener.execute("LISTEN assistant_events")
        with session_scope() as session:
            [row] = record_occurrence(session=session, reminder=reminder, occurrence_at=NOW, now=NOW,
                                      next_occurrence_at=NOW + timedelta(days=1))
        with session_scope() as session:
            again = record_occurrence(session=session, reminder=reminder, occurrence_at=NOW, now=NOW)
            missed_too = record_occurrence(session=session, reminder=reminder, occurrence_at=NOW, status="missed",
                                           now=NOW)
        heard = [json.loads(note.payload) for note in listener.notifies(timeout=1)]
    assert again == [] and missed_too == [], "the same occurrence is never stored again, whatever its outcome"
    assert (row.channel, row.type, row.status, row.title, row.body) == (
        "in_app", "reminder", "sent", "Take metformin", "With breakfast.")
    assert row.idempotency_key == idempotency_key(reminder.id, NOW, "in_app") == (
        f"reminder:{reminder.id}:2026-03-29T08:00:00Z:in_app")
    assert row.expires_at == NOW + timedelta(days=1)
    assert heard == [{"u": [str(user.id)], "t": "notification",
                      "p": {"notification_id": str(row.id), "status": "sent"}}], "one event, for the row stored"
    with session_scope() as session:
        assert len(session.exec(select(Notification).where(Notification.reminder_id == reminder.id)).all()) == 1


def test_a_reminder_for_channels_not_yet_delivered_still_shows_in_the_app_and_a_task_reminder_is_a_task(make_user):
    user = make_user()
    task = Task(user_id=user.id, title="Renew the prescription")
    with session_scope() as session:
        session.add(task)
    reminder = make_reminder(user, channels=["telegram"], task_id=task.id)
    with session_scope() as session:
        [row] = record_occurrence(session=session, reminder=reminder, occurrence_at=NOW, now=NOW)
    assert (row.channel, row.type, row.task_id) == ("in_app", "task", task.id)
    assert row.expires_at == NOW + timedelta(hours=24)


def test_two_transactions_storing_the_same_occurrence_at_once_store_one_row(make_user):
    reminder = make_reminder(make_user())
    results: dict[str, list[Notification]] = {}
    with Session(get_engine(), expire_on_commit=False) as first:
        results["first"] = record_occurrence(session=first, reminder=reminder, occurrence_at=NOW, now=NOW)

        def second() -> None:
            with session_scope() as session:
                results["second"] = record_occurrence(session=session, reminder=reminder, occurrence_at=NOW, now=NOW)

        racer = threading.Thread(target=second)
        racer.start()
        racer.join(timeout=1)
        assert racer.is_alive(), "the second insert waits for the first transaction"
        first.commit()
        racer.join(timeout=10)
    assert len(results["first"]) == 1 and results["second"] == []


def test_a_missed_occurrence_tells_the_user_in_their_language_and_time_zone(make_user):
    user = make_user()
    with session_scope() as session:
        user.language = "ru"
        session.add(user)
    reminder = make_reminder(user)
    with session_scope() as session:
        [row] = record_occurrence(session=session, reminder=reminder, occurrence_at=NOW, status="missed",
                                  now=NOW + timedelta(hours=3))
    assert row.status == "missed" and row.title == "Пропущено: Take metformin"
    assert "10:00" in row.body and "ассистент был недоступен" in row.body, "08:00 UTC is 10:00 in Berlin"
    assert row.body.endswith("With breakfast.")


_PROBE = """
import json, sys
import assistant.assistant
loaded = [m for m in sys.modules if m.split(".")[0] == "apscheduler" or m.startswith("assistant.worker")]
print(json.dumps(sorted(loaded)))
"""


def test_the_web_process_never_loads_the_scheduler():
    """The app (pages, state, API) never imports APScheduler or the worker: only the worker touches the job store."""
    result = subprocess.run([sys.executable, "-c", _PROBE], cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []

"""The reminders service on the real database: the lifecycle of a reminder, its next occurrences in the
user's time zone, refused input storing nothing, isolation between users, the worker's signal and the tabs'
event on commit, and adherence from acknowledged notifications."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlmodel import func, select

from assistant.core import events
from assistant.core.errors import InvalidInput, NotFound
from assistant.models import Notification, Reminder, Task, User
from assistant.models.base import utcnow
from assistant.services.scheduler import reminders as service
from assistant.services.scheduler import views
from assistant.services.scheduler.reminders import ReminderInput
from assistant.services.scheduler.signals import SCHEDULER_CHANNEL

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def berlin(make_user, call):
    user = make_user()

    def move(session):
        row = session.get(User, user.id)
        row.timezone = "Europe/Berlin"
        session.add(row)
        return row

    return call(move)


def tomorrow_at(hour: int, minute: int = 0, zone: ZoneInfo = BERLIN) -> datetime:
    """Tomorrow's local wall-clock time (naive) in ``zone``."""
    return datetime.combine(datetime.now(zone).date() + timedelta(days=1), datetime.min.time()).replace(
        hour=hour, minute=minute)


def daily(title: str = "Metformin", **changes) -> ReminderInput:
    return ReminderInput(**{"title": title, "starts_at": tomorrow_at(8), "recurrence": "daily", "kind": "medication",
                            **changes})


def count_reminders(call) -> int:
    return call(lambda session: session.exec(select(func.count()).select_from(Reminder)).one())


def test_daily_reminder_in_the_users_zone_lists_its_next_five_mornings(berlin, call):
    created = call(service.create_reminder, user=berlin, data=daily(note="500 mg with breakfast"))
    assert created.timezone == "Europe/Berlin" and created.rrule == "FREQ=DAILY" and created.status == "active"
    first = tomorrow_at(8).replace(tzinfo=BERLIN)
    assert created.next_occurrence_at == created.next_fire_at == first.astimezone(UTC)

    view = call(views.reminder_view, user=berlin, reminder_id=created.id, language="en")
    assert [moment.strftime("%H:%M") for moment in view.next_occurrences] == ["08:00"] * 5
    assert view.next_occurrences[0] == first and view.next_occurrences[4].date() == (first + timedelta(days=4)).date()
    assert view.schedule == "Every day at 8:00\u202fAM"
    assert call(views.reminder_view, user=berlin, reminder_id=created.id, language="ru").schedule == \
        "Каждый день в 08:00"
    assert view.adherence_text == "No reminders in the last 14 days"
    assert (view.note, view.kind, view.snoozed) == ("500 mg with breakfast", "medication", False)


def test_edit_pause_resume_snooze_and_delete(berlin, call):
    reminder = call(service.create_reminder, user=berlin, data=daily())
    edited = call(service.update_reminder, user=berlin, reminder_id=reminder.id,
                  data=daily("Vitamin D", starts_at=tomorrow_at(9, 30), recurrence="weekly", weekdays=[0, 3]))
    assert (edited.title, edited.rrule) == ("Vitamin D", "FREQ=WEEKLY;BYDAY=MO,TH")
    local = edited.next_occurrence_at.astimezone(BERLIN)
    assert local.strftime("%H:%M") == "09:30" and local.weekday() in (0, 3) and local > datetime.now(BERLIN)
    view = call(views.reminder_view, user=berlin, reminder_id=reminder.id, language="en")
    assert view.weekdays == [0, 3] and view.schedule == "Every week on Mon, Thu at 9:30\u202fAM"

    paused = call(service.pause_reminder, user=berlin, reminder_id=reminder.id)
    assert (paused.status, paused.next_occurrence_at, paused.next_fire_at) == ("paused", None, None)
    assert call(service.pause_reminder, user=berlin, reminder_id=reminder.id).status == "paused"
    with pytest.raises(InvalidInput) as caught:
        call(service.snooze_reminder, user=berlin, reminder_id=reminder.id, minutes=10)
    assert caught.value.code == "reminders.not_active"

    resumed = call(service.resume_reminder, user=berlin, reminder_id=reminder.id)
    assert resumed.status == "active" and resumed.next_occurrence_at == local.astimezone(UTC)

    snoozed = call(service.snooze_reminder, user=berlin, reminder_id=reminder.id, minutes=10)
    assert snoozed.next_occurrence_at == resumed.next_occurrence_at
    assert snoozed.next_fire_at == resumed.next_occurrence_at + timedelta(minutes=10)
    again = call(service.snooze_reminder, user=berlin, reminder_id=reminder.id, minutes="60")
    assert again.next_fire_at == resumed.next_occurrence_at + timedelta(minutes=70)
    assert call(views.reminder_view, user=berlin, reminder_id=reminder.id, language="en").snoozed
    for minutes in (0, "soon", 1441):
        with pytest.raises(InvalidInput) as caught:
            call(service.snooze_reminder, user=berlin, reminder_id=reminder.id, minutes=minutes)
        assert caught.value.code == "reminders.snooze_invalid"
    hourly = call(service.create_reminder, user=berlin, data=daily("Water", recurrence="hourly", interval_hours=1,
                                                                    window_start="08:00", window_end="20:00"))
    with pytest.raises(InvalidInput) as caught:
        call(service.snooze_reminder, user=berlin, reminder_id=hourly.id, minutes=60)
    assert caught.value.code == "reminders.snooze_past_next"
    call(service.delete_reminder, user=berlin, reminder_id=hourly.id)
    assert call(service.get_reminder, user=berlin, reminder_id=reminder.id).next_fire_at == again.next_fire_at

    call(service.delete_reminder, user=berlin, reminder_id=reminder.id)
    with pytest.raises(NotFound):
        call(service.get_reminder, user=berlin, reminder_id=reminder.id)
    assert count_reminders(call) == 0


def test_one_time_reminder_and_an_ended_one_edited(berlin, call):
    soon = (datetime.now(BERLIN) + timedelta(minutes=5)).replace(tzinfo=None)
    once = call(service.create_reminder, user=berlin, data=ReminderInput(title="Call the pharmacy", starts_at=soon))
    assert once.rrule is None and once.next_occurrence_at == soon.replace(second=0, microsecond=0,
                                                                          tzinfo=BERLIN).astimezone(UTC)
    # An offset given with the time is converted into the reminder's zone.
    other = call(service.create_reminder, user=berlin,
                 data=ReminderInput(title="Offset", starts_at="2100-01-01T07:00:00+00:00", timezone="Europe/Berlin"))
    assert other.starts_at == datetime(2100, 1, 1, 8, 0)

    def fire(session):  # as the worker leaves a one-time reminder after it fired
        row = session.get(Reminder, once.id)
        row.starts_at = datetime(2020, 1, 1, 8, 0)
        row.status, row.next_occurrence_at, row.next_fire_at = "ended", None, None
        session.add(row)

    call(fire)
    renamed = call(service.update_reminder, user=berlin, reminder_id=once.id,
                   data=ReminderInput(title="Called the pharmacy", starts_at=datetime(2020, 1, 1, 8, 0)))
    assert (renamed.title, renamed.status, renamed.next_fire_at) == ("Called the pharmacy", "ended", None)
    with pytest.raises(InvalidInput) as caught:
        call(service.update_reminder, user=berlin, reminder_id=once.id,
             data=ReminderInput(title="Called the pharmacy", starts_at=datetime(2021, 1, 1, 8, 0)))
    assert caught.value.code == "reminders.in_past"
    for action in (service.pause_reminder, service.resume_reminder):
        with pytest.raises(InvalidInput):
            call(action, user=berlin, reminder_id=once.id)
    again = call(service.update_reminder, user=berlin, reminder_id=once.id,
                 data=ReminderInput(title="Call again", starts_at=tomorrow_at(10)))
    assert again.status == "active" and again.next_occurrence_at is not None


@pytest.mark.parametrize(("changes", "code"), [
    ({"title": "  "}, "reminders.title_required"),
    ({"title": "x" * 201}, "reminders.title_too_long"),
    ({"note": "dose " * 10_000}, "reminders.note_too_long"),
    ({"starts_at": datetime(2020, 1, 1, 8, 0), "recurrence": "once"}, "reminders.in_past"),
    ({"starts_at": "tomorrow morning"}, "reminders.start_invalid"),
    ({"timezone": "Mars/Olympus"}, "auth.timezone_invalid"),
    ({"recurrence": "fortnightly"}, "reminders.recurrence_invalid"),
    ({"kind": "vitamin"}, "reminders.kind_invalid"),
    ({"recurrence": "rrule", "rrule": "FREQ=DAILY;BYHOUR=25"}, "reminders.rrule_invalid"),
    ({"recurrence": "rrule", "rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"}, "reminders.never_occurs"),
    ({"recurrence": "rrule", "rrule": "FREQ=MINUTELY"}, "reminders.too_frequent"),
    ({"recurrence": "hourly", "interval_hours": 2, "window_start": "20:00", "window_end": "08:00"},
     "reminders.window_invalid"),
    ({"until_date": "2020-01-01"}, "reminders.until_before_start"),
    ({"starts_at": datetime(2020, 1, 1, 8, 0), "until_date": "2020-02-01"}, "reminders.no_future_occurrence"),
    ({"count": 0}, "reminders.count_invalid"),
    ({"channels": ["pigeon"]}, "reminders.channel_unsupported"),
])
def test_bad_input_is_refused_and_nothing_is_stored(berlin, call, changes, code):
    with pytest.raises(InvalidInput) as caught:
        call(service.create_reminder, user=berlin, data=daily(**changes))
    assert caught.value.code == code
    assert count_reminders(call) == 0


def test_bad_edit_leaves_the_reminder_as_it_was(berlin, call):
    reminder = call(service.create_reminder, user=berlin, data=daily())
    with pytest.raises(InvalidInput):
        call(service.update_reminder, user=berlin, reminder_id=reminder.id, data=daily("New", note="x" * 50_000))
    kept = call(service.get_reminder, user=berlin, reminder_id=reminder.id)
    assert (kept.title, kept.note, kept.next_fire_at) == ("Metformin", "", reminder.next_fire_at)


def test_another_users_reminder_and_task_are_not_found(berlin, make_user, call):
    intruder = make_user()
    reminder = call(service.create_reminder, user=berlin, data=daily())
    task = call(lambda session: session.merge(Task(user_id=berlin.id, title="Refill prescription")))
    missing = uuid.uuid4()
    actions = [
        (service.get_reminder, {}), (service.pause_reminder, {}), (service.resume_reminder, {}),
        (service.snooze_reminder, {"minutes": 10}), (service.delete_reminder, {}),
        (service.update_reminder, {"data": daily("Mine now")}), (views.adherence, {}),
        (views.reminder_view, {"language": "en"}),
    ]
    for action, extra in actions:
        for reminder_id in (reminder.id, missing):
            with pytest.raises(NotFound) as caught:
                call(action, user=intruder, reminder_id=reminder_id, **extra)
            assert caught.value.code == "reminders.not_found"
    assert call(service.list_reminders, user=intruder) == []
    assert call(views.list_reminder_views, user=intruder, language="en") == []
    with pytest.raises(NotFound) as caught:
        call(service.create_reminder, user=intruder, data=daily(task_id=task.id))
    assert caught.value.code == "reminders.task_not_found"
    linked = call(service.create_reminder, user=berlin, data=daily("Refill", task_id=task.id))
    assert linked.task_id == task.id
    kept = call(service.get_reminder, user=berlin, reminder_id=reminder.id)
    assert (kept.title, kept.status) == ("Metformin", "active")


def test_each_change_signals_the_scheduler_and_the_tabs_on_commit(berlin, database, call):
    def sent(action) -> tuple[list[str], list[events.Event]]:
        with psycopg.connect(database.url, autocommit=True) as listener:
            listener.execute(f"LISTEN {SCHEDULER_CHANNEL}")
            listener.execute(f"LISTEN {events.CHANNEL}")
            action()
            notes = list(listener.notifies(timeout=0.5))
        return ([note.payload for note in notes if note.channel == SCHEDULER_CHANNEL],
                [event for note in notes if note.channel == events.CHANNEL
                 and isinstance(event := events.decode(note.payload), events.Event)])

    created: list[Reminder] = []
    signals, published = sent(lambda: created.append(call(service.create_reminder, user=berlin, data=daily())))
    reminder_id = created[0].id
    assert signals == [f"reminder:{reminder_id}"]
    assert [(event.user_ids, event.topic, event.payload) for event in published] == [
        (frozenset({berlin.id}), "reminder", {"reminder_id": str(reminder_id), "action": "created"})]
    for action, extra, name in ((service.snooze_reminder, {"minutes": 5}, "snoozed"),
                                (service.pause_reminder, {}, "paused"), (service.resume_reminder, {}, "resumed"),
                                (service.delete_reminder, {}, "deleted")):
        signals, published = sent(lambda action=action, extra=extra: call(action, user=berlin,
                                                                          reminder_id=reminder_id, **extra))
        assert signals == [f"reminder:{reminder_id}"] and [event.payload["action"] for event in published] == [name]

    def refused() -> None:
        with pytest.raises(InvalidInput):
            call(service.create_reminder, user=berlin, data=daily(title=""))

    assert sent(refused) == ([], [])


def test_adherence_counts_acknowledged_and_missed_occurrences_with_the_median_lateness(berlin, call):
    reminder = call(service.create_reminder, user=berlin, data=daily())
    now = utcnow().replace(second=0, microsecond=0)

    def notification(days_ago: int, status: str, late_minutes: int | None = None) -> Notification:
        occurrence = now - timedelta(days=days_ago)
        return Notification(
            user_id=berlin.id, type="reminder", channel="in_app", status=status, title="Metformin",
            reminder_id=reminder.id, occurrence_at=occurrence, scheduled_at=occurrence,
            acknowledged_at=occurrence + timedelta(minutes=late_minutes) if late_minutes is not None else None,
            idempotency_key=f"reminder:{reminder.id}:{occurrence.isoformat()}:in_app")

    rows = [notification(1, "acknowledged", 5), notification(2, "acknowledged", 11), notification(3, "missed"),
            notification(4, "sent"), notification(20, "acknowledged", 300)]
    call(lambda session: session.add_all(rows))

    found = call(views.adherence, user=berlin, reminder_id=reminder.id)
    assert found == views.Adherence(days=14, occurrences=4, acknowledged=2, missed=1, median_minutes_late=8.0)
    [view] = call(views.list_reminder_views, user=berlin, language="en")
    assert view.adherence == found
    assert view.adherence_text == "Last 14 days: taken 2 of 4, median 8 min late, missed: 1"
    assert call(views.adherence, user=berlin, reminder_id=reminder.id, days=30).occurrences == 5


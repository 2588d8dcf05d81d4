"""Tasks as their owner sees them: nesting, completing and deleting with subtasks, due dates in the user's
time zone, the due filters of the local calendar, refused cycles and oversized text, and another user's
tasks out of reach on every path. Real PostgreSQL; each call is one committed request (``call``)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

import psycopg
import pytest
from sqlmodel import func, select

from assistant.core import events
from assistant.core.errors import InvalidInput, NotFound
from assistant.models import Task, TaskAuthor
from assistant.services.tasks import listing
from assistant.services.tasks import tasks as service
from assistant.services.tasks.due import Due, parse_due, parse_due_text, to_local

BIG = "x" * 50_000


def add(call, user, title, **fields) -> Task:
    return call(service.create_task, user=user, title=title, **fields)


def titles(call, user, **filters) -> list[tuple[str, int]]:
    """The listed tasks as ``(title, depth)``."""
    return [(row.task.title, row.depth) for row in call(listing.list_tasks, user=user, **filters)]


def stored(call, task_id) -> Task | None:
    return call(lambda session: session.get(Task, task_id))


def count_tasks(call) -> int:
    return call(lambda session: session.exec(select(func.count()).select_from(Task)).one())


def test_subtasks_nest_complete_with_their_parent_and_go_when_it_is_deleted(berlin, call):
    trip = add(call, berlin, "  Plan the   trip ")
    tickets = add(call, berlin, "Book tickets", parent_id=trip.id)
    hotel = add(call, berlin, "Book a hotel", parent_id=trip.id)
    near = add(call, berlin, "Near the station", parent_id=hotel.id)
    other = add(call, berlin, "Water the plants")

    assert trip.title == "Plan the trip" and trip.author == TaskAuthor.USER and trip.status == "todo"
    assert titles(call, berlin, sort="created") == [
        ("Water the plants", 0), ("Plan the trip", 0), ("Book a hotel", 1), ("Near the station", 2),
        ("Book tickets", 1)]
    rows = {row.task.title: row for row in call(listing.list_tasks, user=berlin)}
    assert (rows["Plan the trip"].subtasks, rows["Plan the trip"].subtasks_done) == (2, 0)

    # Completing one subtask leaves the parent open; completing the parent completes what is still open.
    call(service.complete_task, user=berlin, task_id=tickets.id)
    assert (call(listing.list_tasks, user=berlin)[0].subtasks_done, titles(call, berlin)[1:]) == (
        1, [("Book a hotel", 1), ("Near the station", 2), ("Water the plants", 0)])
    done = call(service.complete_task, user=berlin, task_id=trip.id)
    assert done.task.status == "done" and done.task.completed_at is not None and done.cascaded == 2
    assert titles(call, berlin) == [("Water the plants", 0)]
    assert titles(call, berlin, status="done", sort="created") == [
        ("Plan the trip", 0), ("Book a hotel", 1), ("Near the station", 2), ("Book tickets", 1)]

    # Reopening a subtask reopens the finished tasks above it, so it is never hidden under a done parent.
    reopened = call(service.set_status, user=berlin, task_id=near.id, status="in_progress")
    assert reopened.cascaded == 2
    assert {task.title: task.status for task in (stored(call, t.id) for t in (trip, tickets, hotel, near))} == {
        "Plan the trip": "todo", "Book tickets": "done", "Book a hotel": "todo", "Near the station": "in_progress"}
    assert stored(call, trip.id).completed_at is None

    # Cancelling cancels the open subtasks and leaves the done one done.
    cancelled = call(service.set_status, user=berlin, task_id=trip.id, status="cancelled")
    assert cancelled.cascaded == 2 and stored(call, tickets.id).status == "done"
    assert stored(call, near.id).status == "cancelled"

    # A new subtask under a closed task reopens it.
    add(call, berlin, "Pack", parent_id=trip.id)
    assert stored(call, trip.id).status == "todo"

    assert call(service.delete_task, user=berlin, task_id=trip.id) == 5
    assert [stored(call, t.id) for t in (trip, tickets, hotel, near)] == [None] * 4
    assert titles(call, berlin, status="all") == [("Water the plants", 0)]
    assert stored(call, other.id) is not None


def test_update_changes_only_what_is_given_and_moves_between_parents(berlin, call):
    home = add(call, berlin, "Home")
    work = add(call, berlin, "Work")
    task = add(call, berlin, "Fix the lamp", notes="Needs an E27 bulb", priority="high", parent_id=home.id,
               due=Due(date(2026, 3, 5), time(18, 0)))

    moved = call(service.update_task, user=berlin, task_id=task.id, parent_id=work.id, title="Fix the desk lamp")
    assert (moved.title, moved.notes, moved.priority, moved.parent_id) == (
        "Fix the desk lamp", "Needs an E27 bulb", "high", work.id)
    assert moved.due_at == datetime(2026, 3, 5, 17, 0, tzinfo=UTC)
    top = call(service.update_task, user=berlin, task_id=task.id, parent_id=None, due=None, notes=None,
               priority="LOW")
    assert (top.parent_id, top.due_at, top.due_all_day, top.notes, top.priority) == (None, None, False, "", "low")

    call(service.complete_task, user=berlin, task_id=work.id)
    call(service.update_task, user=berlin, task_id=task.id, parent_id=work.id)
    assert stored(call, work.id).status == "todo"  # an open task moved under a done one reopens it


def test_due_dates_are_the_users_local_time_stored_as_utc(berlin, call):
    winter = add(call, berlin, "Dentist", due=parse_due("2026-03-05", "09:30"))
    summer = add(call, berlin, "Passport", due=parse_due("2026-07-01", "09:30"))
    all_day = add(call, berlin, "Birthday", due=parse_due("2026-03-05", ""))
    skipped = add(call, berlin, "At 02:30 on the night the clocks go forward", due=parse_due("2026-03-29", "02:30"))

    assert winter.due_at == datetime(2026, 3, 5, 8, 30, tzinfo=UTC) and not winter.due_all_day
    assert summer.due_at == datetime(2026, 7, 1, 7, 30, tzinfo=UTC)
    assert all_day.due_all_day and to_local(all_day.due_at, True, "Europe/Berlin") == Due(date(2026, 3, 5))
    assert to_local(stored(call, winter.id).due_at, False, "Europe/Berlin") == Due(date(2026, 3, 5), time(9, 30))
    # 02:30 does not exist that night: it is read with the winter offset, i.e. 03:30 summer time.
    assert skipped.due_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert to_local(skipped.due_at, False, "Europe/Berlin") == Due(date(2026, 3, 29), time(3, 30))

    # The assistant's ISO values: local without an offset, or a moment with one shown on the user's clock.
    assert parse_due_text("2026-03-05T09:30", "Europe/Berlin") == Due(date(2026, 3, 5), time(9, 30))
    assert parse_due_text("2026-03-05T09:30Z", "Europe/Berlin") == Due(date(2026, 3, 5), time(10, 30))
    assert parse_due_text("2026-03-05", "Europe/Berlin") == Due(date(2026, 3, 5))
    for bad in ("tomorrow", "2026-02-30", "2026-03-05T25:00"):
        with pytest.raises(InvalidInput) as refused:
            parse_due_text(bad, "Europe/Berlin")
        assert refused.value.code == "tasks.bad_due"
    with pytest.raises(InvalidInput, match="tasks.time_without_date"):
        parse_due("", "09:00")
    with pytest.raises(InvalidInput, match="tasks.bad_date"):
        parse_due("05.03.2026")


def test_due_filters_follow_the_users_calendar(berlin, call):
    # 23:30 UTC on March 5 is already 00:30 on March 6 in Berlin.
    now = datetime(2026, 3, 5, 23, 30, tzinfo=UTC)
    add(call, berlin, "All day yesterday", due=Due(date(2026, 3, 5)))
    add(call, berlin, "An hour ago", due=Due(date(2026, 3, 5), time(23, 30)))
    add(call, berlin, "All day today", due=Due(date(2026, 3, 6)), priority="urgent")
    add(call, berlin, "This morning", due=Due(date(2026, 3, 6), time(8, 0)))
    add(call, berlin, "In six days", due=Due(date(2026, 3, 12)), priority="low")
    add(call, berlin, "In seven days", due=Due(date(2026, 3, 13)))
    add(call, berlin, "Someday")
    finished = add(call, berlin, "Done yesterday", due=Due(date(2026, 3, 5)))
    call(service.complete_task, user=berlin, task_id=finished.id)

    def shown(**filters):
        return [title for title, _ in titles(call, berlin, now=now, **filters)]

    assert shown(due="overdue") == ["All day yesterday", "An hour ago"]
    assert shown(due="today") == ["All day today", "This morning"]
    assert shown(due="week") == ["All day today", "This morning", "In six days"]
    assert shown(due="none") == ["Someday"]
    assert shown(due="overdue", status="all") == ["All day yesterday", "An hour ago"]  # a done task is not overdue
    assert shown(sort="priority")[:2] == ["All day today", "All day yesterday"]
    assert shown(sort="priority")[-1] == "In six days"
    assert shown(priority="low") == ["In six days"]
    assert shown(sort="due")[-1] == "Someday"
    for bad in ({"due": "later"}, {"sort": "random"}, {"status": "finished"}, {"priority": "asap"}):
        with pytest.raises(InvalidInput):
            shown(**bad)


def test_a_filtered_out_parent_leaves_its_subtask_at_the_top_with_the_parents_title(berlin, call):
    parent = add(call, berlin, "Renovate")
    add(call, berlin, "Buy paint", parent_id=parent.id, priority="urgent")

    [row] = call(listing.list_tasks, user=berlin, priority="urgent")
    assert (row.task.title, row.depth, row.parent_title) == ("Buy paint", 0, "Renovate")


def test_a_task_cannot_become_its_own_descendant(berlin, call):
    top = add(call, berlin, "Top")
    middle = add(call, berlin, "Middle", parent_id=top.id)
    bottom = add(call, berlin, "Bottom", parent_id=middle.id)

    for new_parent in (bottom, middle, top):
        with pytest.raises(InvalidInput) as refused:
            call(service.update_task, user=berlin, task_id=top.id, parent_id=new_parent.id, title="Changed")
        assert refused.value.code == "tasks.cycle"
    assert stored(call, top.id).parent_id is None and stored(call, top.id).title == "Top"
    assert titles(call, berlin) == [("Top", 0), ("Middle", 1), ("Bottom", 2)]


def test_oversized_or_empty_text_is_refused_and_nothing_is_stored(berlin, call):
    for fields, code in (({"title": BIG}, "tasks.title_too_long"), ({"title": "ok", "notes": BIG},
                                                                   "tasks.notes_too_long"),
                         ({"title": " \n "}, "tasks.title_empty"), ({"title": "ok", "priority": "asap"},
                                                                  "tasks.bad_priority")):
        with pytest.raises(InvalidInput) as refused:
            call(service.create_task, user=berlin, **fields)
        assert refused.value.code == code
    assert count_tasks(call) == 0

    task = add(call, berlin, "Short", notes="kept")
    for fields in ({"title": BIG}, {"notes": BIG}, {"status": "finished"}):
        with pytest.raises(InvalidInput):
            call(service.update_task, user=berlin, task_id=task.id, priority="urgent", **fields)
    assert (stored(call, task.id).title, stored(call, task.id).notes, stored(call, task.id).priority) == (
        "Short", "kept", "normal")


def test_another_users_tasks_are_out_of_reach(berlin, make_user, call):
    intruder = make_user()
    secret = add(call, berlin, "Berlin's secret", notes="private")
    own = add(call, intruder, "Mine")

    attempts = [
        (service.get_task, {"task_id": secret.id}),
        (service.update_task, {"task_id": secret.id, "title": "Stolen"}),
        (service.complete_task, {"task_id": secret.id}),
        (service.set_status, {"task_id": secret.id, "status": "cancelled"}),
        (service.delete_task, {"task_id": secret.id}),
        (service.get_task, {"task_id": uuid.uuid4()}),
    ]
    for action, fields in attempts:
        with pytest.raises(NotFound) as refused:
            call(action, user=intruder, **fields)
        assert refused.value.code == "tasks.not_found"
    for action, fields in ((service.create_task, {"title": "Under theirs", "parent_id": secret.id}),
                           (service.update_task, {"task_id": own.id, "parent_id": secret.id})):
        with pytest.raises(NotFound) as refused:
            call(action, user=intruder, **fields)
        assert refused.value.code == "tasks.parent_not_found"

    assert titles(call, intruder, status="all") == [("Mine", 0)]
    kept = stored(call, secret.id)
    assert (kept.title, kept.status, kept.user_id, kept.notes) == ("Berlin's secret", "todo", berlin.id, "private")
    assert stored(call, own.id).parent_id is None
    assert count_tasks(call) == 2


def test_every_change_is_published_to_the_owner_on_commit(berlin, database, call):
    def published(action) -> list[events.Event]:
        with psycopg.connect(database.url, autocommit=True) as listener:
            listener.execute(f"LISTEN {events.CHANNEL}")
            action()
            return [event for note in listener.notifies(timeout=0.5)
                    if isinstance(event := events.decode(note.payload), events.Event)]

    created: list[Task] = []
    [event] = published(lambda: created.append(add(call, berlin, "Call mum")))
    assert (event.user_ids, event.topic, event.payload) == (
        frozenset({berlin.id}), "task", {"task_id": str(created[0].id), "action": "created"})
    assert [e.payload["action"] for e in published(
        lambda: call(service.complete_task, user=berlin, task_id=created[0].id))] == ["status"]
    with pytest.raises(InvalidInput):
        call(service.update_task, user=berlin, task_id=created[0].id, title=BIG)
    assert published(lambda: None) == []
    assert [e.payload["action"] for e in published(
        lambda: call(service.delete_task, user=berlin, task_id=created[0].id))] == ["deleted"]


def test_a_tasks_reminder_fires_at_the_local_time_pauses_when_done_and_goes_with_the_task(berlin, make_user, call):
    from assistant.models import Reminder
    from assistant.services.tasks import reminding

    trip = add(call, berlin, "Plan the trip")
    visa = add(call, berlin, "Apply for the visa", parent_id=trip.id)
    reminder = call(reminding.remind, user=berlin, task_id=visa.id, at="2030-05-01T09:00")
    call(reminding.remind, user=berlin, task_id=trip.id, at="2030-06-01T18:30")

    assert (reminder.task_id, reminder.title, reminder.timezone, reminder.recurrence) == (
        visa.id, "Apply for the visa", "Europe/Berlin", "once")
    assert reminder.next_fire_at == datetime(2030, 5, 1, 7, 0, tzinfo=UTC)  # 09:00 CEST
    soonest = call(reminding.next_reminders, user=berlin, task_ids=[trip.id, visa.id])
    assert {task_id: r.next_fire_at for task_id, r in soonest.items()} == {
        visa.id: datetime(2030, 5, 1, 7, 0, tzinfo=UTC), trip.id: datetime(2030, 6, 1, 16, 30, tzinfo=UTC)}

    with pytest.raises(InvalidInput) as past:
        call(reminding.remind, user=berlin, task_id=visa.id, at="2020-01-01T09:00")
    assert past.value.code == "reminders.in_past"
    intruder = make_user()
    with pytest.raises(NotFound, match="tasks.not_found"):
        call(reminding.remind, user=intruder, task_id=visa.id, at="2030-05-01T09:00")

    # Completing the parent completes the subtask and pauses both reminders: nothing reminds of finished work.
    call(service.complete_task, user=berlin, task_id=trip.id)
    statuses = call(lambda session: sorted(r.status for r in session.exec(select(Reminder))))
    assert statuses == ["paused", "paused"]
    assert call(reminding.next_reminders, user=berlin, task_ids=[trip.id, visa.id]) == {}

    assert call(service.delete_task, user=berlin, task_id=trip.id) == 2
    assert call(lambda session: session.exec(select(func.count()).select_from(Reminder)).one()) == 0

"""What the Reminders page sends and shows (on the real database, no browser): the form's fields, as the browser
submits them, become each repeat option and end; an edit form starts from the stored reminder and saving it
unchanged keeps its schedule; refused forms store nothing; the list shows the next five times in the
reminder's own zone, its adherence, and only the user's reminders."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from assistant.core.db import session_scope
from assistant.core.errors import InvalidInput
from assistant.models import Reminder
from assistant.services.scheduler import reminders, views
from assistant.ui.state.reminders import _edit_form, _end_mode, _input, _new_form, _read

BERLIN = ZoneInfo("Europe/Berlin")


def _tomorrow() -> str:
    return (datetime.now(BERLIN).date() + timedelta(days=1)).isoformat()


def _form(**fields: Any) -> dict[str, Any]:
    """A submitted form: the fields by name, as strings (checkboxes by id, as booleans)."""
    return {"title": "Metformin", "note": "", "kind": "medication", "date": _tomorrow(), "time": "08:00",
            "timezone": "Europe/Berlin", **fields}


def _create(user, form: dict[str, Any], recurrence: str, end: str = "none") -> Reminder:
    with session_scope() as session:
        return reminders.create_reminder(session=session, user=user, data=_input(form, recurrence, end, None))


def _count() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(Reminder)).one()


@pytest.mark.parametrize(("recurrence", "fields", "end", "rule", "until", "count"), [
    ("once", {}, "count", None, None, None),
    ("daily", {}, "none", "FREQ=DAILY", None, None),
    ("weekdays", {}, "until", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "2031-01-31", None),
    ("weekly", {"reminder_day_0": True, "reminder_day_3": "on", "reminder_day_5": False}, "count",
     "FREQ=WEEKLY;BYDAY=MO,TH", None, 3),
    ("monthly", {}, "none", "FREQ=MONTHLY", None, None),
    ("hourly", {"interval_hours": "4", "window_start": "08:00", "window_end": "20:00"}, "none",
     "FREQ=DAILY;BYHOUR=8,12,16,20;BYMINUTE=0;BYSECOND=0", None, None),
    ("rrule", {"rrule": "freq=monthly;byday=1mo"}, "none", "FREQ=MONTHLY;BYDAY=1MO", None, None),
])
def test_the_form_makes_each_repeat_option_and_end(make_user, recurrence, fields, end, rule, until, count):
    user = make_user()
    form = _form(until_date="2031-01-31", count="3", **fields)
    created = _create(user, form, recurrence, end)
    assert (created.recurrence, created.rrule, created.timezone) == (recurrence, rule, "Europe/Berlin")
    assert (str(created.until_date) if created.until_date else None, created.count) == (until, count)
    assert created.starts_at == datetime.fromisoformat(f"{_tomorrow()}T08:00")


def test_an_edit_form_starts_from_the_stored_reminder_and_saving_it_keeps_the_schedule(make_user):
    user = make_user()
    created = _create(user, _form(reminder_day_1=True, reminder_day_4=True, until_date="2031-06-30"), "weekly",
                      "until")
    with session_scope() as session:
        view = views.reminder_view(session=session, user=user, reminder_id=created.id, language="en")
    values = _edit_form(view)
    assert values["date"] == _tomorrow() and values["time"] == "08:00" and values["kind"] == "medication"
    assert [values[f"day_{day}"] for day in range(7)] == ["", "on", "", "", "on", "", ""]
    assert (values["until_date"], _end_mode(view)) == ("2031-06-30", "until")

    submitted = {**values, **{f"reminder_day_{day}": values[f"day_{day}"] == "on" for day in range(7)}}
    with session_scope() as session:
        saved = reminders.update_reminder(session=session, user=user, reminder_id=created.id,
                                          data=_input(submitted, view.recurrence, _end_mode(view), view.task_id))
        assert (saved.rrule, saved.until_date, saved.starts_at) == (created.rrule, created.until_date,
                                                                    created.starts_at)


def test_a_new_form_starts_at_the_next_whole_hour_in_the_users_zone():
    values = _new_form("America/New_York")
    start = datetime.fromisoformat(f"{values['date']}T{values['time']}").replace(tzinfo=ZoneInfo("America/New_York"))
    ahead = start - datetime.now(ZoneInfo("America/New_York"))
    assert timedelta(0) < ahead <= timedelta(hours=1) and start.minute == 0
    assert values["timezone"] == "America/New_York" and values[f"day_{start.weekday()}"] == "on"


@pytest.mark.parametrize(("recurrence", "end", "fields", "code"), [
    ("once", "none", {"date": "2020-01-01"}, "reminders.in_past"),
    ("daily", "none", {"timezone": "Mars/Olympus"}, "auth.timezone_invalid"),
    ("rrule", "none", {"rrule": "FREQ=SOMETIMES"}, "reminders.rrule_invalid"),
    ("once", "none", {"title": "x" * 50_000}, "reminders.title_too_long"),
    ("daily", "until", {"until_date": ""}, "reminders.until_invalid"),
    ("daily", "count", {"count": "many"}, "reminders.count_invalid"),
    ("once", "none", {"time": ""}, "reminders.start_invalid"),
])
def test_a_refused_form_stores_nothing(make_user, recurrence, end, fields, code):
    user = make_user()
    before = _count()
    with pytest.raises(InvalidInput) as refused:
        _create(user, _form(**fields), recurrence, end)
    assert refused.value.code == code
    assert _count() == before


def test_the_list_shows_the_next_times_in_the_reminders_zone_and_only_the_users(make_user):
    user, stranger = make_user(), make_user()
    daily = _create(user, _form(), "daily")
    _create(stranger, _form(title="Stranger's"), "daily")
    with session_scope() as session:
        reminders.pause_reminder(session=session, user=user,
                                 reminder_id=_create(user, _form(title="Walk", kind="general"), "daily").id)
        rows = _read(session, user, "all", "en")
        paused = _read(session, user, "paused", "en")
        ru = _read(session, user, "active", "ru")
    first, walk = rows
    assert [row["title"] for row in rows] == ["Metformin", "Walk"] and first["id"] == str(daily.id)
    assert len(first["next"]) == 5 and first["next"][0].endswith("8:00\u202fAM")
    assert (first["status_text"], first["kind_text"], first["timezone"]) == ("Active", "Medication", "Europe/Berlin")
    assert first["schedule"] == "Every day at 8:00\u202fAM"
    assert first["adherence"].startswith("No reminders in the last")
    assert (walk["status_text"], walk["next"], walk["active"], walk["paused"]) == ("Paused", [], False, True)
    assert [row["title"] for row in paused] == ["Walk"]
    assert ru[0]["status_text"] == "Активно" and ru[0]["next"][0].endswith("08:00")

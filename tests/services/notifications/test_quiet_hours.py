"""Quiet hours and the preferences that hold them: when a message due at a moment may go out (a window within a day,
one that spans midnight, the ends of a window, daylight-saving changes), and what saving preferences accepts
(refused input changes nothing; the daily review's fields stay as they were)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from support.delivery import reachable, set_up_mail
from support.smtp_server import smtp_server

from assistant.core.db import session_scope
from assistant.core.errors import InvalidInput
from assistant.models import DeliveryPreferences
from assistant.models.user import Role
from assistant.services.notifications.preferences import (
    PreferencesInput,
    get_preferences,
    held_until,
    save_preferences,
)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _prefs(start: time | None, end: time | None) -> DeliveryPreferences:
    return DeliveryPreferences(quiet_start=start, quiet_end=end)


@pytest.mark.parametrize(("at", "released"), [
    ("2026-01-15T23:30:00+01:00", "2026-01-16T07:00:00+01:00"),  # after the start: tomorrow's end
    ("2026-01-16T06:59:00+01:00", "2026-01-16T07:00:00+01:00"),  # before the end: today's
    ("2026-01-15T22:00:00+01:00", "2026-01-16T07:00:00+01:00"),  # the start is quiet
    ("2026-01-16T07:00:00+01:00", None),  # the end is not
    ("2026-01-16T12:00:00+01:00", None),
])
def test_a_window_across_midnight_holds_until_its_end_in_the_users_zone(at, released):
    got = held_until(_prefs(time(22, 0), time(7, 0)), "Europe/Berlin", _at(at))
    assert got == (None if released is None else _at(released))


def test_a_window_within_a_day_and_no_window():
    prefs = _prefs(time(9, 0), time(17, 30))
    assert held_until(prefs, "America/New_York", _at("2026-05-04T10:00:00-04:00")) == _at("2026-05-04T17:30:00-04:00")
    assert held_until(prefs, "America/New_York", _at("2026-05-04T08:59:00-04:00")) is None
    assert held_until(prefs, "America/New_York", _at("2026-05-04T18:00:00-04:00")) is None
    assert held_until(_prefs(None, None), "UTC", _at("2026-05-04T10:00:00+00:00")) is None


def test_daylight_saving_changes_keep_the_local_end():
    """Berlin: clocks go forward on 2026-03-29 at 02:00 and back on 2026-10-25 at 03:00."""
    night = _prefs(time(22, 0), time(7, 0))
    # The night the clocks go forward: 07:00 is CEST (05:00 UTC), not 06:00 UTC.
    assert held_until(night, "Europe/Berlin", _at("2026-03-28T23:00:00+01:00")) == _at("2026-03-29T07:00:00+02:00")
    # The night they go back: 07:00 is CET (06:00 UTC).
    assert held_until(night, "Europe/Berlin", _at("2026-10-24T23:00:00+02:00")) == _at("2026-10-25T07:00:00+01:00")
    # An end inside the spring gap is read with the offset before it: 02:30+01:00, which is 03:30 CEST.
    gap = _prefs(time(1, 0), time(2, 30))
    assert held_until(gap, "Europe/Berlin", _at("2026-03-29T01:30:00+01:00")) == _at("2026-03-29T03:30:00+02:00")


@pytest.fixture
def user(make_user):
    return make_user()


def _save(user, **values) -> DeliveryPreferences:
    with session_scope() as session:
        return save_preferences(session=session, user=user, data=PreferencesInput(**values))


def _stored(user) -> DeliveryPreferences:
    with session_scope() as session:
        return get_preferences(session=session, user=user)


def test_preferences_are_saved_and_keep_the_review_fields(user):
    assert _stored(user).channels == {} and _stored(user).quiet_start is None, "the defaults"
    with session_scope() as session:
        session.add(DeliveryPreferences(user_id=user.id, review_enabled=False, review_time=time(9, 15)))
    saved = _save(user, channels={"reminder": [], "task": []}, quiet_start="22:00", quiet_end="07:00:42")
    assert (saved.channels, saved.quiet_start, saved.quiet_end) == ({}, time(22, 0), time(7, 0))
    again = _stored(user)
    assert (again.quiet_start, again.quiet_end, again.review_enabled, again.review_time) == (
        time(22, 0), time(7, 0), False, time(9, 15))
    _save(user, channels={}, quiet_start="", quiet_end=None)
    assert (_stored(user).quiet_start, _stored(user).quiet_end) == (None, None), "quiet hours off"


def test_channels_are_saved_where_the_user_can_be_reached(user, make_user):
    with pytest.raises(InvalidInput) as refused:
        _save(user, channels={"reminder": ["email"]})
    assert refused.value.code == "delivery.unavailable.email"
    with smtp_server() as server:
        set_up_mail(make_user(role=Role.ADMIN), server)
        user = reachable(user)
        saved = _save(user, channels={"reminder": ["email"], "ai_generated": ["email"], "alert": []})
    assert saved.channels == {"reminder": ["email"], "ai_generated": ["email"]}
    with pytest.raises(InvalidInput) as refused:
        _save(user, channels={"reminder": ["telegram"]})
    assert refused.value.code == "delivery.unavailable.telegram"
    assert _stored(user).channels == {"reminder": ["email"], "ai_generated": ["email"]}, "nothing changed"


@pytest.mark.parametrize(("values", "code"), [
    ({"channels": {"birthday": []}}, "delivery.type_invalid"),
    ({"channels": {"reminder": ["fax"]}}, "delivery.channel_invalid"),
    ({"channels": {"reminder": "email"}}, "delivery.channel_invalid"),
    ({"channels": {}, "quiet_start": "22:00"}, "delivery.quiet_incomplete"),
    ({"channels": {}, "quiet_start": "22:00", "quiet_end": "22:00"}, "delivery.quiet_empty"),
    ({"channels": {}, "quiet_start": "late", "quiet_end": "07:00"}, "delivery.quiet_invalid"),
])
def test_refused_preferences_change_nothing(user, values, code):
    _save(user, channels={}, quiet_start="23:00", quiet_end="06:00")
    with pytest.raises(InvalidInput) as refused:
        _save(user, **values)
    assert refused.value.code == code
    assert (_stored(user).quiet_start, _stored(user).quiet_end) == (time(23, 0), time(6, 0))

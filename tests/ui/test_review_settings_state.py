"""The state behind the Settings page's "Daily review" section, driven as a tab's events drive it: the stored
schedule shows, a new time and the switch are saved, a malformed time is explained and changes nothing."""

from __future__ import annotations

import asyncio
from datetime import time

from support.states import open_tab

from assistant.core.db import session_scope
from assistant.models import DeliveryPreferences
from assistant.ui.state.review import ReviewSettingsState


def test_the_review_schedule_is_shown_saved_and_a_bad_time_refused(make_user, sign_in):
    user = make_user()
    tab = open_tab(ReviewSettingsState, sign_in(user.email))
    asyncio.run(tab.load_review())
    assert (tab.review_on, tab.review_time) == (True, "08:00")

    asyncio.run(tab.save_review({"review_time": "7 am"}))
    assert tab.review_error == "Enter the time as hours and minutes, for example 08:00."
    with session_scope() as session:
        assert session.get(DeliveryPreferences, user.id) is None

    asyncio.run(tab.save_review({"review_time": "06:45"}))
    tab.set_review_on(False)
    asyncio.run(tab.save_review({"review_time": "06:45"}))
    assert (tab.review_message, tab.review_error, tab.review_on, tab.review_time) == ("Saved.", "", False, "06:45")
    with session_scope() as session:
        stored = session.get(DeliveryPreferences, user.id)
        assert (stored.review_enabled, stored.review_time) == (False, time(6, 45))

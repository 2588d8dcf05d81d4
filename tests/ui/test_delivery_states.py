"""The state behind the Settings page's "Notifications" section, driven as a tab's events drive it: a channel the
user cannot be reached on is offered disabled with the reason; choices and quiet hours are saved; a refused
choice is explained and changes nothing. And the notifications page's row of a failed mail: its channel and
the reason."""

from __future__ import annotations

import asyncio
from datetime import time

from support.delivery import make_reminder, reachable, set_up_mail
from support.smtp_server import smtp_server
from support.states import open_tab

from assistant.core.db import session_scope
from assistant.models import DeliveryPreferences, Notification
from assistant.models.base import utcnow
from assistant.models.user import Role
from assistant.ui.state.delivery import DeliverySettingsState
from assistant.ui.state.notifications import _read_page


def _stored(user) -> DeliveryPreferences | None:
    with session_scope() as session:
        return session.get(DeliveryPreferences, user.id)


def test_unreachable_channels_are_explained_and_choices_are_saved(make_user, sign_in):
    user = make_user()
    tab = open_tab(DeliverySettingsState, sign_in(user.email))
    asyncio.run(tab.load_delivery())
    assert tab.delivery_reasons == {"email": "E-mail: the administrator has not set up mail yet.",
                                    "telegram": "Telegram: the administrator has not set up the bot yet."}
    assert not any(tab.delivery_checked.values()) and tab.quiet_on is False
    with smtp_server() as server:
        set_up_mail(make_user(role=Role.ADMIN), server)
        asyncio.run(tab.load_delivery())
        assert tab.delivery_reasons["email"] == "E-mail: verify your address first (above)."
        reachable(user)
        asyncio.run(tab.load_delivery())
        assert tab.delivery_reasons["email"] == ""

        tab.set_quiet_on(True)
        asyncio.run(tab.save_delivery({"reminder__email": "on", "ai_generated__email": "on",
                                       "quiet_start": "22:30", "quiet_end": "06:45"}))
        assert (tab.delivery_message, tab.delivery_error) == ("Saved.", "")
        assert tab.delivery_checked["reminder__email"] and not tab.delivery_checked["task__email"]
        stored = _stored(user)
        assert stored.channels == {"reminder": ["email"], "ai_generated": ["email"]}
        assert (stored.quiet_start, stored.quiet_end) == (time(22, 30), time(6, 45))

        asyncio.run(tab.save_delivery({"reminder__telegram": "on"}))
        assert tab.delivery_error.startswith("Telegram cannot be used yet")
        assert _stored(user).channels == {"reminder": ["email"], "ai_generated": ["email"]}, "nothing changed"

        tab.set_quiet_on(False)
        asyncio.run(tab.save_delivery({"reminder__email": "on"}))
        assert (_stored(user).quiet_start, _stored(user).quiet_end) == (None, None)


def test_a_failed_mail_shows_its_channel_and_reason_on_the_notifications_page(make_user):
    user = make_user()
    reminder = make_reminder(user, due=utcnow())
    with session_scope() as session:
        session.add(Notification(user_id=user.id, type="reminder", channel="email", status="failed", title="Insulin",
                                 reminder_id=reminder.id, occurrence_at=reminder.next_occurrence_at, attempts=1,
                                 last_error="535 5.7.8 Authentication credentials invalid", idempotency_key="k"))
    with session_scope() as session:
        [item] = _read_page(session, session.merge(user), "all", 10, "en").items
    assert (item["channel_text"], item["status_text"]) == ("E-mail", "Not delivered")
    assert item["reason"] == "Not delivered: 535 5.7.8 Authentication credentials invalid"
    assert (item["can_ack"], item["can_snooze"]) == (False, False)

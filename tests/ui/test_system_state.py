"""The admin console's System page state (on the real database, no browser): an admin's tab shows the health
checks (no worker here: the worker and scheduler checks fail and say so), the versions, the data folder's use and
the last errors; a user's tab sending the page's event is sent home with nothing."""

from __future__ import annotations

import asyncio

from support.states import open_tab

from assistant.models.user import Role
from assistant.ui.state.admin_system import SystemState


def test_an_admin_sees_health_versions_disk_and_errors(db, make_user, sign_in):
    make_user(email="root@example.com", role=Role.ADMIN)
    tab = open_tab(SystemState, sign_in("root@example.com"))
    asyncio.run(tab.load())
    assert tab.loaded and not tab.healthy
    checks = {row["name"]: row for row in tab.checks}
    assert checks["database"]["ok"] and checks["migrations"]["ok"]
    assert (checks["worker"]["ok"], checks["worker"]["detail"]) == ("", "no live worker")
    assert tab.failing.startswith("worker, scheduler")
    assert tab.workers == [] and tab.errors == []
    assert {"assistant", "python", "postgresql", "pgvector", "reflex"} <= {row["name"] for row in tab.versions}
    assert tab.disk_path and " / " in tab.disk_free


def test_a_user_sending_the_event_is_sent_home_with_nothing(db, make_user, sign_in):
    make_user(email="plain@example.com")
    tab = open_tab(SystemState, sign_in("plain@example.com"))
    reaction = str(asyncio.run(tab.load()))
    assert "You do not have permission" in reaction and "/chats" in reaction
    assert tab.checks == [] and tab.versions == [] and not tab.loaded

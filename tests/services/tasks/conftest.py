"""Fixtures of the task tests."""

from __future__ import annotations

import pytest

from assistant.models import User


@pytest.fixture
def berlin(make_user, call) -> User:
    """A user whose time zone is Europe/Berlin."""
    user = make_user()

    def set_zone(session, user):
        row = session.get(User, user.id)
        row.timezone = "Europe/Berlin"
        session.add(row)
        return row

    return call(set_zone, user=user)

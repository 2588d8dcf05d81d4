"""Answer preferences on the profile: preferred name, answer style, units, default model tier and the
confirm-health-facts setting; bad values are refused and nothing of the update is stored; a new chat
without an explicit tier uses the stored default tier."""

from __future__ import annotations

import pytest

from assistant.core.db import session_scope
from assistant.core.errors import InvalidInput
from assistant.models import User
from assistant.services.auth import profile
from assistant.services.chat import chats

PREFERENCES = ("display_name", "preferred_name", "answer_style", "units", "default_tier", "confirm_health_memories")


def update(user: User, data: dict) -> User:
    with session_scope() as sess:
        return profile.update_profile(session=sess, user=sess.get(User, user.id), data=data)


def stored(user: User) -> tuple:
    with session_scope() as sess:
        row = sess.get(User, user.id)
        return tuple(getattr(row, field) for field in PREFERENCES)


def test_new_accounts_have_the_default_preferences(db, make_user):
    user = make_user(display_name="Ann")
    assert stored(user) == ("Ann", "", "default", "metric", "medium", True)


def test_preferences_are_stored_and_the_preferred_name_is_one_trimmed_line(db, make_user):
    user = make_user(display_name="Ann")
    update(user, {"preferred_name": "  Dr.\n  Ann   Lee ", "answer_style": "concise", "units": "imperial",
                  "default_tier": "large", "confirm_health_memories": False})
    assert stored(user) == ("Ann", "Dr. Ann Lee", "concise", "imperial", "large", False)

    update(user, {"preferred_name": "   ", "answer_style": "detailed", "confirm_health_memories": True})
    assert stored(user) == ("Ann", "", "detailed", "imperial", "large", True)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"answer_style": "verbose"}, "auth.answer_style_invalid"),
        ({"answer_style": ""}, "auth.answer_style_invalid"),
        ({"units": "SI"}, "auth.units_invalid"),
        ({"default_tier": "huge"}, "auth.tier_invalid"),
        ({"default_tier": "Medium"}, "auth.tier_invalid"),
        ({"preferred_name": "x" * 101}, "auth.preferred_name_too_long"),
        ({"confirm_health_memories": "perhaps"}, "errors.invalid_input"),
        ({"units": 1}, "errors.invalid_input"),
        # valid fields next to an invalid one are not half-applied
        ({"preferred_name": "Half", "answer_style": "concise", "default_tier": "small",
          "confirm_health_memories": False, "display_name": "Changed", "units": "cubits"}, "auth.units_invalid"),
    ],
)
def test_invalid_preferences_are_refused_and_nothing_is_stored(db, make_user, data, code):
    user = make_user(display_name="Keep")
    with session_scope() as sess:
        row = sess.get(User, user.id)
        with pytest.raises(InvalidInput) as caught:
            profile.update_profile(session=sess, user=row, data=data)
        assert (row.display_name, row.preferred_name, row.answer_style, row.default_tier) == (
            "Keep", "", "default", "medium")  # the account object is untouched too
    assert caught.value.code == code
    assert stored(user) == ("Keep", "", "default", "metric", "medium", True)


def test_a_new_chat_without_a_tier_uses_the_default_tier(db, make_user):
    user = make_user()
    update(user, {"default_tier": "large"})
    with session_scope() as sess:
        # the stored preference counts, not the (stale) account object the caller holds
        default = chats.create_chat(session=sess, user=user)
        explicit = chats.create_chat(session=sess, user=user, tier="small")
    assert (default.tier, explicit.tier) == ("large", "small")

    update(user, {"default_tier": "small"})
    with session_scope() as sess:
        assert chats.create_chat(session=sess, user=sess.get(User, user.id)).tier == "small"

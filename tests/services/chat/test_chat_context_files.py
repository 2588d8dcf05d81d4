"""Context files: every save is a version, the same text twice stores nothing, restoring saves an old text
again; the primary context is edited by admins only, yet every user's assistant reads it."""

from __future__ import annotations

import pytest

from assistant.core.errors import Forbidden, InvalidInput, NotFound
from assistant.models import ContextScope
from assistant.services.chat import context_files as files

PERSONAL, PRIMARY = ContextScope.PERSONAL, ContextScope.PRIMARY


def test_saves_count_versions_and_the_same_text_stores_nothing(make_user, call):
    user = make_user(display_name="Alice")

    assert call(files.save_context, user=user, scope=PERSONAL, content="") == 0  # nothing to store yet
    assert call(files.list_versions, user=user, scope=PERSONAL) == []
    assert call(files.save_context, user=user, scope=PERSONAL, content="I am vegetarian.") == 1
    assert call(files.save_context, user=user, scope=PERSONAL, content="I am vegetarian.") == 1
    assert call(files.save_context, user=user, scope=PERSONAL, content="I am vegan.") == 2

    versions = call(files.list_versions, user=user, scope=PERSONAL)
    assert [(v.version, v.content, v.author) for v in versions] == [
        (2, "I am vegan.", "Alice"), (1, "I am vegetarian.", "Alice")]
    assert call(files.read_context, user=user, scope=PERSONAL) == "I am vegan."


def test_restoring_an_old_version_saves_it_as_the_newest(make_user, call):
    user = make_user()
    for text in ("first", "second", "third"):
        call(files.save_context, user=user, scope=PERSONAL, content=text)

    assert call(files.restore_version, user=user, scope=PERSONAL, version=1) == 4
    assert call(files.read_context, user=user, scope=PERSONAL) == "first"
    assert [v.content for v in call(files.list_versions, user=user, scope=PERSONAL)] == [
        "first", "third", "second", "first"]
    assert call(files.restore_version, user=user, scope=PERSONAL, version=4) == 4  # already current

    with pytest.raises(NotFound) as err:
        call(files.restore_version, user=user, scope=PERSONAL, version=99)
    assert err.value.code == "context.version_not_found"


def test_clearing_a_context_is_a_version_too(make_user, call):
    user = make_user()
    call(files.save_context, user=user, scope=PERSONAL, content="Something")

    assert call(files.save_context, user=user, scope=PERSONAL, content="") == 2
    assert call(files.read_context, user=user, scope=PERSONAL) == ""


def test_a_context_too_long_is_refused_and_nothing_is_stored(make_user, call):
    user = make_user()
    call(files.save_context, user=user, scope=PERSONAL, content="short")

    with pytest.raises(InvalidInput) as err:
        call(files.save_context, user=user, scope=PERSONAL, content="x" * 20_001)

    assert (err.value.code, err.value.params) == ("context.too_long", {"limit": 20_000})
    assert [v.version for v in call(files.list_versions, user=user, scope=PERSONAL)] == [1]
    assert call(files.save_context, user=user, scope=PERSONAL, content="x" * 20_000) == 2


def test_only_admins_edit_the_primary_context_but_everyone_reads_it(make_user, call, admin):
    user = make_user()

    for attempt in (lambda: call(files.save_context, user=user, scope=PRIMARY, content="Mine now"),
                    lambda: call(files.list_versions, user=user, scope=PRIMARY),
                    lambda: call(files.restore_version, user=user, scope=PRIMARY, version=1)):
        with pytest.raises(Forbidden):
            attempt()

    assert call(files.save_context, user=admin, scope=PRIMARY, content="Be kind.") == 1
    assert call(files.save_context, user=admin, scope=PRIMARY, content="Be kind and brief.") == 2
    with pytest.raises(Forbidden):
        call(files.save_context, user=user, scope=PRIMARY, content="Be rude.")

    assert call(files.read_context, user=user, scope=PRIMARY) == "Be kind and brief."
    assert [v.version for v in call(files.list_versions, user=admin, scope=PRIMARY)] == [2, 1]


def test_personal_contexts_are_each_users_own(make_user, call, admin):
    alice, bob = make_user(), make_user()
    call(files.save_context, user=alice, scope=PERSONAL, content="Alice's notes")
    call(files.save_context, user=admin, scope=PERSONAL, content="The admin's own notes")

    assert call(files.read_context, user=bob, scope=PERSONAL) == ""
    assert call(files.list_versions, user=bob, scope=PERSONAL) == []
    assert call(files.save_context, user=bob, scope=PERSONAL, content="Bob's notes") == 1
    assert call(files.read_context, user=alice, scope=PERSONAL) == "Alice's notes"
    assert call(files.read_context, user=admin, scope=PERSONAL) == "The admin's own notes"
    assert call(files.read_context, user=admin, scope=PRIMARY) == ""

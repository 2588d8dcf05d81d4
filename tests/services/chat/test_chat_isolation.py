"""One user never reaches another user's chats, messages or personal skills: every chat function and a
turn answer ``NotFound`` for someone else's id, exactly as for a missing one, and change nothing."""

from __future__ import annotations

import uuid

import pytest

from assistant.core.errors import Forbidden, NotFound
from assistant.services.chat import chats, skills
from assistant.services.chat.turns import run_turn

pytestmark = pytest.mark.anyio

SKILL = {"name": "Nurse", "system_prompt": "Answer like a careful nurse.", "icon": "stethoscope"}


@pytest.fixture
async def alice_chat(make_user, call, turn):
    """Alice's chat with one offline exchange and a personal skill (an async fixture: the tests using it
    are async too)."""
    alice = make_user(display_name="Alice")
    skill = call(skills.create_skill, user=alice, scope="personal", data=SKILL)
    chat = call(chats.create_chat, user=alice, title="Alice private health notes", skill_id=skill.id)
    await turn(user=alice, chat_id=chat.id, text="My blood pressure was 150/95 today")
    answer = call(chats.list_messages, user=alice, chat_id=chat.id).messages[-1]
    return alice, chat, skill, answer


def snapshot(call, user, chat_id):
    chat = call(chats.get_chat, user=user, chat_id=chat_id)
    page = call(chats.list_messages, user=user, chat_id=chat_id)
    return (chat.title, chat.tier, chat.skill_id, chat.archived_at, chat.updated_at, chat.summary,
            [(m.id, m.seq, m.role, m.content, m.status) for m in page.messages])


CHAT_CALLS = {
    "get_chat": (chats.get_chat, {}),
    "rename_chat": (chats.rename_chat, {"title": "Taken over"}),
    "set_tier": (chats.set_tier, {"tier": "large"}),
    "set_skill": (chats.set_skill, {"skill_id": None}),
    "set_archived": (chats.set_archived, {"archived": True}),
    "delete_chat": (chats.delete_chat, {}),
    "list_messages": (chats.list_messages, {}),
    "list_messages_before": (chats.list_messages, {"before_seq": 10**9}),
}


@pytest.mark.parametrize("name", sorted(CHAT_CALLS))
async def test_another_users_chat_is_not_found_by_any_chat_function(name, alice_chat, make_user, call):
    alice, chat, _, _ = alice_chat
    bob = make_user()
    before = snapshot(call, alice, chat.id)
    function, kwargs = CHAT_CALLS[name]

    with pytest.raises(NotFound) as theirs:
        call(function, user=bob, chat_id=chat.id, **kwargs)
    with pytest.raises(NotFound) as missing:
        call(function, user=bob, chat_id=uuid.uuid4(), **kwargs)

    assert theirs.value.code == missing.value.code == "chat.not_found"
    assert snapshot(call, alice, chat.id) == before


async def test_another_users_message_context_is_not_found(alice_chat, make_user, call):
    alice, _, _, answer = alice_chat
    bob = make_user()

    with pytest.raises(NotFound) as theirs:
        call(chats.get_message_context, user=bob, message_id=answer.id)
    with pytest.raises(NotFound) as missing:
        call(chats.get_message_context, user=bob, message_id=uuid.uuid4())

    assert theirs.value.code == missing.value.code == "chat.message_not_found"
    assert [s["kind"] for s in call(chats.get_message_context, user=alice, message_id=answer.id)][-1] == "message"


@pytest.mark.parametrize(("mode", "text"), [("send", "Tell me her blood pressure"), ("regenerate", None),
                                            ("edit", "Replaced by someone else")])
async def test_a_turn_in_another_users_chat_is_not_found_and_stores_nothing(alice_chat, make_user, call, mode,
                                                                            text):
    alice, chat, _, _ = alice_chat
    bob = make_user()
    before = snapshot(call, alice, chat.id)

    with pytest.raises(NotFound) as err:
        async for _ in run_turn(user_id=bob.id, chat_id=chat.id, mode=mode, text=text):
            pass

    assert err.value.code == "chat.not_found"
    assert snapshot(call, alice, chat.id) == before


async def test_a_deactivated_user_cannot_run_a_turn(make_user, call):
    from assistant.core.db import session_scope
    from assistant.models import User

    user = make_user()
    chat = call(chats.create_chat, user=user, title="Mine")
    with session_scope() as session:
        session.get(User, user.id).is_active = False

    with pytest.raises(NotFound):
        async for _ in run_turn(user_id=user.id, chat_id=chat.id, text="Hello?"):
            pass
    with session_scope() as session:
        user = session.get(User, user.id)
    assert call(chats.list_messages, user=user, chat_id=chat.id).messages == []


async def test_lists_and_searches_never_show_another_users_chats(alice_chat, make_user, call):
    alice, chat, _, _ = alice_chat
    bob = make_user()
    own = call(chats.create_chat, user=bob, title="Bob health notes")
    call(chats.set_archived, user=alice, chat_id=chat.id, archived=True)

    assert [s.id for s in call(chats.list_chats, user=bob)] == [own.id]
    assert call(chats.list_chats, user=bob, archived=True) == []
    assert [s.id for s in call(chats.search_chats, user=bob, query="health notes")] == [own.id]
    assert call(chats.search_chats, user=bob, query="150/95") == []
    assert call(chats.search_chats, user=bob, query="Alice") == []
    assert [s.id for s in call(chats.search_chats, user=alice, query="150/95")] == [chat.id]


async def test_another_users_personal_skill_is_invisible_and_unusable(alice_chat, make_user, call):
    alice, _, skill, _ = alice_chat
    bob = make_user()
    bobs_chat = call(chats.create_chat, user=bob, title="Bob's")

    with pytest.raises(NotFound) as on_create:
        call(chats.create_chat, user=bob, skill_id=skill.id)
    with pytest.raises(NotFound) as on_pick:
        call(chats.set_skill, user=bob, chat_id=bobs_chat.id, skill_id=skill.id)
    with pytest.raises(NotFound) as on_edit:
        call(skills.update_skill, user=bob, skill_id=skill.id, data={**SKILL, "name": "Mine now"})
    with pytest.raises(NotFound) as on_delete:
        call(skills.delete_skill, user=bob, skill_id=skill.id)

    codes = {err.value.code for err in (on_create, on_pick, on_edit, on_delete)}
    assert codes == {"skills.not_found"}
    assert call(skills.list_skills, user=bob) == []
    assert [s.name for s in call(skills.list_skills, user=alice)] == ["Nurse"]
    assert call(chats.get_chat, user=bob, chat_id=bobs_chat.id).skill_id is None
    assert [s.id for s in call(chats.list_chats, user=bob)] == [bobs_chat.id]


def test_general_skills_are_usable_by_everyone_but_edited_only_by_admins(make_user, call, admin):
    user = make_user()
    with pytest.raises(Forbidden):
        call(skills.create_skill, user=user, scope="general", data=SKILL)
    general = call(skills.create_skill, user=admin, scope="general", data={**SKILL, "name": "Coach"})
    chat = call(chats.create_chat, user=user, title="Run plan")

    assert call(chats.set_skill, user=user, chat_id=chat.id, skill_id=general.id).skill_id == general.id
    with pytest.raises(Forbidden):
        call(skills.update_skill, user=user, skill_id=general.id, data={**SKILL, "name": "Hijacked"})
    with pytest.raises(Forbidden):
        call(skills.delete_skill, user=user, skill_id=general.id)
    assert [s.name for s in call(skills.list_skills, user=user, scope="general")] == ["Coach"]

    updated = call(skills.update_skill, user=admin, skill_id=general.id, data={**SKILL, "name": "Running coach"})
    assert updated.name == "Running coach"
    call(skills.delete_skill, user=admin, skill_id=general.id)
    assert call(chats.get_chat, user=user, chat_id=chat.id).skill_id is None  # the chat goes on without one


def test_a_switched_off_skill_cannot_be_picked(make_user, call, admin):
    user = make_user()
    general = call(skills.create_skill, user=admin, scope="general", data={**SKILL, "is_active": False})
    chat = call(chats.create_chat, user=user, title="x")

    with pytest.raises(NotFound) as err:
        call(chats.set_skill, user=user, chat_id=chat.id, skill_id=general.id)

    assert err.value.code == "skills.not_found"
    assert call(skills.list_skills, user=user, active_only=True) == []

"""Stopping an answer keeps what arrived; messages are checked before anything is stored; editing the last
message and answering again replace the old answer."""

from __future__ import annotations

import gc
import types
from pathlib import Path

import pytest
from support.llm_server import Reply, Turn

import assistant
from assistant.core.errors import InvalidInput
from assistant.services.chat import chats
from assistant.services.chat.turn_events import AnswerDelta, TitleChanged, TurnFinished
from assistant.services.chat.turns import MAX_MESSAGE_CHARS, run_turn

pytestmark = pytest.mark.anyio


def rows(call, user, chat_id):
    return call(chats.list_messages, user=user, chat_id=chat_id).messages


def suspended_app_generators() -> set[int]:
    """The app's async generators (the turn's, the provider's stream) that are started and not closed."""
    root = str(Path(assistant.__file__).parent)
    return {id(g) for g in gc.get_objects() if isinstance(g, types.AsyncGeneratorType) and g.ag_frame is not None
            and g.ag_code.co_filename.startswith(root)}


async def test_stop_keeps_the_partial_answer(make_user, call, online, llm_server, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user, tier=online.tier)
    llm_server.script(Reply(events=online.events(Turn(text=("Hel", "lo", " there"))),
                            stall_after=online.frames_before_text + 1, stall=30))  # slow after "Hel"

    received = []
    before = suspended_app_generators()
    answer = run_turn(user_id=user.id, chat_id=chat.id, text="Tell me a story")
    async for event in answer:
        received.append(event)
        if isinstance(event, AnswerDelta):
            break
    await answer.aclose()  # the stop button

    assert received[-1] == AnswerDelta("Hel")
    assert suspended_app_generators() <= before  # the model's stream was closed with the turn, not left to gc
    question, stopped = rows(call, user, chat.id)
    assert (question.content, question.status) == ("Tell me a story", "complete")
    assert (stopped.id, stopped.content, stopped.status, stopped.error_code) == (
        received[0].answer_id, "Hel", "incomplete", "chat.stopped")
    assert len(llm_server.requests) == 1

    llm_server.script(Reply(events=online.events(Turn(text=("Once upon a time.",)))),
                      Reply(events=online.events(Turn(text=("A story",)))))
    events = await turn(user=user, chat_id=chat.id, mode="regenerate")

    assert events[-2:] == [TurnFinished("complete", "", False, 12, 7), TitleChanged("A story")]
    assert [(m.id, m.content, m.status) for m in rows(call, user, chat.id)] == [
        (question.id, "Tell me a story", "complete"), (events[0].answer_id, "Once upon a time.", "complete")]


@pytest.mark.parametrize("text", ["", "   ", " \n\t \n"])
async def test_an_empty_message_is_refused_and_nothing_is_stored(text, make_user, call, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user)
    before = call(chats.get_chat, user=user, chat_id=chat.id)

    with pytest.raises(InvalidInput) as err:
        await turn(user=user, chat_id=chat.id, text=text)

    assert err.value.code == "chat.empty_message"
    assert rows(call, user, chat.id) == []
    after = call(chats.get_chat, user=user, chat_id=chat.id)
    assert (after.title, after.updated_at) == (before.title, before.updated_at)


async def test_a_message_too_long_is_refused_and_nothing_is_stored(make_user, call, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user)

    with pytest.raises(InvalidInput) as err:
        await turn(user=user, chat_id=chat.id, text="x" * 100_000)

    assert (err.value.code, err.value.params) == ("chat.message_too_long", {"limit": MAX_MESSAGE_CHARS})
    assert rows(call, user, chat.id) == []

    await turn(user=user, chat_id=chat.id, text="  " + "y" * MAX_MESSAGE_CHARS + "  ")  # at the limit, trimmed
    assert rows(call, user, chat.id)[0].content == "y" * MAX_MESSAGE_CHARS


async def test_edit_replaces_the_last_message_and_its_answer(make_user, call, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user)
    await turn(user=user, chat_id=chat.id, text="First question")
    await turn(user=user, chat_id=chat.id, text="Secnod qeustion")
    first_q, first_a, typo, old_answer = rows(call, user, chat.id)

    events = await turn(user=user, chat_id=chat.id, mode="edit", text="  Second question ")

    started = events[0]
    assert (started.user_message.id, started.user_message.content) == (typo.id, "Second question")
    assert started.removed_after_seq == typo.seq
    assert not any(isinstance(event, TitleChanged) for event in events)
    after = rows(call, user, chat.id)
    assert [m.id for m in after] == [first_q.id, first_a.id, typo.id, started.answer_id]
    assert after[2].content == "Second question" and old_answer.id not in [m.id for m in after]
    assert call(chats.get_chat, user=user, chat_id=chat.id).title == "First question"


async def test_an_empty_edit_is_refused_and_changes_nothing(make_user, call, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user)
    await turn(user=user, chat_id=chat.id, text="Keep me")
    before = [(m.id, m.content) for m in rows(call, user, chat.id)]

    with pytest.raises(InvalidInput) as err:
        await turn(user=user, chat_id=chat.id, mode="edit", text="  ")

    assert err.value.code == "chat.empty_message"
    assert [(m.id, m.content) for m in rows(call, user, chat.id)] == before


@pytest.mark.parametrize("mode", ["regenerate", "edit"])
async def test_nothing_to_answer_again_in_an_empty_chat(mode, make_user, call, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user)

    with pytest.raises(InvalidInput) as err:
        await turn(user=user, chat_id=chat.id, mode=mode, text="Edited")

    assert err.value.code == "chat.nothing_to_regenerate"
    assert rows(call, user, chat.id) == []


async def test_regenerate_answers_the_last_message_again(make_user, call, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user)
    await turn(user=user, chat_id=chat.id, text="Hello")
    question, old = rows(call, user, chat.id)

    events = await turn(user=user, chat_id=chat.id, mode="regenerate")

    assert events[0].user_message.id == question.id and events[0].removed_after_seq == question.seq
    assert [m.id for m in rows(call, user, chat.id)] == [question.id, events[0].answer_id]
    assert events[0].answer_id != old.id

"""Answering a turn: offline mode, streamed text from a loopback model, the tool loop, titles."""

from __future__ import annotations

import pytest
from support.llm_server import Reply, ToolUse, Turn, openai_events

from assistant.core.db import session_scope
from assistant.services.chat import chats
from assistant.services.chat.turn_events import AnswerDelta, TitleChanged, ToolActivity, TurnFinished, TurnStarted
from assistant.services.chat.turns import run_turn

pytestmark = pytest.mark.anyio


def new_chat(user, **kwargs):
    with session_scope() as session:
        return chats.create_chat(session=session, user=user, **kwargs)


def page(user, chat_id):
    with session_scope() as session:
        return chats.list_messages(session=session, user=user, chat_id=chat_id)


async def collect(**kwargs):
    return [event async for event in run_turn(**kwargs)]


async def test_offline_answer_is_honest_and_stored(make_user, db):
    user = make_user()
    chat = new_chat(user)

    events = await collect(user_id=user.id, chat_id=chat.id, text="What was my cholesterol in March?")

    assert isinstance(events[0], TurnStarted) and events[0].offline
    text = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    assert "No language model is configured" in text
    assert "ASSISTANT_OPENAI_API_KEY" in text
    finished = next(e for e in events if isinstance(e, TurnFinished))
    assert finished.status == "complete"
    assert events[-1] == TitleChanged("What was my cholesterol in March?")
    stored = page(user, chat.id).messages
    assert [(m.role, m.status) for m in stored] == [("user", "complete"), ("assistant", "complete")]
    assert stored[1].content == text


async def test_streamed_answer_with_a_tool_round(make_user, openai_online, llm_server):
    user = make_user()
    chat = new_chat(user)
    llm_server.script(
        Reply(events=openai_events(Turn(tool_calls=(ToolUse("call_1", "get_current_time", ("{}",)),)))),
        Reply(events=openai_events(Turn(text=("It is ", "noon.")))),
        Reply(events=openai_events(Turn(text=("Time question",)))),
    )

    events = await collect(user_id=user.id, chat_id=chat.id, text="What time is it?")

    activity = next(e for e in events if isinstance(e, ToolActivity))
    assert activity.name == "get_current_time" and not activity.is_error and "local_time" in activity.result
    assert "".join(e.text for e in events if isinstance(e, AnswerDelta)) == "It is noon."
    assert events[-1] == TitleChanged("Time question")
    stored = page(user, chat.id).messages
    assert [m.role for m in stored] == ["user", "assistant", "tool", "assistant"]
    assert stored[1].tool_calls[0]["name"] == "get_current_time"
    assert stored[3].content == "It is noon." and stored[3].status == "complete"
    second = llm_server.requests[1].body
    assert second["messages"][-1]["role"] == "tool"

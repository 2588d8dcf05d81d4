"""Answers from a model, for both providers (the real SDK clients against the loopback server): the text
streams in order and is stored with its usage, tool calls run and their results go back to the model,
the tool loop stops after eight rounds, and bad tool arguments become an error result, not a crash."""

from __future__ import annotations

import json

import pytest
from support.llm_server import Reply, ToolUse, Turn

from assistant.services.chat import chats
from assistant.services.chat.turn_events import AnswerDelta, TitleChanged, ToolActivity, TurnFinished, TurnStarted
from assistant.services.chat.turns import MAX_TOOL_ROUNDS

pytestmark = pytest.mark.anyio


def stored(call, user, chat_id):
    return call(chats.list_messages, user=user, chat_id=chat_id, limit=200).messages


def deltas(events) -> list[str]:
    return [event.text for event in events if isinstance(event, AnswerDelta)]


def finished(events) -> TurnFinished:
    (event,) = [event for event in events if isinstance(event, TurnFinished)]
    return event


def tool_exchange(online_name: str, body: dict) -> tuple[list[dict], list[dict]]:
    """The last request's tool calls (id, name, arguments) and tool results (id, content, is_error)."""
    messages = body["messages"]
    if online_name == "openai":
        asking = max(i for i, m in enumerate(messages) if m.get("tool_calls"))
        calls = [{"id": c["id"], "name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"])}
                 for c in messages[asking]["tool_calls"]]
        results = [{"id": m["tool_call_id"], "content": m["content"], "is_error": None}
                   for m in messages[asking + 1:] if m["role"] == "tool"]
        return calls, results
    calls = [{"id": b["id"], "name": b["name"], "arguments": b["input"]}
             for b in messages[-2]["content"] if b["type"] == "tool_use"]
    results = [{"id": b["tool_use_id"], "content": b["content"], "is_error": b["is_error"]}
               for b in messages[-1]["content"] if b["type"] == "tool_result"]
    return calls, results


async def test_the_answer_streams_in_order_and_is_stored_with_its_usage(make_user, call, online, llm_server, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user, tier=online.tier)
    parts = ("The ", "ans", "wer is ", "42", ".")
    llm_server.script(Reply(events=online.events(Turn(text=parts, input_tokens=321, output_tokens=54))),
                      Reply(events=online.events(Turn(text=("Meaning of life",)))))

    events = await turn(user=user, chat_id=chat.id, text="What is the answer?")

    assert isinstance(events[0], TurnStarted) and not events[0].offline
    assert events[0].user_message.content == "What is the answer?"
    assert deltas(events) == list(parts)
    assert events[-2:] == [TurnFinished("complete", "", False, 321, 54), TitleChanged("Meaning of life")]
    user_row, answer = stored(call, user, chat.id)
    assert (user_row.role, user_row.content) == ("user", "What is the answer?")
    assert (answer.id, answer.role, answer.content, answer.status) == (
        events[0].answer_id, "assistant", "The answer is 42.", "complete")
    assert (answer.provider, answer.model, answer.tier) == (online.name, online.model, online.tier)
    assert (answer.input_tokens, answer.output_tokens) == (321, 54)
    assert call(chats.get_chat, user=user, chat_id=chat.id).title == "Meaning of life"
    answer_request, title_request = llm_server.requests
    assert answer_request.path == title_request.path == online.path
    assert answer_request.body["model"] == online.model and answer_request.body["stream"] is True
    assert "get_current_time" in json.dumps(answer_request.body["tools"])
    assert "tools" not in title_request.body


async def test_an_answer_cut_by_the_token_limit_is_marked_incomplete(make_user, call, online, llm_server, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user, title="Essay", tier=online.tier)
    llm_server.script(Reply(events=online.events(Turn(text=("Once upon a",), stop_reason="max_tokens"))))

    events = await turn(user=user, chat_id=chat.id, text="Write a long essay")

    assert finished(events) == TurnFinished("incomplete", "chat.answer_cut", False, 12, 7)
    answer = stored(call, user, chat.id)[-1]
    assert (answer.content, answer.status, answer.error_code) == ("Once upon a", "incomplete", "chat.answer_cut")


async def test_a_tool_round_trip(make_user, call, online, llm_server, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user, title="Clocks", tier=online.tier)
    llm_server.script(
        Reply(events=online.events(Turn(text=("Let me look.",), tool_calls=(
            ToolUse("call_here", "get_current_time", ()),
            ToolUse("call_tokyo", "get_current_time", ('{"timezone": ', '"Asia/Tokyo"}')),
        )))),
        Reply(events=online.events(Turn(text=("Noon here, ", "9 pm in Tokyo.")))),
    )

    events = await turn(user=user, chat_id=chat.id, text="What time is it here and in Tokyo?")

    activity = [event for event in events if isinstance(event, ToolActivity)]
    assert [(a.call_id, a.name, a.arguments, a.is_error) for a in activity] == [
        ("call_here", "get_current_time", {}, False),
        ("call_tokyo", "get_current_time", {"timezone": "Asia/Tokyo"}, False)]
    assert json.loads(activity[1].result)["timezone"] == "Asia/Tokyo"
    assert deltas(events) == ["Let me look.", "Noon here, ", "9 pm in Tokyo."]
    assert finished(events) == TurnFinished("complete", "", False, 24, 14)

    rows = stored(call, user, chat.id)
    assert [m.role for m in rows] == ["user", "assistant", "tool", "tool", "assistant"]
    assert rows[1].content == "Let me look." and rows[1].status == "complete"
    assert rows[1].tool_calls == [{"id": "call_here", "name": "get_current_time", "arguments": {}},
                                  {"id": "call_tokyo", "name": "get_current_time",
                                   "arguments": {"timezone": "Asia/Tokyo"}}]
    assert [(m.tool_call_id, m.is_error) for m in rows[2:4]] == [("call_here", False), ("call_tokyo", False)]
    assert json.loads(rows[2].content)["timezone"] == "UTC" and json.loads(rows[3].content)["timezone"] == "Asia/Tokyo"
    assert (rows[4].content, rows[4].status) == ("Noon here, 9 pm in Tokyo.", "complete")

    assert len(llm_server.requests) == 2
    calls, results = tool_exchange(online.name, llm_server.requests[1].body)
    assert calls == rows[1].tool_calls
    assert [(r["id"], r["content"]) for r in results] == [("call_here", rows[2].content),
                                                         ("call_tokyo", rows[3].content)]


async def test_the_tool_loop_stops_after_eight_rounds(make_user, call, online, llm_server, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user, title="Loop", tier=online.tier)
    llm_server.script(*[Reply(events=online.events(Turn(tool_calls=(ToolUse(f"call_{n}", "get_current_time"),))))
                        for n in range(MAX_TOOL_ROUNDS + 1)])

    events = await turn(user=user, chat_id=chat.id, text="Keep checking the time")

    assert MAX_TOOL_ROUNDS == 8 and len(llm_server.requests) == 8
    assert finished(events) == TurnFinished("incomplete", "chat.too_many_tool_rounds", False, 8 * 12, 8 * 7)
    assert len([event for event in events if isinstance(event, ToolActivity)]) == 7
    rows = stored(call, user, chat.id)
    assert [m.role for m in rows] == ["user"] + ["assistant", "tool"] * 7 + ["assistant"]
    last = rows[-1]
    assert (last.status, last.error_code, last.tool_calls) == ("incomplete", "chat.too_many_tool_rounds", [])


async def test_bad_tool_arguments_give_an_error_result_the_model_reads(make_user, call, online, llm_server, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user, title="Mars", tier=online.tier)
    llm_server.script(
        Reply(events=online.events(Turn(tool_calls=(
            ToolUse("call_mars", "get_current_time", ('{"timezone": "Mars/Olympus_Mons"}',)),
            ToolUse("call_what", "no_such_tool", ("{}",)),
        )))),
        Reply(events=online.events(Turn(text=("I cannot tell the time on Mars.",)))),
    )

    events = await turn(user=user, chat_id=chat.id, text="What time is it on Mars?")

    activity = [event for event in events if isinstance(event, ToolActivity)]
    assert [(a.name, a.is_error) for a in activity] == [("get_current_time", True), ("no_such_tool", True)]
    assert activity[0].result.startswith("Invalid arguments: timezone:") and "Mars/Olympus_Mons" in activity[0].result
    assert activity[1].result == "Unknown tool 'no_such_tool'."
    assert finished(events).status == "complete"
    rows = stored(call, user, chat.id)
    assert [(m.role, m.is_error) for m in rows] == [("user", False), ("assistant", False), ("tool", True),
                                                    ("tool", True), ("assistant", False)]
    assert rows[-1].content == "I cannot tell the time on Mars."
    _, results = tool_exchange(online.name, llm_server.requests[1].body)
    assert [r["content"] for r in results] == [rows[2].content, rows[3].content]
    if online.name == "anthropic":
        assert [r["is_error"] for r in results] == [True, True]

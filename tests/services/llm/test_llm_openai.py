"""The OpenAI provider (and so every OpenAI-compatible server) against the loopback Chat Completions API:
streamed text, the request it sends, tool-call deltas assembled by index, and a tool round-trip whose
second request carries the result as a ``tool`` message."""

from __future__ import annotations

import json
import uuid

import pytest
from support.llm_server import Reply, ToolUse, Turn, openai_events
from support.llm_streams import collect, text_of, tool_calls_of

from assistant.services.llm.base import ChatMessage
from assistant.services.llm.events import Done, TextDelta, ToolCall, Usage
from assistant.services.llm.openai_provider import OpenAIProvider
from assistant.services.tools.builtin import builtin_registry
from assistant.services.tools.registry import ToolContext
from assistant.services.tools.spec import to_openai

pytestmark = pytest.mark.anyio
KEY = "sk-loopback"


@pytest.fixture
async def provider(llm_server):
    provider = OpenAIProvider(api_key=KEY, base_url=f"{llm_server.url}/v1", timeout=5, max_retries=0)
    yield provider
    await provider.aclose()


def ask(provider, messages, tools=(), system="Be brief."):
    return provider.stream(messages=messages, tools=list(tools), model="gpt-4o-mini", max_tokens=300,
                           temperature=0.3, system=system)


async def test_streams_text_usage_and_stop_reason(provider, llm_server):
    llm_server.script(Reply(events=openai_events(Turn(text=("Hel", "lo, ", "world"), input_tokens=21,
                                                      output_tokens=5))))

    events = await collect(ask(provider, [ChatMessage(role="user", content="Hi")]))

    assert events == [TextDelta("Hel"), TextDelta("lo, "), TextDelta("world"), Usage(21, 5), Done("end_turn")]
    [request] = llm_server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body == {
        "model": "gpt-4o-mini", "max_tokens": 300, "temperature": 0.3, "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
    }


async def test_a_server_without_the_usage_chunk_still_finishes(provider, llm_server):
    llm_server.script(Reply(events=openai_events(Turn(text=("ok",), stop_reason="max_tokens"), usage=False)))

    events = await collect(ask(provider, [ChatMessage(role="user", content="Hi")], system=None))

    assert events == [TextDelta("ok"), Done("max_tokens")]
    assert llm_server.requests[0].body["messages"] == [{"role": "user", "content": "Hi"}]


async def test_tool_round_trip_sends_results_as_tool_messages(provider, llm_server):
    registry = builtin_registry()
    llm_server.script(
        Reply(events=openai_events(Turn(tool_calls=(
            ToolUse("call_a", "get_current_time", ('{"time', 'zone": "Asia', '/Tokyo"}')),
            ToolUse("call_b", "get_current_time", ("{}",)),
        )))),
        Reply(events=openai_events(Turn(text=("It is evening in Tokyo.",)))),
    )
    question = ChatMessage(role="user", content="What time is it in Tokyo and here?")

    first = await collect(ask(provider, [question], tools=registry.specs()))

    calls = tool_calls_of(first)
    assert calls == [ToolCall("call_a", "get_current_time", {"timezone": "Asia/Tokyo"}),
                     ToolCall("call_b", "get_current_time", {})]
    assert first[-1] == Done("tool_use") and text_of(first) == ""
    context = ToolContext(user_id=uuid.uuid4(), timezone="Europe/Moscow")
    results = [await registry.run(call, context=context) for call in calls]
    history = [question, ChatMessage(role="assistant", tool_calls=tuple(calls)),
               *(result.as_message() for result in results)]

    second = await collect(ask(provider, history, tools=registry.specs(), system=None))

    assert text_of(second) == "It is evening in Tokyo." and second[-1] == Done("end_turn")
    assert llm_server.requests[0].body["tools"] == [to_openai(spec) for spec in registry.specs()]
    user, assistant, tokyo, here = llm_server.requests[1].body["messages"]
    assert user == {"role": "user", "content": "What time is it in Tokyo and here?"}
    assert assistant == {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_a", "type": "function",
         "function": {"name": "get_current_time", "arguments": '{"timezone": "Asia/Tokyo"}'}},
        {"id": "call_b", "type": "function", "function": {"name": "get_current_time", "arguments": "{}"}},
    ]}
    assert (tokyo["role"], tokyo["tool_call_id"]) == ("tool", "call_a")
    assert json.loads(tokyo["content"])["local_time"].endswith("+09:00")
    assert (here["role"], here["tool_call_id"]) == ("tool", "call_b")
    assert json.loads(here["content"])["timezone"] == "Europe/Moscow"  # the user's zone, from the context


async def test_a_compatible_server_that_says_stop_after_tool_calls_still_means_tool_use(provider, llm_server):
    # Some OpenAI-compatible servers finish a tool-calling turn with "stop" instead of "tool_calls".
    turn = Turn(text=("Checking.",), tool_calls=(ToolUse("call_1", "get_current_time", ("{}",)),))
    llm_server.script(Reply(events=openai_events(turn, finish_reason="stop")))

    events = await collect(ask(provider, [ChatMessage(role="user", content="Time?")]))

    assert events[0] == TextDelta("Checking.")
    assert events[1] == ToolCall("call_1", "get_current_time", {})
    assert events[-1] == Done("tool_use")


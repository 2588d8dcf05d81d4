"""The Anthropic provider against the loopback Messages API: streamed text, the request it sends, and a
tool round-trip whose second request carries the result as a ``tool_result`` block."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import pytest
from support.llm_server import Reply, ToolUse, Turn, anthropic_events
from support.llm_streams import collect, text_of, tool_calls_of

from assistant.services.llm.anthropic_provider import AnthropicProvider
from assistant.services.llm.base import ChatMessage
from assistant.services.llm.events import Done, TextDelta, ToolCall, Usage
from assistant.services.tools.builtin import builtin_registry
from assistant.services.tools.registry import ToolContext
from assistant.services.tools.spec import to_anthropic

pytestmark = pytest.mark.anyio
KEY = "sk-ant-loopback"


@pytest.fixture
async def provider(llm_server):
    provider = AnthropicProvider(api_key=KEY, base_url=llm_server.url, timeout=5, max_retries=0)
    yield provider
    await provider.aclose()


def ask(provider, messages, tools=(), system="Be brief."):
    return provider.stream(messages=messages, tools=list(tools), model="claude-sonnet-5-5", max_tokens=300,
                           temperature=0.3, system=system)


async def test_streams_text_usage_and_stop_reason(provider, llm_server):
    llm_server.script(Reply(events=anthropic_events(Turn(text=("Hel", "lo, ", "world"), input_tokens=21,
                                                         output_tokens=5))))

    events = await collect(ask(provider, [ChatMessage(role="user", content="Hi")]))

    assert events == [TextDelta("Hel"), TextDelta("lo, "), TextDelta("world"), Usage(21, 5), Done("end_turn")]
    [request] = llm_server.requests
    assert request.path == "/v1/messages"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["anthropic-version"]
    assert request.body == {
        "model": "claude-sonnet-5-5", "max_tokens": 300, "system": "Be brief.", "stream": True,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
    }


async def test_cached_prompt_tokens_count_as_input(provider, llm_server):
    events = anthropic_events(Turn(text=("ok",), input_tokens=3, output_tokens=2))
    start = json.loads(events[0].split("data: ", 1)[1])
    start["message"]["usage"].update(cache_creation_input_tokens=100, cache_read_input_tokens=1000)
    events[0] = f"event: message_start\ndata: {json.dumps(start)}\n\n"
    llm_server.script(Reply(events=events))

    result = await collect(ask(provider, [ChatMessage(role="user", content="Hi")], system=None))

    assert Usage(1103, 2) in result
    assert "system" not in llm_server.requests[0].body


async def test_tool_round_trip_sends_results_as_tool_result_blocks(provider, llm_server):
    registry = builtin_registry()
    llm_server.script(
        Reply(events=anthropic_events(Turn(text=("Let me check.",), tool_calls=(
            ToolUse("toolu_01", "get_current_time", ('{"timez', 'one": "Asia', '/Tokyo"}')),
            ToolUse("toolu_02", "get_current_time"),  # no arguments: no input_json_delta at all
        )))),
        Reply(events=anthropic_events(Turn(text=("It is evening in Tokyo.",)))),
    )
    question = ChatMessage(role="user", content="What time is it in Tokyo and here?")

    first = await collect(ask(provider, [question], tools=registry.specs()))

    calls = tool_calls_of(first)
    assert calls == [ToolCall("toolu_01", "get_current_time", {"timezone": "Asia/Tokyo"}),
                     ToolCall("toolu_02", "get_current_time", {})]
    assert first[-1] == Done("tool_use")
    context = ToolContext(user_id=uuid.uuid4(), timezone="America/New_York")
    results = [await registry.run(call, context=context) for call in calls]
    history = [question, ChatMessage(role="assistant", content=text_of(first), tool_calls=tuple(calls)),
               *(result.as_message() for result in results)]

    second = await collect(ask(provider, history, tools=registry.specs()))

    assert text_of(second) == "It is evening in Tokyo." and second[-1] == Done("end_turn")
    assert llm_server.requests[0].body["tools"] == [to_anthropic(spec) for spec in registry.specs()]
    sent = llm_server.requests[1].body["messages"]
    assert sent[1] == {"role": "assistant", "content": [
        {"type": "text", "text": "Let me check."},
        {"type": "tool_use", "id": "toolu_01", "name": "get_current_time", "input": {"timezone": "Asia/Tokyo"}},
        {"type": "tool_use", "id": "toolu_02", "name": "get_current_time", "input": {}},
    ]}
    assert len(sent) == 3 and sent[2]["role"] == "user"  # both results in the one next user message
    tokyo, here = sent[2]["content"]
    assert (tokyo["type"], tokyo["tool_use_id"], tokyo["is_error"]) == ("tool_result", "toolu_01", False)
    assert (here["type"], here["tool_use_id"]) == ("tool_result", "toolu_02")
    assert json.loads(tokyo["content"])["timezone"] == "Asia/Tokyo"
    local = datetime.fromisoformat(json.loads(tokyo["content"])["local_time"])
    assert local.utcoffset() == timedelta(hours=9)
    assert json.loads(here["content"])["timezone"] == "America/New_York"  # the user's zone, from the context


async def test_a_failed_tool_is_sent_back_flagged_as_an_error(provider, llm_server):
    llm_server.script(Reply(events=anthropic_events(Turn(text=("Sorry.",)))))
    call = ToolCall("toolu_09", "get_current_time", {"timezone": "Mars/Olympus"})
    result = await builtin_registry().run(call, context=ToolContext(uuid.uuid4(), "UTC"))
    history = [ChatMessage(role="user", content="Time on Mars?"),
               ChatMessage(role="assistant", tool_calls=(call,)), result.as_message()]

    await collect(ask(provider, history))

    assistant_turn, results = llm_server.requests[0].body["messages"][1:]
    assert assistant_turn["content"] == [{"type": "tool_use", "id": "toolu_09", "name": "get_current_time",
                                          "input": {"timezone": "Mars/Olympus"}}]  # no empty text block
    [block] = results["content"]
    assert block["is_error"] is True and "unknown time zone" in block["content"]


async def test_stopping_early_closes_the_response_and_the_provider_stays_usable(provider, llm_server):
    llm_server.script(Reply(events=anthropic_events(Turn(text=("one", "two", "three"))), stall_after=4, stall=5),
                      Reply(events=anthropic_events(Turn(text=("again",)))))
    stream = ask(provider, [ChatMessage(role="user", content="Count")])

    assert await anext(stream) == TextDelta("one")
    await stream.aclose()  # the user pressed stop while the server is still streaming

    assert text_of(await collect(ask(provider, [ChatMessage(role="user", content="Again")]))) == "again"

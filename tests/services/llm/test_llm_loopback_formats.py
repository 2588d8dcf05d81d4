"""The loopback server's wire formats are the real ones: each SDK parses its JSON answers into typed
objects and assembles its streams with the SDK's own stream helpers (not our providers), and they agree."""

from __future__ import annotations

import anthropic
import openai
import pytest
from support.llm_server import (
    Reply,
    ToolUse,
    Turn,
    anthropic_events,
    anthropic_message,
    openai_completion,
    openai_events,
)

pytestmark = pytest.mark.anyio
TURN = Turn(text=("Checking ", "the clock."),
            tool_calls=(ToolUse("toolu_1", "get_current_time", ('{"timezone":', ' "Asia/Tokyo"}')),),
            input_tokens=30, output_tokens=9)
QUESTION = [{"role": "user", "content": "Time in Tokyo?"}]


async def test_anthropic_json_and_stream_parse_to_the_same_message(llm_server):
    llm_server.script(Reply(body=anthropic_message(TURN)), Reply(events=anthropic_events(TURN)))
    async with anthropic.AsyncAnthropic(api_key="k", base_url=llm_server.url, max_retries=0) as client:
        plain = await client.messages.create(model="test-model", max_tokens=50, messages=QUESTION)
        async with client.messages.stream(model="test-model", max_tokens=50, messages=QUESTION) as stream:
            streamed = await stream.get_final_message()

    for message in (plain, streamed):
        text, tool = message.content
        assert (text.type, text.text) == ("text", "Checking the clock.")
        assert (tool.type, tool.id, tool.name, tool.input) == ("tool_use", "toolu_1", "get_current_time",
                                                               {"timezone": "Asia/Tokyo"})
        assert (message.stop_reason, message.usage.input_tokens, message.usage.output_tokens) == ("tool_use", 30, 9)


async def test_openai_json_and_stream_parse_to_the_same_completion(llm_server):
    llm_server.script(Reply(body=openai_completion(TURN)), Reply(events=openai_events(TURN)))
    async with openai.AsyncOpenAI(api_key="k", base_url=f"{llm_server.url}/v1", max_retries=0) as client:
        plain = await client.chat.completions.create(model="test-model", messages=QUESTION)
        async with client.chat.completions.stream(model="test-model", messages=QUESTION,
                                                  stream_options={"include_usage": True}) as stream:
            streamed = await stream.get_final_completion()

    for completion in (plain, streamed):
        [choice] = completion.choices
        assert (choice.message.content, choice.finish_reason) == ("Checking the clock.", "tool_calls")
        [call] = choice.message.tool_calls
        assert (call.id, call.function.name, call.function.arguments) == (
            "toolu_1", "get_current_time", '{"timezone": "Asia/Tokyo"}')
        assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (30, 9)

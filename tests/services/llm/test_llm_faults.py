"""Provider faults, the same for both providers: each becomes one final ``Error`` event with a translated
code, text that already arrived is kept, and nothing is raised.

Every case runs the real SDK client against the loopback server: HTTP errors with each API's error
body, a response that starts too late, a stream that stalls, a closed port, malformed JSON, a dropped
connection, a stream that ends cleanly but early, and an error event in the middle of the stream.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from support.llm_server import (
    Reply,
    ToolUse,
    Turn,
    anthropic_error,
    anthropic_events,
    closed_port,
    openai_error,
    openai_events,
    sse,
)
from support.llm_streams import collect

from assistant.core.i18n import LANGUAGES, catalogue
from assistant.services.llm.anthropic_provider import AnthropicProvider
from assistant.services.llm.base import ChatMessage
from assistant.services.llm.events import Error, TextDelta
from assistant.services.llm.faults import ERROR_CODES
from assistant.services.llm.openai_provider import OpenAIProvider

pytestmark = pytest.mark.anyio
KEY = "sk-secret-loopback-key"
ANSWER = Turn(text=("Hel", "lo", " there"))


@dataclass(frozen=True)
class Kit:
    """How to build one provider and speak its wire format in these tests."""

    make: Callable[[str, float], object]  # (server root URL, timeout) -> provider
    events: Callable[[Turn], list[str]]
    error: Callable[[int], Reply]
    frames_before_text: int  # stream frames sent before the first text delta
    malformed: str
    error_event: str


ANTHROPIC_ERRORS = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                    404: "not_found_error", 429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}
KITS = {
    "anthropic": Kit(
        make=lambda url, timeout: AnthropicProvider(api_key=KEY, base_url=url, timeout=timeout, max_retries=0),
        events=anthropic_events,
        error=lambda status: anthropic_error(status, ANTHROPIC_ERRORS[status], "scripted failure"),
        frames_before_text=3,  # message_start, ping, content_block_start
        malformed="event: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"index\": 0,\n\n",
        error_event=sse({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
                        event="error"),
    ),
    "openai": Kit(
        make=lambda url, timeout: OpenAIProvider(api_key=KEY, base_url=f"{url}/v1", timeout=timeout,
                                                 max_retries=0),
        events=openai_events,
        error=lambda status: openai_error(status, "scripted failure", "invalid_request_error"),
        frames_before_text=1,  # the role chunk
        malformed="data: {\"id\": \"chatcmpl-loopback\", \"choices\": [\n\n",
        error_event=sse({"error": {"message": "The server had an error", "type": "server_error", "param": None,
                                   "code": None}}),
    ),
}


@pytest.fixture(params=sorted(KITS))
def kit(request) -> Kit:
    return KITS[request.param]


async def run(kit: Kit, url: str, *, timeout: float = 5.0):
    provider = kit.make(url, timeout)
    try:
        events = await collect(provider.stream(messages=[ChatMessage(role="user", content="Hi")], tools=[],
                                               model="test-model", max_tokens=100, temperature=0.0, system=None))
    finally:
        await provider.aclose()
    *before, last = events
    assert isinstance(last, Error) and last.message and KEY not in last.message
    assert not any(isinstance(event, Error) for event in before)
    return before, last


@pytest.mark.parametrize(("status", "code", "retryable"), [
    (401, "llm.auth_failed", False),
    (403, "llm.auth_failed", False),
    (429, "llm.rate_limited", True),
    (400, "llm.rejected", False),
    (404, "llm.rejected", False),
    (500, "llm.unavailable", True),
])
async def test_http_errors(kit, llm_server, status, code, retryable):
    llm_server.script(kit.error(status))

    before, error = await run(kit, llm_server.url)

    assert before == [] and (error.code, error.retryable) == (code, retryable)
    assert len(llm_server.requests) == 1


async def test_anthropic_overloaded_is_unavailable(llm_server):
    llm_server.script(KITS["anthropic"].error(529))

    _, error = await run(KITS["anthropic"], llm_server.url)

    assert (error.code, error.retryable) == ("llm.unavailable", True)


async def test_no_response_within_the_timeout(kit, llm_server):
    llm_server.script(Reply(events=kit.events(ANSWER), delay=3))

    before, error = await run(kit, llm_server.url, timeout=0.3)

    assert before == [] and (error.code, error.retryable) == ("llm.timeout", True)


async def test_a_stream_that_stalls_keeps_the_text_so_far(kit, llm_server):
    llm_server.script(Reply(events=kit.events(ANSWER), stall_after=kit.frames_before_text + 2, stall=3))

    before, error = await run(kit, llm_server.url, timeout=0.3)

    assert before == [TextDelta("Hel"), TextDelta("lo")] and error.code == "llm.timeout"


async def test_connection_refused(kit):
    before, error = await run(kit, f"http://127.0.0.1:{closed_port()}")

    assert before == [] and (error.code, error.retryable) == ("llm.unreachable", True)


async def test_malformed_json_in_the_stream(kit, llm_server):
    frames = kit.events(ANSWER)
    llm_server.script(Reply(events=[*frames[: kit.frames_before_text + 1], kit.malformed, *frames[-2:]]))

    before, error = await run(kit, llm_server.url)

    assert before == [TextDelta("Hel")] and error.code == "llm.bad_response"


async def test_tool_arguments_that_are_not_a_json_object(kit, llm_server):
    broken = Turn(tool_calls=(ToolUse("call_1", "get_current_time", ('{"timezone": "Asia/', 'Tok')),))
    llm_server.script(Reply(events=kit.events(broken)))

    before, error = await run(kit, llm_server.url)

    assert before == [] and error.code == "llm.bad_response"


async def test_dropped_connection_keeps_the_partial_answer(kit, llm_server):
    llm_server.script(Reply(events=kit.events(ANSWER), drop_after=kit.frames_before_text + 2))

    before, error = await run(kit, llm_server.url)

    assert before == [TextDelta("Hel"), TextDelta("lo")]
    assert (error.code, error.retryable) == ("llm.interrupted", True)


async def test_a_stream_that_ends_before_its_final_event(kit, llm_server):
    llm_server.script(Reply(events=kit.events(ANSWER)[: kit.frames_before_text + 2]))  # closed cleanly

    before, error = await run(kit, llm_server.url)

    assert before == [TextDelta("Hel"), TextDelta("lo")] and error.code == "llm.interrupted"


async def test_an_error_event_in_the_middle_of_the_stream(kit, llm_server):
    frames = kit.events(ANSWER)
    llm_server.script(Reply(events=[*frames[: kit.frames_before_text + 1], kit.error_event]))

    before, error = await run(kit, llm_server.url)

    assert before == [TextDelta("Hel")] and error.code == "llm.interrupted"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_error_code_is_translated(language):
    assert sorted(set(ERROR_CODES) - set(catalogue(language))) == []

"""Fixtures for the chat tests: a loopback provider server, settings pointing a tier at it, and short
ways to call the chat services the way a request does (one committed transaction per call)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from support.llm_server import (
    LoopbackLLMServer,
    Reply,
    Turn,
    anthropic_error,
    anthropic_events,
    openai_error,
    openai_events,
)


@pytest.fixture
def anyio_backend() -> str:
    """Run ``@pytest.mark.anyio`` tests on asyncio, the loop the app runs on."""
    return "asyncio"


@pytest.fixture
def llm_server() -> Iterator[LoopbackLLMServer]:
    """A started :class:`LoopbackLLMServer`; closed after the test."""
    with LoopbackLLMServer() as server:
        yield server


@pytest.fixture
def openai_online(configure, llm_server):
    """Settings with the OpenAI provider pointed at the loopback server (every openai tier answers)."""
    return configure(openai_api_key="sk-loopback", openai_base_url=f"{llm_server.url}/v1", llm_timeout_seconds=5)


@pytest.fixture
def anthropic_online(configure, llm_server):
    """Settings with only Anthropic configured, pointed at the loopback server; the tiers must be set to
    an Anthropic model by the test (the seed tier ``large`` is one, or see ``use_tier``)."""
    return configure(anthropic_api_key="sk-ant-loopback", anthropic_base_url=llm_server.url, llm_timeout_seconds=5)


@dataclass(frozen=True)
class Online:
    """One configured provider as the chat tests use it.

    ``tier``: a chat tier that this provider answers with the seed tiers (``medium`` is OpenAI,
    ``large`` is Anthropic); ``events`` renders a scripted :class:`Turn` in its wire format; ``error``
    an HTTP error reply in its format; ``frames_before_text``: stream frames before the first text.
    """

    name: str
    tier: str
    model: str
    path: str
    events: Callable[[Turn], list[str]]
    error: Callable[[int], Reply]
    frames_before_text: int
    malformed: str


ANTHROPIC_ERRORS = {401: "authentication_error", 429: "rate_limit_error", 500: "api_error",
                    529: "overloaded_error"}
ONLINE = {
    "openai": Online(
        name="openai", tier="medium", model="gpt-4o", path="/v1/chat/completions", events=openai_events,
        error=lambda status: openai_error(status, "scripted failure",
                                          "rate_limit_exceeded" if status == 429 else "invalid_request_error"),
        frames_before_text=1,  # the role chunk
        malformed="data: {\"id\": \"chatcmpl-loopback\", \"choices\": [\n\n",
    ),
    "anthropic": Online(
        name="anthropic", tier="large", model="claude-sonnet-5-5", path="/v1/messages", events=anthropic_events,
        error=lambda status: anthropic_error(status, ANTHROPIC_ERRORS[status], "scripted failure"),
        frames_before_text=3,  # message_start, ping, content_block_start
        malformed="event: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"index\": 0,\n\n",
    ),
}


@pytest.fixture(params=sorted(ONLINE))
def online(request) -> Online:
    """Each provider in turn, configured against the loopback server (``openai_online`` /
    ``anthropic_online``)."""
    request.getfixturevalue(f"{request.param}_online")
    return ONLINE[request.param]


@pytest.fixture
def admin(make_user):
    """A committed admin account."""
    return make_user(role="admin")


@pytest.fixture
def use_tier(call, admin) -> Callable[..., None]:
    """``use_tier("medium", provider="openai", model="gpt-4o", max_tokens=256, context_window=2048)``:
    an admin stores that tier in the ``model_tiers`` setting (the other stored tiers are kept)."""
    from assistant.services.admin.settings import MODEL_TIERS, get_setting, set_setting

    def _use(name: str, *, provider: str, model: str, max_tokens: int = 1024, temperature: float = 0.5,
             context_window: int = 32_768) -> None:
        tiers = dict(call(get_setting, key=MODEL_TIERS))
        tiers[name] = {"provider": provider, "model": model, "max_tokens": max_tokens, "temperature": temperature,
                       "context_window": context_window}
        call(set_setting, actor=admin, key=MODEL_TIERS, value=tiers)

    return _use


@pytest.fixture
def small_window(use_tier) -> int:
    """The default chat tier (medium, OpenAI) with 256-token answers and a window 2,048 tokens larger than the
    built-in tools' definitions take (so history is cut however many tools there are); returns the window."""
    import json

    from assistant.services.chat.tokens import estimate_tokens
    from assistant.services.tools.builtin import builtin_registry
    from assistant.services.tools.spec import to_openai

    window = estimate_tokens(json.dumps([to_openai(spec) for spec in builtin_registry().specs()])) + 2048
    use_tier("medium", provider="openai", model="gpt-4o", max_tokens=256, context_window=window)
    return window


@pytest.fixture
def add_messages(db) -> Callable[..., list[int]]:
    """``add_messages(chat_id, [("user", "text"), ("assistant", "text", {"tool_calls": [...]}), ...])``
    inserts stored messages directly (fast, for long histories) and returns their seqs in order."""
    from assistant.core.db import session_scope
    from assistant.models import Message

    def _add(chat_id, rows: list[tuple]) -> list[int]:
        seqs = []
        with session_scope() as session:
            for row in rows:
                role, content, *extra = row
                message = Message(chat_id=chat_id, role=role, content=content, **(extra[0] if extra else {}))
                session.add(message)
                session.flush()  # one at a time: seq follows the list order
                seqs.append(message.seq)
        return seqs

    return _add


@pytest.fixture
def turn(db) -> Callable[..., Any]:
    """``await turn(user=..., chat_id=..., text=..., mode=..., sources=...)``: every event of one
    :func:`~assistant.services.chat.turns.run_turn`, in order."""
    from assistant.services.chat.turns import run_turn

    async def _turn(*, user, chat_id, **kwargs: Any) -> list[Any]:
        return [event async for event in run_turn(user_id=user.id, chat_id=chat_id, **kwargs)]

    return _turn

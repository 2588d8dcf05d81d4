"""Building providers from the configured keys, and the model tiers."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from support.llm_server import Reply, Turn, openai_events
from support.llm_streams import collect, text_of

from assistant.services.llm.anthropic_provider import AnthropicProvider
from assistant.services.llm.base import DEFAULT_TIERS, ChatMessage, ModelTier
from assistant.services.llm.factory import NO_KEY, create_provider


def test_unconfigured_providers_mean_offline_mode():
    assert create_provider("openai") is None
    assert create_provider("openai", openai_api_key="", openai_base_url="") is None
    assert create_provider("anthropic", openai_api_key="sk-openai") is None
    with pytest.raises(ValueError):
        create_provider("mistral", openai_api_key="k")


@pytest.mark.anyio
async def test_anthropic_with_a_key():
    provider = create_provider("anthropic", anthropic_api_key="sk-ant")
    assert isinstance(provider, AnthropicProvider)
    await provider.aclose()


@pytest.mark.anyio
async def test_a_local_openai_compatible_server_needs_no_key(llm_server):
    llm_server.script(Reply(events=openai_events(Turn(text=("Hi from ", "a local model.")))))
    provider = create_provider("openai", openai_base_url=f"{llm_server.url}/v1", timeout=5)
    try:
        events = await collect(provider.stream(messages=[ChatMessage(role="user", content="Hi")], tools=[],
                                               model="llama3.2", max_tokens=64, temperature=0.8, system=None))
    finally:
        await provider.aclose()

    assert text_of(events) == "Hi from a local model."
    request = llm_server.requests[0]
    assert request.headers["authorization"] == f"Bearer {NO_KEY}"
    assert request.body["max_tokens"] == 64 and "max_completion_tokens" not in request.body


def test_seed_tiers():
    assert {name: (tier.provider, tier.model) for name, tier in DEFAULT_TIERS.items()} == {
        "small": ("openai", "gpt-4o-mini"), "medium": ("openai", "gpt-4o"), "large": ("anthropic", "claude-sonnet-5-5")}


@pytest.mark.parametrize("changes", [{"provider": ""}, {"provider": "p" * 33}, {"model": ""}, {"max_tokens": 0},
                                     {"temperature": 2.5}])
def test_tiers_are_validated(changes):
    """A provider is named (1-32 characters, what ``Message.provider`` records); whether it exists is
    checked when an admin saves the tier (tests/services/test_llm_tiers.py)."""
    with pytest.raises(ValidationError):
        ModelTier(**{"provider": "openai", "model": "gpt-4o", "max_tokens": 100, "temperature": 0.5, **changes})

"""Fixtures for the chat tests: a loopback provider server, and settings pointing a tier at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.llm_server import LoopbackLLMServer


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
    an Anthropic model by the test (see ``use_tier``)."""
    return configure(anthropic_api_key="sk-ant-loopback", anthropic_base_url=llm_server.url, llm_timeout_seconds=5)

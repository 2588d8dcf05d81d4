"""Fixtures for the provider tests: a loopback server speaking both wire formats, per test."""

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

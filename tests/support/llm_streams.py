"""Reading provider streams in tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

from assistant.services.llm.events import Event, TextDelta, ToolCall


async def collect(stream: AsyncIterator[Event]) -> list[Event]:
    """Every event of ``stream``, in order."""
    return [event async for event in stream]


def text_of(events: list[Event]) -> str:
    """The answer's text: the ``TextDelta`` events joined."""
    return "".join(event.text for event in events if isinstance(event, TextDelta))


def tool_calls_of(events: list[Event]) -> list[ToolCall]:
    """The ``ToolCall`` events, in order."""
    return [event for event in events if isinstance(event, ToolCall)]

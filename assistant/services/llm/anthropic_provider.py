"""Claude through the official ``anthropic`` SDK: the streaming Messages API.

Wire format: https://docs.anthropic.com/en/docs/build-with-claude/streaming (events ``message_start``,
``content_block_start`` / ``content_block_delta`` (``text_delta``, ``input_json_delta``) /
``content_block_stop``, ``message_delta`` with the stop reason and output tokens, ``message_stop``, and
``error``); tool use and results: https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/overview.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

import anthropic
import httpx2  # the SDK's transport; it lets errors while reading a stream through unwrapped

from assistant.core.errors import ProviderError
from assistant.services.llm.base import ChatMessage
from assistant.services.llm.events import Done, Error, Event, TextDelta, ToolCall, Usage
from assistant.services.llm.faults import describe, error, status_error
from assistant.services.llm.tls import tls_context
from assistant.services.tools.spec import ToolSpec, to_anthropic

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.anthropic.com"


class AnthropicProvider:
    """An :class:`~assistant.services.llm.base.LLMProvider` for the Anthropic Messages API.

    Args:
        api_key: the Anthropic API key (the SDK sends it as a bearer token).
        base_url: the API root without ``/v1``; default the public API (the SDK's environment
            variables are never consulted).
        timeout: seconds to wait for a connection, for the response to start and between two reads
            of the stream.
        max_retries: how often the SDK retries a failed *request* (connection errors, 408, 409, 429,
            5xx) with backoff before the stream starts; a broken stream is never retried here.
        http_client: the HTTP client the SDK uses (an SSRF-guarded one for admin-entered base URLs,
            :func:`assistant.services.llm.ssrf.guarded_client`); default the SDK's client with
            :func:`~assistant.services.llm.tls.tls_context`. Closed with the provider.
    """

    def __init__(self, *, api_key: str, base_url: str | None = None, timeout: float = 60.0,
                 max_retries: int = 1, http_client: httpx2.AsyncClient | None = None) -> None:
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url or DEFAULT_BASE_URL, timeout=timeout, max_retries=max_retries,
            http_client=http_client or anthropic.DefaultAsyncHttpxClient(verify=tls_context()))

    async def aclose(self) -> None:
        """Close the HTTP client and its connections."""
        await self._client.close()

    async def list_models(self) -> list[str]:
        """The ids of the models the server offers (the SDK's ``models.list()``, every page), sorted.

        Raises:
            ProviderError: the fault's code as :mod:`assistant.services.llm.faults` classifies it
                (``llm.auth_failed`` for a rejected key, ``llm.unreachable``, ``llm.timeout``, ...), raised
                from the SDK's error.
        """
        try:
            return sorted({model.id async for model in self._client.models.list()})
        except anthropic.APIError as exc:
            raise ProviderError(_request_fault(exc).code) from exc

    async def stream(
        self,
        *,
        messages: list[ChatMessage],
        tools: list[ToolSpec],
        model: str,
        max_tokens: int,
        temperature: float,
        system: str | None,
    ) -> AsyncGenerator[Event, None]:
        """Stream one assistant turn; see :meth:`assistant.services.llm.base.LLMProvider.stream`.

        ``temperature`` is not sent: the API version this SDK speaks has no sampling parameters and
        refuses requests that carry one. ``ToolCall`` events are yielded when their block ends (the
        arguments are complete); ``Usage`` counts cached prompt tokens as input. Faults follow
        :mod:`assistant.services.llm.faults`.
        """
        params: dict[str, Any] = {"model": model, "max_tokens": max_tokens, "messages": _wire_messages(messages)}
        if system:
            params["system"] = system
        if tools:
            params["tools"] = [to_anthropic(spec) for spec in tools]
        try:
            response = await self._client.messages.create(**params, stream=True)
        except anthropic.APIError as exc:
            yield _logged(model, _request_fault(exc))
            return

        turn = _Turn()
        fault: Error | None = None
        try:
            async for event in response:
                for out in turn.feed(event):
                    yield out
                if turn.finished:
                    break
        except httpx2.TimeoutException as exc:
            fault = error("llm.timeout", describe(exc))
        except (anthropic.APIError, httpx2.TransportError) as exc:  # error event, dropped connection
            fault = error("llm.interrupted", describe(exc))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:  # malformed JSON or event shape
            fault = error("llm.bad_response", describe(exc))
        finally:
            await response.close()
        if fault is None and not turn.finished:
            fault = error("llm.interrupted", "the stream ended before message_stop")
        if fault is not None:
            yield _logged(model, fault)


@dataclass
class _Block:
    kind: str
    id: str = ""
    name: str = ""
    json_parts: list[str] = field(default_factory=list)


@dataclass
class _Turn:
    """The state of one streamed message: open content blocks, usage, stop reason."""

    blocks: dict[int, _Block] = field(default_factory=dict)
    input_tokens: int = 0
    output_tokens: int = 0
    stop_reason: str = "end_turn"
    finished: bool = False

    def feed(self, event: Any) -> list[Event]:
        """The events one stream event produces.

        Raises:
            ValueError, AttributeError, KeyError, TypeError: malformed data.
        """
        kind = event.type
        if kind == "message_start":
            usage = event.message.usage
            self.input_tokens = _prompt_tokens(usage)
            self.output_tokens = usage.output_tokens or 0
        elif kind == "content_block_start":
            block = event.content_block
            self.blocks[event.index] = _Block(block.type, getattr(block, "id", ""), getattr(block, "name", ""))
        elif kind == "content_block_delta":
            delta = event.delta
            if delta.type == "text_delta" and delta.text:
                return [TextDelta(delta.text)]
            if delta.type == "input_json_delta":
                self.blocks[event.index].json_parts.append(delta.partial_json)
        elif kind == "content_block_stop":
            block = self.blocks.pop(event.index)
            if block.kind == "tool_use":
                return [ToolCall(id=block.id, name=block.name, arguments=_arguments("".join(block.json_parts)))]
        elif kind == "message_delta":
            self.stop_reason = event.delta.stop_reason or self.stop_reason
            if getattr(event.usage, "input_tokens", None) is not None:
                self.input_tokens = _prompt_tokens(event.usage)
            self.output_tokens = event.usage.output_tokens
        elif kind == "message_stop":
            self.finished = True
            return [Usage(self.input_tokens, self.output_tokens), Done(self.stop_reason)]
        return []


def _prompt_tokens(usage: Any) -> int:
    # input_tokens counts only the uncached part of the prompt.
    return sum(getattr(usage, name, None) or 0
               for name in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"))


def _arguments(text: str) -> dict[str, Any]:
    """Tool input from its streamed JSON (empty for a call without arguments).

    Raises:
        ValueError: not JSON, or not a JSON object.
    """
    value = json.loads(text) if text.strip() else {}
    if not isinstance(value, dict):
        raise ValueError(f"tool input is not a JSON object: {text[:100]!r}")
    return value


def _wire_messages(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """The Messages API ``messages`` for a conversation.

    An assistant turn becomes content blocks (``text``, then one ``tool_use`` per call); each tool
    result becomes a ``tool_result`` block in a *user* message, and consecutive user-side messages are
    merged into one, as the API wants all results of a turn together in the next user message.
    """
    wire: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "assistant":
            blocks: list[dict[str, Any]] = [{"type": "text", "text": message.content}] if message.content else []
            blocks += [{"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
                       for call in message.tool_calls]
            wire.append({"role": "assistant", "content": blocks})
            continue
        if message.role == "tool":
            block = {"type": "tool_result", "tool_use_id": message.tool_call_id, "content": message.content,
                     "is_error": message.is_error}
        else:
            block = {"type": "text", "text": message.content}
        if wire and wire[-1]["role"] == "user":
            wire[-1]["content"].append(block)
        else:
            wire.append({"role": "user", "content": [block]})
    return wire


def _request_fault(exc: anthropic.APIError) -> Error:
    if isinstance(exc, anthropic.APITimeoutError):
        return error("llm.timeout", describe(exc))
    if isinstance(exc, anthropic.APIConnectionError):
        return error("llm.unreachable", describe(exc))
    if isinstance(exc, anthropic.APIStatusError):
        return status_error(exc.status_code, describe(exc))
    return error("llm.bad_response", describe(exc))


def _logged(model: str, fault: Error) -> Error:
    log.warning("anthropic %s: %s (%s)", model, fault.code, fault.message)
    return fault

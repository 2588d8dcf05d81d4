"""OpenAI and OpenAI-compatible servers through the official ``openai`` SDK: streamed Chat Completions.

The same class serves api.openai.com and any server with the Chat Completions API (Ollama, llama.cpp
server, vLLM, LM Studio): only ``base_url`` differs.

Wire format: https://platform.openai.com/docs/api-reference/chat-streaming (``chat.completion.chunk``
objects; ``tool_calls`` deltas carry an ``index`` and arrive in pieces: the ``id`` and ``name`` first,
then ``arguments`` fragments; with ``stream_options.include_usage`` a last chunk with empty ``choices``
carries ``usage``; the stream ends with ``data: [DONE]``). Function calling:
https://platform.openai.com/docs/guides/function-calling.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import openai

from assistant.core.errors import ProviderError
from assistant.services.llm.base import ChatMessage
from assistant.services.llm.events import Done, Error, Event, TextDelta, ToolCall, Usage
from assistant.services.llm.faults import describe, error, status_error
from assistant.services.llm.tls import tls_context
from assistant.services.tools.spec import ToolSpec, to_openai

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
#: OpenAI's finish reasons in the neutral (Anthropic) vocabulary of :class:`Done`.
_STOP_REASONS = {"stop": "end_turn", "tool_calls": "tool_use", "function_call": "tool_use",
                 "length": "max_tokens", "content_filter": "refusal"}


class OpenAIProvider:
    """An :class:`~assistant.services.llm.base.LLMProvider` for Chat Completions.

    Args:
        api_key: the key sent as ``Authorization: Bearer``; local servers ignore it, so any non-empty
            text works for them.
        base_url: the API root including ``/v1`` (``http://localhost:11434/v1`` for Ollama); None for
            OpenAI itself. The SDK's environment variables are never consulted.
        timeout: seconds to wait for a connection, for the response to start and between two reads
            of the stream.
        max_retries: how often the SDK retries a failed *request* (connection errors, 408, 409, 429,
            5xx) with backoff before the stream starts; a broken stream is never retried here.

    The answer's limit is sent as ``max_completion_tokens`` to OpenAI (its reasoning models refuse
    ``max_tokens``) and as ``max_tokens`` to other servers (the field they all understand).
    """

    def __init__(self, *, api_key: str, base_url: str | None = None, timeout: float = 60.0,
                 max_retries: int = 1, http_client: httpx2.AsyncClient | None = None) -> None:
        self._limit_field = "max_tokens" if base_url else "max_completion_tokens"
        self._client = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url or DEFAULT_BASE_URL, timeout=timeout, max_retries=max_retries,
            http_client=http_client or openai.DefaultAsyncHttpxClient(verify=tls_context()))

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
        except openai.APIError as exc:
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

        ``ToolCall`` events are yielded, in index order, once the choice finishes (their arguments are
        only complete then). A server that reports ``stop`` although it called tools still gets
        ``Done("tool_use")``. ``Usage`` comes only from servers that send the usage chunk. Faults
        follow :mod:`assistant.services.llm.faults`.
        """
        params: dict[str, Any] = {
            "model": model, "temperature": temperature, self._limit_field: max_tokens,
            "messages": _wire_messages(messages, system), "stream_options": {"include_usage": True},
        }
        if tools:
            params["tools"] = [to_openai(spec) for spec in tools]
        try:
            response = await self._client.chat.completions.create(**params, stream=True)
        except openai.APIError as exc:
            yield _logged(model, _request_fault(exc))
            return

        turn = _Turn()
        fault: Error | None = None
        try:
            async for chunk in response:
                for out in turn.feed(chunk):
                    yield out
        except openai.APITimeoutError as exc:
            fault = error("llm.timeout", describe(exc))
        except openai.APIError as exc:  # error chunk, dropped connection
            fault = error("llm.interrupted", describe(exc))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:  # malformed JSON or chunk shape
            fault = error("llm.bad_response", describe(exc))
        finally:
            await response.close()
        if fault is not None or turn.stop_reason is None:
            yield _logged(model, fault or error("llm.interrupted", "the stream ended before a finish_reason"))
            return
        if turn.usage is not None:
            yield turn.usage
        yield Done(turn.stop_reason)


@dataclass
class _PendingCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class _Turn:
    """The state of one streamed completion: tool calls being assembled, finish reason, usage."""

    calls: dict[int, _PendingCall] = field(default_factory=dict)
    stop_reason: str | None = None
    usage: Usage | None = None

    def feed(self, chunk: Any) -> list[Event]:
        """The events one chunk produces (text at once, tool calls when the choice finishes).

        Raises:
            ValueError, AttributeError, KeyError, TypeError: malformed data.
        """
        if chunk.usage is not None:
            self.usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
        out: list[Event] = []
        for choice in chunk.choices:  # n=1: one choice at most
            delta = choice.delta
            if delta is not None and delta.content:
                out.append(TextDelta(delta.content))
            for part in (delta.tool_calls if delta is not None else None) or ():
                call = self.calls.setdefault(part.index, _PendingCall())
                call.id = part.id or call.id
                if part.function is not None:
                    call.name = part.function.name or call.name
                    call.arguments.append(part.function.arguments or "")
            if choice.finish_reason is not None:
                out += [self._finished(index) for index in sorted(self.calls)]
                reason = choice.finish_reason
                self.stop_reason = "tool_use" if self.calls else _STOP_REASONS.get(reason, reason)
                self.calls.clear()
        return out

    def _finished(self, index: int) -> ToolCall:
        call = self.calls[index]
        if not call.id or not call.name:
            raise ValueError(f"tool call {index} came without an id or a name")
        text = "".join(call.arguments)
        arguments = json.loads(text) if text.strip() else {}
        if not isinstance(arguments, dict):
            raise ValueError(f"tool arguments are not a JSON object: {text[:100]!r}")
        return ToolCall(id=call.id, name=call.name, arguments=arguments)


def _wire_messages(messages: list[ChatMessage], system: str | None) -> list[dict[str, Any]]:
    """Chat Completions ``messages``: the system prompt first, assistant turns with ``tool_calls``
    (arguments as JSON text), each tool result as a ``tool`` message with its ``tool_call_id``."""
    wire: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    for message in messages:
        if message.role == "assistant":
            item: dict[str, Any] = {"role": "assistant", "content": message.content or None}
            if message.tool_calls:
                item["tool_calls"] = [{"id": call.id, "type": "function", "function": {
                    "name": call.name, "arguments": json.dumps(call.arguments, ensure_ascii=False)}}
                    for call in message.tool_calls]
            wire.append(item)
        elif message.role == "tool":
            wire.append({"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content})
        else:
            wire.append({"role": "user", "content": message.content})
    return wire


def _request_fault(exc: openai.APIError) -> Error:
    if isinstance(exc, openai.APITimeoutError):
        return error("llm.timeout", describe(exc))
    if isinstance(exc, openai.APIConnectionError):
        return error("llm.unreachable", describe(exc))
    if isinstance(exc, openai.APIStatusError):
        return status_error(exc.status_code, describe(exc))
    return error("llm.bad_response", describe(exc))


def _logged(model: str, fault: Error) -> Error:
    log.warning("openai %s: %s (%s)", model, fault.code, fault.message)
    return fault

"""What :meth:`LLMProvider.stream <assistant.services.llm.base.LLMProvider.stream>` yields.

A stream yields any number of :class:`TextDelta` and :class:`ToolCall` events in the order the model
produced them, then at most one :class:`Usage`, and ends with exactly one :class:`Done` or one
:class:`Error`. Nothing follows ``Done`` or ``Error``. Text that arrived before an ``Error`` was a real
part of the answer: callers keep it and mark the message incomplete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias


@dataclass(frozen=True, slots=True)
class TextDelta:
    """The next piece of the answer's text (any length, possibly a part of a word)."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolCall:
    """The model asks to run tool ``name`` with ``arguments`` (already parsed from JSON).

    ``id`` is the provider's call id (``toolu_...`` or ``call_...``); the tool's result must be sent
    back under the same id. ``arguments`` is model output: validate it before use.
    """

    id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens billed for this request: the whole prompt (cached parts included) and the answer."""

    input_tokens: int
    output_tokens: int


@dataclass(frozen=True, slots=True)
class Done:
    """The model finished. ``stop_reason`` uses Anthropic's vocabulary for every provider:
    ``end_turn``, ``tool_use`` (run the calls and continue), ``max_tokens`` (cut by the limit),
    ``stop_sequence``, ``refusal``; another provider-specific value is passed through unchanged."""

    stop_reason: str


@dataclass(frozen=True, slots=True)
class Error:
    """The request failed or the stream broke off.

    ``code`` is an i18n key shown to the user (``llm.*``; every code and when it is used is listed in
    :data:`assistant.services.llm.faults.ERROR_CODES`); ``message`` is an English detail for logs,
    never shown as-is; ``retryable`` says whether sending the same request again may succeed (False
    for a bad key or a request the provider refuses).
    """

    code: str
    message: str
    retryable: bool


Event: TypeAlias = TextDelta | ToolCall | Usage | Done | Error

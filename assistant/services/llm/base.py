"""The provider-neutral conversation shapes, model tiers and the :class:`LLMProvider` protocol.

Each provider module translates :class:`ChatMessage` lists into its own wire format and the provider's
stream into :mod:`assistant.services.llm.events`; nothing above this package sees a provider's format.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeAlias

from pydantic import Field
from pydantic.dataclasses import dataclass as pydantic_dataclass

from assistant.services.llm.events import Event, ToolCall
from assistant.services.tools.spec import ToolSpec

Role: TypeAlias = Literal["user", "assistant", "tool"]
#: The providers the environment configures (``ASSISTANT_OPENAI_*``, ``ASSISTANT_ANTHROPIC_*``).
ProviderName: TypeAlias = Literal["openai", "anthropic"]
TierName: TypeAlias = Literal["small", "medium", "large"]


@dataclass(frozen=True)
class ChatMessage:
    """One turn of the conversation, in no provider's format.

    * ``user``: ``content`` is what the user wrote.
    * ``assistant``: ``content`` is the answer's text (may be empty when the turn only calls tools);
      ``tool_calls`` are the calls the model made in that turn, in order.
    * ``tool``: the result of one call: ``tool_call_id`` is the :attr:`ToolCall.id` it answers,
      ``content`` the result text (JSON for structured results), ``is_error`` whether the tool failed.

    The system prompt is not a message: it is passed to :meth:`LLMProvider.stream` as ``system``.
    """

    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = field(default_factory=tuple)
    tool_call_id: str | None = None
    is_error: bool = False


@pydantic_dataclass(frozen=True)
class ModelTier:
    """What a tier (small/medium/large) runs on: the provider's name (``openai`` or ``anthropic``: the
    provider the environment configures; any other: an administrator's provider, an
    :class:`~assistant.models.admin.LlmProvider` row of that name; it is what ``Message.provider`` records),
    its model id, the answer's token limit,
    the sampling temperature (0 to 2; used by OpenAI and compatible servers, not sent to Anthropic,
    whose current API has no sampling parameters) and the model's context window in tokens (prompt and
    answer together; it bounds how much chat history is sent).

    Raises:
        pydantic.ValidationError: an empty or too long provider name, an empty model or out-of-range numbers
            (whether the provider exists is checked by :func:`assistant.services.llm.tiers.set_tier`).
    """

    provider: str = Field(min_length=1, max_length=32)
    model: str = Field(min_length=1, max_length=200)
    max_tokens: int = Field(ge=1, le=200_000)
    temperature: float = Field(ge=0.0, le=2.0)
    context_window: int = Field(default=32_768, ge=1024, le=10_000_000)


#: Seed tiers until an admin changes them.
DEFAULT_TIERS: Mapping[TierName, ModelTier] = {
    "small": ModelTier(provider="openai", model="gpt-4o-mini", max_tokens=2048, temperature=0.7,
                       context_window=128_000),
    "medium": ModelTier(provider="openai", model="gpt-4o", max_tokens=4096, temperature=0.7,
                        context_window=128_000),
    "large": ModelTier(provider="anthropic", model="claude-sonnet-5-5", max_tokens=8192, temperature=0.7,
                       context_window=200_000),
}


class LLMProvider(Protocol):
    """A chat model behind one streaming call.

    An instance owns its own HTTP client (never shared through module globals) and holds no per-user
    state, so one instance may serve several requests; close it with :meth:`aclose`.
    """

    def stream(
        self,
        *,
        messages: list[ChatMessage],
        tools: list[ToolSpec],
        model: str,
        max_tokens: int,
        temperature: float,
        system: str | None,
    ) -> AsyncGenerator[Event, None]:
        """Ask ``model`` for the next assistant turn and yield its events as they arrive.

        Args:
            messages: the conversation so far, oldest first, ending with a user or tool message.
            tools: the tools the model may call (empty: none).
            model: the provider's model id.
            max_tokens: the most tokens the answer may have.
            temperature: sampling temperature.
            system: the system prompt, or None.

        Yields:
            ``TextDelta`` / ``ToolCall`` events, then ``Usage`` when reported, then ``Done``; or, on
            any provider fault, the events that arrived and a final ``Error``. Provider faults are never
            raised. Closing the iterator early (the user pressed stop) closes the HTTP response.
        """
        ...

    async def aclose(self) -> None:
        """Close the HTTP client and its connections."""
        ...

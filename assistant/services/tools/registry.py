"""The tools a conversation may use, and running one call for the acting user.

A call's arguments are model output: they are validated against the tool's Pydantic model before the
handler sees them. Whose data a tool touches comes only from :class:`ToolContext` (the signed-in user
of the session), never from the arguments, so a model cannot widen access by naming another id.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from assistant.core.errors import AppError
from assistant.core.i18n import translate
from assistant.services.chat.citations import SourceLedger
from assistant.services.llm.base import ChatMessage
from assistant.services.llm.events import ToolCall
from assistant.services.tools.spec import ToolSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ToolContext:
    """Who a tool acts for: the session's user and their IANA time zone (``Europe/Berlin``); ``sources``
    numbers the passages the turn's answer may cite (a tool that returns passages adds them there);
    ``chat_id`` and ``message_id``: the chat and the user's message the turn answers (None outside a chat);
    ``collections``: the collections document searches are limited to (the chat's agent's; None: everything
    the user may read)."""

    user_id: uuid.UUID
    timezone: str
    sources: SourceLedger = field(default_factory=SourceLedger)
    chat_id: uuid.UUID | None = None
    message_id: uuid.UUID | None = None
    collections: frozenset[uuid.UUID] | None = None


#: ``async def handler(arguments, context) -> str | dict``: a dict is sent to the model as JSON. A
#: handler raises an ``AppError`` (``NotFound``, ``InvalidInput``...) for outcomes the model should
#: read; the registry turns it into an error result.
Handler = Callable[[Any, ToolContext], Awaitable[str | dict[str, Any]]]


@dataclass(frozen=True)
class Tool:
    """A :class:`ToolSpec` and the coroutine that runs it (see :data:`Handler`)."""

    spec: ToolSpec
    handler: Handler


@dataclass(frozen=True)
class ToolResult:
    """The outcome of one call: ``content`` is what the model reads (JSON text for structured
    results, an English sentence for errors); ``is_error`` marks unknown tools, invalid arguments and
    failures."""

    call_id: str
    name: str
    content: str
    is_error: bool = False

    def as_message(self) -> ChatMessage:
        """The ``tool`` message that sends this result back to the model."""
        return ChatMessage(role="tool", content=self.content, tool_call_id=self.call_id, is_error=self.is_error)


class ToolRegistry:
    """Tools by name. Holds definitions only, no user state, so one registry serves every user."""

    def __init__(self, tools: list[Tool] | None = None) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools or []:
            self.register(tool)

    def register(self, tool: Tool) -> None:
        """Add a tool.

        Raises:
            ValueError: a tool with that name is already registered.
        """
        if tool.spec.name in self._tools:
            raise ValueError(f"tool {tool.spec.name!r} is already registered")
        self._tools[tool.spec.name] = tool

    def subset(self, names: Iterable[str] | None) -> ToolRegistry:
        """A registry of only the tools named in ``names`` (unknown names are skipped), in this registry's
        order; None: this registry itself. A call of any other tool is then an unknown tool."""
        if names is None:
            return self
        wanted = set(names)
        return ToolRegistry([tool for name, tool in self._tools.items() if name in wanted])

    def specs(self) -> list[ToolSpec]:
        """The definitions to offer the model, in registration order."""
        return [tool.spec for tool in self._tools.values()]

    async def run(self, call: ToolCall, *, context: ToolContext) -> ToolResult:
        """Validate ``call.arguments`` and run the tool for ``context``'s user.

        Never raises for a bad call: an unknown tool, arguments that fail validation (the message lists
        each field's problem, so the model can correct itself), an ``AppError`` from the handler (its
        English message) or an unexpected exception (a generic message) give ``ToolResult(is_error=True)``;
        each is logged with the tool, the user and the refusal's code or the invalid fields (never the
        arguments' values, which may be health data).
        """
        tool = self._tools.get(call.name)
        if tool is None:
            return ToolResult(call.id, call.name, f"Unknown tool {call.name!r}.", is_error=True)
        try:
            arguments: BaseModel = tool.spec.arguments.model_validate(call.arguments)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, err['loc'])) or 'arguments'}: {err['msg']}"
                                 for err in exc.errors())
            log.info("tool %s refused invalid arguments of user %s (%s)", call.name, context.user_id,
                     ", ".join(".".join(map(str, err["loc"])) or "arguments" for err in exc.errors()))
            return ToolResult(call.id, call.name, f"Invalid arguments: {problems}", is_error=True)
        try:
            output = await tool.handler(arguments, context)
        except AppError as exc:
            log.info("tool %s refused for user %s: %s", call.name, context.user_id, exc.code)
            return ToolResult(call.id, call.name, translate(exc.code, "en", **exc.params), is_error=True)
        except Exception:
            log.exception("tool %s failed for user %s", call.name, context.user_id)
            return ToolResult(call.id, call.name, "The tool failed.", is_error=True)
        content = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
        return ToolResult(call.id, call.name, content)

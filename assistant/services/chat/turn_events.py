"""What :func:`assistant.services.chat.turns.run_turn` yields (:data:`TurnEvent`) while it answers one turn,
and its modes (:data:`TurnMode`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from assistant.services.chat.chats import MessageView

#: Characters of a tool result shown in the chat (the model gets all of it).
TOOL_RESULT_PREVIEW = 300

TurnMode: TypeAlias = Literal["send", "regenerate", "edit"]


@dataclass(frozen=True)
class TurnStarted:
    """The turn is stored and the answer begins. ``user_message``: the stored message (the edited one
    for ``edit``, the kept one for ``regenerate``); ``removed_after_seq``: messages after this seq were
    removed (the old answer), None when nothing was; ``offline``: no model answers."""

    user_message: MessageView
    answer_id: uuid.UUID
    removed_after_seq: int | None
    offline: bool


@dataclass(frozen=True)
class AnswerDelta:
    """More text of the answer."""

    text: str


@dataclass(frozen=True)
class ToolActivity:
    """A tool call ran: its arguments and the first :data:`TOOL_RESULT_PREVIEW` characters of the result."""

    call_id: str
    name: str
    arguments: dict[str, Any]
    result: str
    is_error: bool


@dataclass(frozen=True)
class TurnFinished:
    """The answer is stored. ``status``: ``complete``/``incomplete``/``error``; ``error_code``: the i18n key
    of what went wrong (""); ``retryable``: whether sending again may help."""

    status: str
    error_code: str = ""
    retryable: bool = False
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class TitleChanged:
    """The chat got its automatic title."""

    title: str


TurnEvent: TypeAlias = TurnStarted | AnswerDelta | ToolActivity | TurnFinished | TitleChanged

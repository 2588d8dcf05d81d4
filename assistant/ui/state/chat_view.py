"""What the chat page shows of stored chats and messages: plain dicts, small enough for UI state."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from assistant.models import ChangeKind, ChangeState, MemoryChange
from assistant.models.chat import MessageRole
from assistant.services.chat.chats import ChatSummary, MessageView
from assistant.services.tools.memory import CHANGE_TOOLS
from assistant.ui import routes


def chat_dict(chat: ChatSummary) -> dict[str, Any]:
    """A chat as the list shows it."""
    return {"id": str(chat.id), "title": chat.title, "archived": chat.archived}


def _tool_names(messages: list[MessageView]) -> dict[str, str]:
    """Tool call id -> tool name, for the calls of ``messages``."""
    return {call["id"]: call["name"] for message in messages for call in message.tool_calls}


def _change_id(message: MessageView, names: Mapping[str, str]) -> uuid.UUID | None:
    """The memory change a stored result of ``save_memory``/``update_memory``/``forget_memory`` names
    (its JSON ``change_id``); None for any other message, an error result or a result without one."""
    if message.role != MessageRole.TOOL or message.is_error:
        return None
    if names.get(message.tool_call_id or "") not in CHANGE_TOOLS:
        return None
    try:
        result = json.loads(message.content)
        return uuid.UUID(str(result["change_id"])) if isinstance(result, dict) else None
    except (ValueError, KeyError, TypeError):
        return None


def change_ids(messages: list[MessageView]) -> list[uuid.UUID]:
    """The memory changes whose cards ``messages`` show (for one
    :func:`assistant.services.memory.changes.changes_by_id` read per page)."""
    names = _tool_names(messages)
    return [ident for message in messages if (ident := _change_id(message, names)) is not None]


def memory_card(change: MemoryChange, t: Any) -> dict[str, Any]:
    """A memory change as its chat card shows it, from the stored row (``t(code, **params)`` translates).

    Returns:
        ``{"change_id", "state", "title", "detail", "pending", "can_undo"}``: ``title`` says what happened
        ("Remembered: ...", "Updated: ... (was: ...)", "Forgot: ...", "Already remembered: ...") or asks
        (a pending proposal, its fact in ``detail``); an undone or rejected change says so, its fact in
        ``detail``. ``pending``: Confirm and Reject apply; ``can_undo``: Undo applies.
    """
    kind, state = change.kind, change.state
    fact = change.content
    if kind == ChangeKind.SUPERSEDED and change.previous_content and change.previous_content != fact:
        fact = t("chat.memory.change_detail", fact=change.content, previous=change.previous_content)
    applied = state in (ChangeState.APPLIED, ChangeState.CONFIRMED)
    if state == ChangeState.PENDING:
        title, detail = t(f"chat.memory.propose.{kind}"), fact
    elif applied:
        title = t(f"chat.memory.{kind}", fact=change.content, previous=change.previous_content)
        detail = ""
    else:
        title, detail = t(f"chat.memory.{state}"), fact
    return {"change_id": str(change.id), "state": state, "title": title, "detail": detail,
            "pending": state == ChangeState.PENDING, "can_undo": applied and kind != ChangeKind.DUPLICATE}


def message_dicts(messages: list[MessageView], t: Any,
                  changes: Mapping[uuid.UUID, MemoryChange] | None = None) -> list[dict[str, Any]]:
    """Display dicts of stored messages (``t(code, **params)`` translates); tool results are shown under
    the name of the call they answer, system messages not at all. A result of a memory change tool whose
    change is in ``changes`` (see :func:`change_ids`) carries its id in ``change_id`` and its card
    (:func:`memory_card`) in ``memory``; other messages have ``""`` and ``{}`` there."""
    names = _tool_names(messages)
    changes = changes or {}
    out = []
    for message in messages:
        if message.role == MessageRole.SYSTEM:
            continue
        tokens = ""
        if message.role == MessageRole.ASSISTANT and (message.input_tokens or message.output_tokens):
            tokens = t("chat.tokens", input=message.input_tokens, output=message.output_tokens)
        change = changes.get(ident) if (ident := _change_id(message, names)) is not None else None
        out.append({
            "id": str(message.id),
            "seq": message.seq,
            "role": message.role,
            "content": message.content,
            "status": message.status,
            "notice": t(message.error_code) if message.error_code else "",
            "model": message.model if message.role == MessageRole.ASSISTANT and message.provider else "",
            "tokens": tokens,
            "seconds": t("chat.seconds", seconds=round(message.latency_ms / 1000, 1)) if message.latency_ms else "",
            "calls": [{"name": call["name"], "arguments": json.dumps(call.get("arguments") or {}, ensure_ascii=False)}
                      for call in message.tool_calls],
            "tool_name": names.get(message.tool_call_id or "", ""),
            "is_error": message.is_error,
            "change_id": str(change.id) if change is not None else "",
            "memory": memory_card(change, t) if change is not None else {},
            "citations": [
                {"number": str(citation.get("number", number)), "title": citation.get("title", ""),
                 "page": str(citation["page"]) if citation.get("page") is not None else "",
                 "href": routes.document(citation.get("document_id", ""), citation.get("page"),
                                         citation.get("chunk_id"))}
                for number, citation in enumerate(message.citations, start=1)
            ],
        })
    return out

"""What the chat page shows of stored chats and messages: plain dicts, small enough for UI state."""

from __future__ import annotations

import json
from typing import Any

from assistant.models.chat import MessageRole
from assistant.services.chat.chats import ChatSummary, MessageView
from assistant.ui import routes


def chat_dict(chat: ChatSummary) -> dict[str, Any]:
    """A chat as the list shows it."""
    return {"id": str(chat.id), "title": chat.title, "archived": chat.archived}


def message_dicts(messages: list[MessageView], t: Any) -> list[dict[str, Any]]:
    """Display dicts of stored messages (``t(code, **params)`` translates); tool results are shown under
    the name of the call they answer, system messages not at all."""
    names = {call["id"]: call["name"] for message in messages for call in message.tool_calls}
    out = []
    for message in messages:
        if message.role == MessageRole.SYSTEM:
            continue
        tokens = ""
        if message.role == MessageRole.ASSISTANT and (message.input_tokens or message.output_tokens):
            tokens = t("chat.tokens", input=message.input_tokens, output=message.output_tokens)
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
            "citations": [
                {"number": str(citation.get("number", number)), "title": citation.get("title", ""),
                 "page": str(citation["page"]) if citation.get("page") is not None else "",
                 "href": routes.document(citation.get("document_id", ""), citation.get("page"),
                                         citation.get("chunk_id"))}
                for number, citation in enumerate(message.citations, start=1)
            ],
        })
    return out

"""The chat page's Export menu: a chat as PDF, Markdown or JSON, fetched by the browser with a one-minute
ticket (``GET /api/v1/chats/{id}/export?format=…&ticket=…``), so the file never passes through state."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.core.security import decode_access_token
from assistant.services.reports.chat_export import MEDIA_TYPES, export_ticket
from assistant.ui.state.auth import AuthState, guarded, parse_id

NOT_FOUND = "chat.not_found"


class ChatExportState(AuthState):
    """No vars: the export is a download the browser follows."""

    @rx.event
    @guarded
    async def export(self, chat_id: str, format: str) -> Any:  # noqa: A002
        """Download the chat ``chat_id`` as ``format`` (``pdf``, ``md`` or ``json``): a ticket for this chat and
        this login session (checked and issued on a worker thread), followed by the browser as an attachment.
        Another user's chat id shows "Chat not found."."""
        if format not in MEDIA_TYPES:
            return None
        chat = parse_id(chat_id, NOT_FOUND)
        await self._run_as_user(lambda session, user: None)  # renews an expired access token first
        login_session_id = decode_access_token(self.access_token).session_id
        ticket, filename = await self._run_as_user(lambda session, user: export_ticket(
            session=session, user=user, chat_id=chat, login_session_id=login_session_id, format=format))
        return rx.download(url=f"/api/v1/chats/{chat}/export?format={format}&ticket={ticket}", filename=filename)

"""Chat routes: one chat exported as a file."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Response
from fastapi.security import HTTPAuthorizationCredentials

from assistant.api.deps import DOWNLOAD_HEADERS, SessionDep, TicketQuery, bearer, downloading_user
from assistant.services.reports.chat_export import export_chat

router = APIRouter(prefix="/chats", tags=["chats"])


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` value for ``filename`` (RFC 6266; UTF-8 names as ``filename*``)."""
    quoted = quote(filename)
    return f'attachment; filename="{filename}"' if quoted == filename else f"attachment; filename*=utf-8''{quoted}"


@router.get("/{chat_id}/export",
            responses={200: {"content": {"application/pdf": {}, "text/markdown": {}, "application/json": {}},
                             "description": "The chat as a file"},
                       401: {"description": "Not signed in"}, 404: {"description": "No such chat"},
                       422: {"description": "Unknown format"}})
def export(
    chat_id: uuid.UUID,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    format: Annotated[Literal["pdf", "md", "json"], Query(description="pdf, md (Markdown) or json")],  # noqa: A002
    ticket: TicketQuery = None,
) -> Response:
    """The caller's chat as an attachment: PDF, Markdown or JSON (the JSON shape is documented in
    :mod:`assistant.services.reports.chat_export`). Another user's chat is "not found"; a plain ``def``, so the
    rendering runs on FastAPI's thread pool."""
    user = downloading_user(session=session, credentials=credentials, ticket=ticket, resource_id=chat_id,
                            not_found="chat.not_found")
    exported = export_chat(session=session, user=user, chat_id=chat_id, format=format)
    return Response(exported.data, media_type=exported.media_type,
                    headers={**DOWNLOAD_HEADERS, "Content-Disposition": attachment(exported.filename)})

"""Document routes: the original file of a document, as an attachment, and a PDF page as an image."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import FileResponse
from fastapi.security import HTTPAuthorizationCredentials

from assistant.api.deps import SessionDep, bearer
from assistant.core.config import get_settings
from assistant.core.errors import NotFound, Unauthorized
from assistant.models import User
from assistant.services.auth import service as auth
from assistant.services.rag.viewer import original_file, page_picture

router = APIRouter(prefix="/documents", tags=["documents"])


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
Ticket = Annotated[str | None, Query(description="A download ticket from the web app, instead of a bearer token")]


def _reader(session: SessionDep, credentials: Credentials, ticket: Ticket, document_id: uuid.UUID) -> User:
    """The user of a bearer token, or of a download ticket bound to ``document_id``.

    Raises:
        Unauthorized: neither is given, or the token or ticket is not valid.
        NotFound: ``documents.not_found``: the ticket is for another document.
    """
    if credentials is not None and credentials.scheme.lower() == "bearer":
        return auth.authenticate(session=session, access_token=credentials.credentials)
    if ticket:
        user, allowed = auth.authenticate_download(session=session, ticket=ticket)
        if allowed != document_id:
            raise NotFound("documents.not_found")
        return user
    raise Unauthorized("errors.unauthorized")


@router.get("/{document_id}/file", response_class=FileResponse,
            responses={401: {"description": "Not signed in"}, 404: {"description": "No such document"}})
def download_original(document_id: uuid.UUID, session: SessionDep, credentials: Credentials,
                      ticket: Ticket = None) -> FileResponse:
    """The uploaded file as it was stored, always as an attachment (never rendered by the browser), to a
    bearer token's user or a download ticket's, if they may read the document."""
    user = _reader(session, credentials, ticket, document_id)
    path, filename, media_type = original_file(session=session, user=user, document_id=document_id,
                                               settings=get_settings())
    return FileResponse(
        path, media_type=media_type, filename=filename, content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'",
                 "Cache-Control": "private, no-store"},
    )


@router.get("/{document_id}/pages/{number}/image", response_class=FileResponse,
            responses={401: {"description": "Not signed in"},
                       404: {"description": "No such document or page, or not a PDF"},
                       422: {"description": "The page cannot be drawn (corrupt, too large, too slow)"}})
def page_image(document_id: uuid.UUID, number: Annotated[int, Path(ge=1, le=100_000)], session: SessionDep,
               credentials: Credentials, ticket: Ticket = None) -> FileResponse:
    """Page ``number`` (from 1) of a PDF document as a PNG about 1,200 px wide, drawn on first use and cached,
    to whoever may download the document (a bearer token or a download ticket for it)."""
    user = _reader(session, credentials, ticket, document_id)
    picture = page_picture(session=session, user=user, document_id=document_id, number=number,
                           settings=get_settings())
    return FileResponse(picture.path, media_type=picture.media_type,
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=600"})

"""Document routes: the original file of a document, as an attachment."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse
from fastapi.security import HTTPAuthorizationCredentials

from assistant.api.deps import SessionDep, bearer
from assistant.core.config import get_settings
from assistant.core.errors import NotFound, Unauthorized
from assistant.services.auth import service as auth
from assistant.services.rag.viewer import original_file

router = APIRouter(prefix="/documents", tags=["documents"])


@router.get("/{document_id}/file", response_class=FileResponse,
            responses={401: {"description": "Not signed in"}, 404: {"description": "No such document"}})
def download_original(
    document_id: uuid.UUID,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ticket: Annotated[
        str | None, Query(description="A download ticket from the web app, instead of a bearer token")
    ] = None,
) -> FileResponse:
    """The uploaded file as it was stored, always as an attachment (never rendered by the browser), to a
    bearer token's user or a download ticket's, if they may read the document."""
    if credentials is not None and credentials.scheme.lower() == "bearer":
        user = auth.authenticate(session=session, access_token=credentials.credentials)
    elif ticket:
        user, allowed = auth.authenticate_download(session=session, ticket=ticket)
        if allowed != document_id:
            raise NotFound("documents.not_found")
    else:
        raise Unauthorized("errors.unauthorized")
    path, filename, media_type = original_file(session=session, user=user, document_id=document_id,
                                               settings=get_settings())
    return FileResponse(
        path, media_type=media_type, filename=filename, content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'",
                 "Cache-Control": "private, no-store"},
    )

"""Report routes: a completed report or data export, as an attachment."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse
from fastapi.security import HTTPAuthorizationCredentials

from assistant.api.deps import DOWNLOAD_HEADERS, SessionDep, TicketQuery, bearer, downloading_user
from assistant.services.reports.jobs import report_file

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/{report_id}/file", response_class=FileResponse,
            responses={401: {"description": "Not signed in"}, 404: {"description": "No such report"}})
def download_report(
    report_id: uuid.UUID,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ticket: TicketQuery = None,
) -> FileResponse:
    """The file of the caller's completed report (a PDF, or a data export's zip until it expires), always as
    an attachment. Another user's report, one still being built and an expired export are "not found"."""
    user = downloading_user(session=session, credentials=credentials, ticket=ticket, resource_id=report_id,
                            not_found="reports.not_found")
    path, filename, media_type = report_file(session=session, user=user, report_id=report_id)
    return FileResponse(path, media_type=media_type, filename=filename, content_disposition_type="attachment",
                        headers=DOWNLOAD_HEADERS)

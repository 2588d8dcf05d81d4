"""Analytics routes: one table of the instance's usage as a CSV attachment, for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials

from assistant.api.deps import DOWNLOAD_HEADERS, SessionDep, TicketQuery, bearer, downloading_user
from assistant.services.analytics.export import csv_resource_id, table_csv
from assistant.services.analytics.periods import parse_period

router = APIRouter(prefix="/analytics", tags=["analytics"])


@router.get("/{key}.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}, 401: {"description": "Not signed in"},
                       403: {"description": "Not an admin"}, 404: {"description": "No such table"},
                       422: {"description": "A malformed date or time zone, or the end before the start"}})
def download_table(
    key: str,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    start: Annotated[str, Query(description="First day, YYYY-MM-DD")],
    end: Annotated[str, Query(description="Last day, YYYY-MM-DD (a range is at most 366 days, ending here)")],
    tz: Annotated[str, Query(description="IANA time zone the days are counted in")] = "UTC",
    ticket: TicketQuery = None,
) -> Response:
    """Table ``key`` of the analytics page (e.g. ``messages_per_day``) for days ``start`` to ``end`` in ``tz``,
    as CSV (column keys as the header), with a bearer token or a download ticket of an admin."""
    user = downloading_user(session=session, credentials=credentials, ticket=ticket,
                            resource_id=csv_resource_id(key), not_found="analytics.unknown_table")
    period = parse_period(start=start, end=end, timezone=tz)
    name, body = table_csv(session=session, user=user, key=key, period=period)
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={**DOWNLOAD_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})

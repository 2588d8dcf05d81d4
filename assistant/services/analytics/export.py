"""CSV downloads of the instance view's tables: the file's name and text, and the one-minute ticket a tab's
link carries instead of a bearer token."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from assistant.core.errors import NotFound
from assistant.core.security import create_download_ticket
from assistant.models.user import Role, User
from assistant.services.analytics.instance import TABLES, table
from assistant.services.analytics.periods import Period
from assistant.services.analytics.tables import to_csv
from assistant.services.auth.permissions import require_role

_NAMESPACE = uuid.UUID("0d3c6f2e-5a8b-4c1d-9e7f-2b4a6c8d0e1f")


def csv_resource_id(key: str) -> uuid.UUID:
    """The resource a download ticket for table ``key``'s CSV names (the same for every range)."""
    return uuid.uuid5(_NAMESPACE, f"analytics:{key}")


def download_ticket(*, session: Session, user: User, key: str, login_session_id: uuid.UUID) -> str:
    """A one-minute ticket for table ``key``'s CSV, for ``user``'s login session ``login_session_id``.

    Raises:
        Forbidden: ``errors.forbidden`` unless ``user`` is an active admin.
        NotFound: ``analytics.unknown_table`` for a key not in :data:`~assistant.services.analytics.instance.TABLES`.
    """
    require_role(user, Role.ADMIN)
    if key not in TABLES:
        raise NotFound("analytics.unknown_table")
    return create_download_ticket(user_id=user.id, session_id=login_session_id, resource_id=csv_resource_id(key))


def table_csv(*, session: Session, user: User, key: str, period: Period) -> tuple[str, str]:
    """``(file name, CSV text)`` of table ``key`` over ``period``: the page's numbers, the column keys as the
    header, formula-like text cells neutralised (:func:`~assistant.services.analytics.tables.safe_cell`).
    The name reads ``analytics-<key>-<start>-<end>.csv``.

    Raises:
        Forbidden, NotFound: as :func:`~assistant.services.analytics.instance.table`.
    """
    found = table(session=session, user=user, key=key, period=period)
    return f"analytics-{key}-{period.start.isoformat()}-{period.end.isoformat()}.csv", to_csv(found)

"""Context files: the primary context (one, written by admins, sent in every chat of every user) and
each user's personal context. Every save is a new version; restoring an old one saves it again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from assistant.core.errors import Forbidden, InvalidInput, NotFound
from assistant.models import ContextFile, ContextFileVersion, ContextScope, Role, User
from assistant.services.admin import audit
from assistant.services.auth.permissions import has_role

MAX_CONTEXT_CHARS = 20_000
#: How many versions the history lists.
VERSION_LIST_LIMIT = 50


@dataclass(frozen=True)
class ContextVersion:
    """One saved text: ``version`` counts from 1; ``author`` is a display name ("" when deleted)."""

    version: int
    content: str
    author: str
    created_at: datetime


def _owner_id(user: User, scope: ContextScope) -> uuid.UUID | None:
    return None if scope == ContextScope.PRIMARY else user.id


def _check_write(user: User, scope: ContextScope) -> None:
    if scope == ContextScope.PRIMARY and not has_role(user, Role.ADMIN):
        raise Forbidden("errors.forbidden")


def _file(session: Session, user: User, scope: ContextScope) -> ContextFile | None:
    owner_id = _owner_id(user, scope)
    query = select(ContextFile).where(ContextFile.scope == scope.value)
    query = query.where(col(ContextFile.owner_id).is_(None) if owner_id is None else ContextFile.owner_id == owner_id)
    return session.exec(query).first()


def _versions(session: Session, file: ContextFile, limit: int) -> list[ContextVersion]:
    rows = session.exec(
        select(ContextFileVersion, User.display_name)
        .join(User, col(User.id) == ContextFileVersion.author_id, isouter=True)
        .where(ContextFileVersion.file_id == file.id)
        .order_by(col(ContextFileVersion.version).desc())
        .limit(limit)
    ).all()
    return [ContextVersion(row.version, row.content, name or "", row.created_at) for row, name in rows]


def read_context(*, session: Session, user: User, scope: ContextScope) -> str:
    """The current text of the primary context or of ``user``'s personal context ("" if never saved).
    Every user may read the primary context: it is part of what their assistant sees."""
    file = _file(session, user, scope)
    if file is None:
        return ""
    versions = _versions(session, file, 1)
    return versions[0].content if versions else ""


def list_versions(*, session: Session, user: User, scope: ContextScope) -> list[ContextVersion]:
    """The saved versions, newest first (at most :data:`VERSION_LIST_LIMIT`).

    Raises:
        Forbidden: the primary context's history asked for by a non-admin.
    """
    _check_write(user, scope)
    file = _file(session, user, scope)
    return [] if file is None else _versions(session, file, VERSION_LIST_LIMIT)


def save_context(*, session: Session, user: User, scope: ContextScope, content: str) -> int:
    """Save ``content`` as the next version and return its number; saving the current text again
    stores nothing and returns the current number (0 for an empty file never saved).

    Raises:
        Forbidden: the primary context saved by a non-admin.
        InvalidInput: ``context.too_long`` over :data:`MAX_CONTEXT_CHARS` characters.
    """
    _check_write(user, scope)
    if len(content) > MAX_CONTEXT_CHARS:
        raise InvalidInput("context.too_long", limit=MAX_CONTEXT_CHARS)
    owner_id = _owner_id(user, scope)
    index = ["scope"] if owner_id is None else ["owner_id"]
    where = "scope = 'primary'" if owner_id is None else "owner_id IS NOT NULL"
    session.execute(
        insert(ContextFile)
        .values(id=uuid.uuid4(), scope=scope.value, owner_id=owner_id)
        .on_conflict_do_nothing(index_elements=index, index_where=text(where))
    )
    file = _file(session, user, scope)
    assert file is not None
    session.exec(select(ContextFile).where(ContextFile.id == file.id).with_for_update()).one()
    current = _versions(session, file, 1)
    if current and current[0].content == content:
        return current[0].version
    if not current and content == "":
        return 0
    number = (current[0].version if current else 0) + 1
    session.add(ContextFileVersion(file_id=file.id, version=number, content=content, author_id=user.id))
    session.flush()
    if scope == ContextScope.PRIMARY:
        audit.record(session, actor=user, action="context.primary.update", target_type="context",
                     target_label="primary",
                     before={"version": current[0].version, "characters": len(current[0].content)} if current else None,
                     after={"version": number, "characters": len(content)})
    return number


def restore_version(*, session: Session, user: User, scope: ContextScope, version: int) -> int:
    """Save the text of an old ``version`` as the newest one; returns the new version number.

    Raises:
        Forbidden: the primary context restored by a non-admin.
        NotFound: ``context.version_not_found``.
    """
    _check_write(user, scope)
    file = _file(session, user, scope)
    row = None if file is None else session.exec(
        select(ContextFileVersion).where(ContextFileVersion.file_id == file.id, ContextFileVersion.version == version)
    ).first()
    if row is None:
        raise NotFound("context.version_not_found")
    return save_context(session=session, user=user, scope=scope, content=row.content)

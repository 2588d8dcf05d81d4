"""Shared collections: sets of documents an admin manages and grants to users.

An admin (``Role.ADMIN`` or ``Role.SUPERADMIN``) creates a collection, uploads documents into it
(:func:`assistant.services.rag.documents.store_upload` with ``collection_id``) and grants it to users by
e-mail or id; a granted user lists, reads and searches its documents (``documents._visible_filter`` and
``search_sql._READABLE`` read ``collection_grants`` at every query, so a revoked grant hides them at once).
A user's own uploads stay private to them.

Every admin function raises ``Forbidden("errors.forbidden")`` for anyone below admin (an inactive
admin included), checked before anything else, and ``NotFound("collections.not_found")`` for an
unknown collection id. Names are 1-100 characters after trimming and unique regardless of case;
descriptions at most 500 characters.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from assistant.core.config import Settings
from assistant.core.db import affected_rows
from assistant.core.errors import InvalidInput, NotFound
from assistant.models import Collection, CollectionGrant, Document, User
from assistant.models.base import utcnow
from assistant.models.user import Role
from assistant.services.admin import audit
from assistant.services.auth.permissions import require_role
from assistant.services.rag.documents import remove_document

MAX_NAME_CHARS = 100
MAX_DESCRIPTION_CHARS = 500
#: Key of the transaction-level advisory lock that serialises name checks (there is no unique index on
#: ``lower(name)``), so two admins creating "Leaflets" at the same moment cannot both succeed.
_NAME_LOCK = 0x636F6C6C  # "coll"


@dataclass(frozen=True)
class CollectionView:
    """A collection as listed: ``document_count`` documents in it (any status), ``grant_count`` users
    granted it (0 in :func:`collections_for`, which a non-admin calls)."""

    id: uuid.UUID
    name: str
    description: str
    document_count: int
    grant_count: int
    created_at: datetime


@dataclass(frozen=True)
class GranteeView:
    """A user a collection is granted to."""

    user_id: uuid.UUID
    email: str
    display_name: str
    is_active: bool
    granted_at: datetime


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("collections.name_required")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidInput("collections.name_too_long", limit=MAX_NAME_CHARS)
    return name


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise InvalidInput("collections.description_too_long", limit=MAX_DESCRIPTION_CHARS)
    return description


def _check_name_free(session: Session, name: str, *, except_id: uuid.UUID | None = None) -> None:
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _NAME_LOCK})
    statement = select(Collection.id).where(func.lower(Collection.name) == name.lower())
    if except_id is not None:
        statement = statement.where(Collection.id != except_id)
    if session.exec(statement).first() is not None:
        raise InvalidInput("collections.name_taken", name=name)


def get_collection(*, session: Session, user: User, collection_id: uuid.UUID) -> Collection:
    """The collection ``collection_id`` (admins only).

    Raises:
        Forbidden: ``errors.forbidden`` below admin.
        NotFound: ``collections.not_found``.
    """
    require_role(user, Role.ADMIN)
    collection = session.get(Collection, collection_id)
    if collection is None:
        raise NotFound("collections.not_found")
    return collection


def create_collection(*, session: Session, user: User, name: str, description: str = "") -> Collection:
    """A new, empty collection created by ``user`` and granted to them, so the documents they upload into
    it are in their own searches as well as in their list (they may revoke it) (the caller commits).

    ``name`` is trimmed (inner runs of white space become one space), ``description`` trimmed.

    Raises:
        Forbidden: ``errors.forbidden`` below admin.
        InvalidInput: ``collections.name_required`` (blank), ``collections.name_too_long`` (over 100),
            ``collections.name_taken`` (another collection has it, in any case),
            ``collections.description_too_long`` (over 500).
    """
    require_role(user, Role.ADMIN)
    name, description = _clean_name(name), _clean_description(description)
    _check_name_free(session, name)
    collection = Collection(name=name, description=description, created_by=user.id)
    session.add(collection)
    session.flush()
    session.add(CollectionGrant(collection_id=collection.id, user_id=user.id))
    session.flush()
    audit.record(session, actor=user, action="collection.create", target_type="collection", target_id=collection.id,
                 target_label=collection.name, after={"name": name, "description": description})
    return collection


def update_collection(*, session: Session, user: User, collection_id: uuid.UUID, name: str | None = None,
                      description: str | None = None) -> Collection:
    """Rename and/or describe the collection (``None`` leaves a field as it is).

    Raises:
        Forbidden, NotFound: as :func:`get_collection`.
        InvalidInput: as :func:`create_collection` (its own current name is not "taken").
    """
    collection = get_collection(session=session, user=user, collection_id=collection_id)
    before = {"name": collection.name, "description": collection.description}
    if name is not None:
        name = _clean_name(name)
        _check_name_free(session, name, except_id=collection.id)
        collection.name = name
    if description is not None:
        collection.description = _clean_description(description)
    collection.updated_at = utcnow()
    session.add(collection)
    session.flush()
    audit.record(session, actor=user, action="collection.update", target_type="collection", target_id=collection.id,
                 target_label=collection.name, before=before,
                 after={"name": collection.name, "description": collection.description})
    return collection


def delete_collection(*, session: Session, user: User, collection_id: uuid.UUID, settings: Settings) -> int:
    """Delete the collection with its grants and every document in it: their chunks (so the BM25
    statistics stay exact), rows and files, exactly as deleting each document would. Running
    ingestions of those documents stop without storing anything.

    Returns:
        The number of documents deleted.

    Raises:
        Forbidden, NotFound: as :func:`get_collection`.
    """
    collection = get_collection(session=session, user=user, collection_id=collection_id)
    session.exec(select(Collection.id).where(Collection.id == collection.id).with_for_update()).one()
    documents = session.exec(
        select(Document).where(Document.collection_id == collection.id).with_for_update()
    ).all()
    for document in documents:
        remove_document(session=session, document=document, settings=settings)
    audit.record(session, actor=user, action="collection.delete", target_type="collection", target_id=collection.id,
                 target_label=collection.name, before={"name": collection.name, "documents": len(documents)})
    session.delete(collection)  # grants go with it (ON DELETE CASCADE)
    session.flush()
    return len(documents)


def list_collections(*, session: Session, user: User) -> list[CollectionView]:
    """Every collection with its document and grant counts, by name (case-insensitive); admins only.

    Raises:
        Forbidden: ``errors.forbidden`` below admin.
    """
    require_role(user, Role.ADMIN)
    documents = (select(func.count()).select_from(Document)
                 .where(Document.collection_id == Collection.id).scalar_subquery())
    grants = (select(func.count()).select_from(CollectionGrant)
              .where(CollectionGrant.collection_id == Collection.id).scalar_subquery())
    rows = session.exec(
        select(Collection, documents, grants).order_by(func.lower(Collection.name), col(Collection.created_at))
    ).all()
    return [
        CollectionView(id=c.id, name=c.name, description=c.description, document_count=int(n_docs),
                       grant_count=int(n_grants), created_at=c.created_at)
        for c, n_docs, n_grants in rows
    ]


def collections_for(*, session: Session, user: User) -> list[CollectionView]:
    """The collections granted to ``user`` (any role; an admin sees only those granted to them too),
    by name, with their document counts; ``grant_count`` is 0 (who else has access is not theirs to see)."""
    documents = (select(func.count()).select_from(Document)
                 .where(Document.collection_id == Collection.id).scalar_subquery())
    rows = session.exec(
        select(Collection, documents)
        .join(CollectionGrant, col(CollectionGrant.collection_id) == Collection.id)
        .where(CollectionGrant.user_id == user.id)
        .order_by(func.lower(Collection.name), col(Collection.created_at))
    ).all()
    return [
        CollectionView(id=c.id, name=c.name, description=c.description, document_count=int(n_docs),
                       grant_count=0, created_at=c.created_at)
        for c, n_docs in rows
    ]


def _grantee(session: Session, email: str | None, user_id: uuid.UUID | None) -> User:
    if (email is None) == (user_id is None):
        raise InvalidInput("collections.grant_whom")
    if user_id is not None:
        grantee = session.get(User, user_id)
        if grantee is None:
            raise NotFound("collections.user_not_found", email=str(user_id))
        return grantee
    assert email is not None  # exactly one of the two is given
    address = email.strip().lower()
    if not address:
        raise InvalidInput("collections.email_required")
    grantee = session.exec(select(User).where(User.email == address)).first()
    if grantee is None:
        raise NotFound("collections.user_not_found", email=address)
    return grantee


def grant(*, session: Session, user: User, collection_id: uuid.UUID, email: str | None = None,
          user_id: uuid.UUID | None = None) -> User:
    """Let the account with ``email`` (trimmed, any case) or ``user_id`` read and search the
    collection. Granting again changes nothing.

    Returns:
        The grantee.

    Raises:
        Forbidden, NotFound: as :func:`get_collection`.
        InvalidInput: ``collections.grant_whom`` (neither or both of email and id),
            ``collections.email_required`` (blank e-mail).
        NotFound: ``collections.user_not_found`` (no such account; ``email`` names what was asked).
    """
    collection = get_collection(session=session, user=user, collection_id=collection_id)
    grantee = _grantee(session, email, user_id)
    result = session.execute(
        text("INSERT INTO collection_grants (collection_id, user_id, created_at) VALUES (:c, :u, :t) "
             "ON CONFLICT DO NOTHING"),
        {"c": collection.id, "u": grantee.id, "t": utcnow()},
    )
    if affected_rows(result):
        audit.record(session, actor=user, action="collection.grant_user", target_type="collection",
                     target_id=collection.id, target_label=collection.name, after={"user": grantee.email})
    return grantee


def revoke(*, session: Session, user: User, collection_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Take the collection away from ``user_id``: from the next query on, its documents are neither
    listed nor searched for them (their own uploads are untouched).

    Returns:
        Whether there was a grant to remove.

    Raises:
        Forbidden, NotFound: as :func:`get_collection`.
    """
    collection = get_collection(session=session, user=user, collection_id=collection_id)
    result = session.execute(
        text("DELETE FROM collection_grants WHERE collection_id = :c AND user_id = :u"),
        {"c": collection.id, "u": user_id},
    )
    removed = affected_rows(result) > 0
    if removed:
        grantee = session.get(User, user_id)
        audit.record(session, actor=user, action="collection.revoke_user", target_type="collection",
                     target_id=collection.id, target_label=collection.name,
                     before={"user": grantee.email if grantee else str(user_id)})
    return removed


def list_grantees(*, session: Session, user: User, collection_id: uuid.UUID) -> list[GranteeView]:
    """The users the collection is granted to, by e-mail.

    Raises:
        Forbidden, NotFound: as :func:`get_collection`.
    """
    collection = get_collection(session=session, user=user, collection_id=collection_id)
    rows = session.exec(
        select(User, CollectionGrant.created_at)
        .join(CollectionGrant, col(CollectionGrant.user_id) == User.id)
        .where(CollectionGrant.collection_id == collection.id)
        .order_by(col(User.email))
    ).all()
    return [GranteeView(user_id=u.id, email=u.email, display_name=u.display_name, is_active=u.is_active,
                        granted_at=granted_at) for u, granted_at in rows]


def grantees_by_collection(*, session: Session, user: User) -> dict[uuid.UUID, list[GranteeView]]:
    """``{collection id: grantees by e-mail}`` of every collection that has any, in one query (for the
    admin page); admins only.

    Raises:
        Forbidden: ``errors.forbidden`` below admin.
    """
    require_role(user, Role.ADMIN)
    rows = session.exec(
        select(CollectionGrant.collection_id, User, CollectionGrant.created_at)
        .join(User, col(User.id) == CollectionGrant.user_id)
        .order_by(col(User.email))
    ).all()
    result: dict[uuid.UUID, list[GranteeView]] = {}
    for collection_id, u, granted_at in rows:
        result.setdefault(collection_id, []).append(
            GranteeView(user_id=u.id, email=u.email, display_name=u.display_name, is_active=u.is_active,
                        granted_at=granted_at))
    return result

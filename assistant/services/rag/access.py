"""Which documents a user may read, defined once.

The rule: a user reads their own private documents (``owner_id`` is theirs and ``collection_id`` is
NULL) and every document of a collection granted to them in ``collection_grants``. Nothing else: not
an admin's role, and not having uploaded a document into a collection (whoever creates a collection is
granted it, and an admin who revoked their own grant no longer reads it).

:func:`readable_by` builds that condition for any user id expression, so one rule serves both directions:
"the documents user X may read" (the documents list, the viewer through
:func:`~assistant.services.rag.documents.get_document`, search through :func:`readable_sql` on its chunk
columns) and "the users who may read document D" (:func:`readers_of_document`, for fanning events out).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, literal_column, or_
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from assistant.models import CollectionGrant, Document, User


def readable_by(user_id: ColumnElement[Any] | Mapped[Any] | uuid.UUID, *, owner_id: ColumnElement[Any] | None = None,
                collection_id: ColumnElement[Any] | None = None) -> ColumnElement[bool]:
    """The SQL condition "``user_id`` may read this document".

    Args:
        user_id: a user's id, or any SQL expression of one (``User.id`` in a correlated query, a bind
            parameter).
        owner_id, collection_id: the columns naming the document's owner and collection; by default
            ``documents.owner_id``/``documents.collection_id`` (search passes the copies on ``chunks``).
    """
    owner = col(Document.owner_id) if owner_id is None else owner_id
    collection = col(Document.collection_id) if collection_id is None else collection_id
    # correlated to whichever enclosing query holds the user (``users`` in readers_of_document)
    granted = (select(CollectionGrant.collection_id).where(col(CollectionGrant.user_id) == user_id)
               .correlate_except(CollectionGrant))
    return or_(and_(owner == user_id, collection.is_(None)), collection.in_(granted))


def readable_sql(alias: str, user_param: str = "user_id") -> str:
    """:func:`readable_by` as SQL text for hand-written statements: the columns ``<alias>.owner_id`` and
    ``<alias>.collection_id``, the user id as the bind parameter ``:<user_param>``."""
    condition = readable_by(literal_column(f":{user_param}"), owner_id=literal_column(f"{alias}.owner_id"),
                            collection_id=literal_column(f"{alias}.collection_id"))
    compiled = condition.compile(dialect=postgresql.dialect())  # type: ignore[no-untyped-call]
    return "(" + " ".join(str(compiled).split()) + ")"


def readers_of_document(session: Session, document_id: uuid.UUID) -> set[uuid.UUID]:
    """The ids of every account that may read document ``document_id`` (by :func:`readable_by`: its
    owner when it is private, else everyone granted its collection); empty for a missing document.
    Deactivated accounts are included (they are refused at their next event anyway)."""
    readable = exists(select(Document.id).where(Document.id == document_id, readable_by(col(User.id))))
    return set(session.exec(select(User.id).where(readable)))

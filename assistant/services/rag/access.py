"""Which documents a user may read, defined once.

The rule: a user reads their own private documents (``owner_id`` is theirs and ``collection_id`` is
NULL) and every document of a collection granted to them: to them in ``collection_grants``, to a group
they belong to in ``collection_group_grants``, or searched by a general agent (one admins manage) that is
granted to them or to one of their groups (an agent's users must be able to open its citations). Nothing
else: not an admin's role, and not having uploaded a document into a collection (whoever creates a
collection is granted it, and an admin who revoked their own grant no longer reads it). Revoking a grant
or a membership takes effect at the next query.

:func:`readable_by` builds that condition for any user id expression, so one rule serves both directions:
"the documents user X may read" (the documents list, the viewer through
:func:`~assistant.services.rag.documents.get_document`, search through :func:`readable_sql` on its chunk
columns) and "the users who may read document D" (:func:`readers_of_document`, for fanning events out).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, literal_column, or_, union
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from assistant.models import (
    Agent,
    AgentCollection,
    AgentGrant,
    AgentGroupGrant,
    CollectionGrant,
    CollectionGroupGrant,
    Document,
    GroupMember,
)


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
    return or_(and_(owner == user_id, collection.is_(None)), collection.in_(granted_collections(user_id)))


def granted_collections(user_id: ColumnElement[Any] | Mapped[Any] | uuid.UUID) -> Select[Any]:
    """The ids of the collections granted to ``user_id`` (the module's rule): one column, ``collection_id``.

    Args:
        user_id: a user's id or an SQL expression of one; each part is correlated to whichever enclosing
            query holds the user (``users`` in :func:`readers_of_document`).
    """
    direct = (select(CollectionGrant.collection_id).where(col(CollectionGrant.user_id) == user_id)
              .correlate_except(CollectionGrant))
    my_groups = (select(GroupMember.group_id).where(col(GroupMember.user_id) == user_id)
                 .correlate_except(GroupMember))
    via_group = (select(CollectionGroupGrant.collection_id)
                 .where(col(CollectionGroupGrant.group_id).in_(my_groups)).correlate_except(CollectionGroupGrant))
    my_agents = or_(
        col(Agent.id).in_(select(AgentGrant.agent_id).where(col(AgentGrant.user_id) == user_id)
                          .correlate_except(AgentGrant)),
        col(Agent.id).in_(select(AgentGroupGrant.agent_id).where(col(AgentGroupGrant.group_id).in_(my_groups))
                          .correlate_except(AgentGroupGrant)),
    )
    via_agent = (select(AgentCollection.collection_id)
                 .join(Agent, col(Agent.id) == col(AgentCollection.agent_id))
                 .where(col(Agent.owner_id).is_(None), col(Agent.is_active), my_agents)
                 .correlate_except(AgentCollection, Agent))
    return union(direct, via_group, via_agent)  # type: ignore[return-value]


def readable_sql(alias: str, user_param: str = "user_id") -> str:
    """:func:`readable_by` as SQL text for hand-written statements: the columns ``<alias>.owner_id`` and
    ``<alias>.collection_id``, the user id as the bind parameter ``:<user_param>``."""
    condition = readable_by(literal_column(f":{user_param}"), owner_id=literal_column(f"{alias}.owner_id"),
                            collection_id=literal_column(f"{alias}.collection_id"))
    compiled = condition.compile(dialect=postgresql.dialect())  # type: ignore[no-untyped-call]
    return "(" + " ".join(str(compiled).split()) + ")"


def readers_of_document(session: Session, document_id: uuid.UUID) -> set[uuid.UUID]:
    """The ids of every account that may read document ``document_id`` (by :func:`readable_by`: its
    owner when it is private, else everyone granted its collection directly, through a group or through a
    general agent); empty for a missing document. Deactivated accounts are included (they are refused at their
    next event anyway).

    Called on every progress update of an ingestion, so it asks the grant tables for the collection's readers
    (a few indexed lookups) instead of testing :func:`readable_by` for every account; the test of this module
    checks both directions agree for every kind of grant.
    """
    document = session.get(Document, document_id)
    if document is None:
        return set()
    if document.collection_id is None:
        return {document.owner_id}
    collection = document.collection_id
    groups_with_agents = (select(AgentGroupGrant.group_id)
                          .join(Agent, col(Agent.id) == col(AgentGroupGrant.agent_id))
                          .join(AgentCollection, col(AgentCollection.agent_id) == col(Agent.id))
                          .where(col(AgentCollection.collection_id) == collection, col(Agent.owner_id).is_(None),
                                 col(Agent.is_active)))
    granted_groups = union(select(CollectionGroupGrant.group_id)
                           .where(col(CollectionGroupGrant.collection_id) == collection), groups_with_agents)
    readers = union(
        select(CollectionGrant.user_id).where(col(CollectionGrant.collection_id) == collection),
        select(GroupMember.user_id).where(col(GroupMember.group_id).in_(granted_groups)),
        select(AgentGrant.user_id)
        .join(Agent, col(Agent.id) == col(AgentGrant.agent_id))
        .join(AgentCollection, col(AgentCollection.agent_id) == col(Agent.id))
        .where(col(AgentCollection.collection_id) == collection, col(Agent.owner_id).is_(None), col(Agent.is_active)),
    )
    return set(session.execute(readers).scalars())

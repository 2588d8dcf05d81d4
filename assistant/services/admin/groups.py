"""Groups of users, managed by admins: create, rename, delete; members by e-mail; collections granted to a
group (every member reads and searches them, :mod:`assistant.services.rag.access`; a grant, a revoke or a
membership change counts from the next query on).

Every function is for admins only (``Forbidden("errors.forbidden")`` otherwise) and writes the audit log.
Names are 1-100 characters after trimming and unique regardless of case; an unknown group is
``NotFound("groups.not_found")``. A group still granted a collection or an agent is not deleted
(``Conflict("groups.in_use", uses=...)`` names them).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import delete, func, text
from sqlmodel import Session, col, select

from assistant.core.db import affected_rows
from assistant.core.errors import Conflict, InvalidInput, NotFound
from assistant.models import Agent, AgentGroupGrant, Collection, CollectionGroupGrant, Group, GroupMember, User
from assistant.models.base import utcnow
from assistant.models.user import Role
from assistant.services.admin import audit
from assistant.services.auth.permissions import require_role

MAX_NAME_CHARS = 100
MAX_DESCRIPTION_CHARS = 500
#: Key of the transaction-level advisory lock that serialises name checks (the unique index is case-sensitive).
_NAME_LOCK = 0x67726F75  # "grou"


@dataclass(frozen=True)
class MemberView:
    """A member of a group."""

    user_id: uuid.UUID
    email: str
    display_name: str


@dataclass(frozen=True)
class GroupView:
    """A group as listed: its members by e-mail and the names of the collections and agents granted to it."""

    id: uuid.UUID
    name: str
    description: str
    members: list[MemberView] = field(default_factory=list)
    collections: list[str] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("groups.name_required")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidInput("groups.name_too_long", limit=MAX_NAME_CHARS)
    return name


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise InvalidInput("groups.description_too_long", limit=MAX_DESCRIPTION_CHARS)
    return description


def _check_name_free(session: Session, name: str, *, except_id: uuid.UUID | None = None) -> None:
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _NAME_LOCK})
    statement = select(Group.id).where(func.lower(Group.name) == name.lower())
    if except_id is not None:
        statement = statement.where(Group.id != except_id)
    if session.exec(statement).first() is not None:
        raise InvalidInput("groups.name_taken", name=name)


def get_group(*, session: Session, actor: User, group_id: uuid.UUID) -> Group:
    """The group ``group_id`` (admins only).

    Raises:
        Forbidden, NotFound (``groups.not_found``).
    """
    require_role(actor, Role.ADMIN)
    group = session.get(Group, group_id)
    if group is None:
        raise NotFound("groups.not_found")
    return group


def list_groups(*, session: Session, actor: User) -> list[GroupView]:
    """Every group by name (case-insensitive) with its members, collections and agents; admins only.

    Raises:
        Forbidden.
    """
    require_role(actor, Role.ADMIN)
    groups = session.exec(select(Group).order_by(func.lower(Group.name))).all()
    members: dict[uuid.UUID, list[MemberView]] = {}
    for group_id, user in session.exec(select(GroupMember.group_id, User)
                                       .join(User, col(User.id) == GroupMember.user_id).order_by(col(User.email))):
        members.setdefault(group_id, []).append(MemberView(user.id, user.email, user.display_name))
    collections: dict[uuid.UUID, list[str]] = {}
    for group_id, name in session.exec(select(CollectionGroupGrant.group_id, Collection.name)
                                       .join(Collection, col(Collection.id) == CollectionGroupGrant.collection_id)
                                       .order_by(func.lower(Collection.name))):
        collections.setdefault(group_id, []).append(name)
    agents: dict[uuid.UUID, list[str]] = {}
    for group_id, name in session.exec(select(AgentGroupGrant.group_id, Agent.name)
                                       .join(Agent, col(Agent.id) == AgentGroupGrant.agent_id)
                                       .order_by(func.lower(Agent.name))):
        agents.setdefault(group_id, []).append(name)
    return [GroupView(id=g.id, name=g.name, description=g.description, members=members.get(g.id, []),
                      collections=collections.get(g.id, []), agents=agents.get(g.id, [])) for g in groups]


def create_group(*, session: Session, actor: User, name: str, description: str = "") -> Group:
    """A new, empty group.

    Raises:
        Forbidden; InvalidInput: ``groups.name_required``, ``groups.name_too_long``, ``groups.name_taken``,
            ``groups.description_too_long``.
    """
    require_role(actor, Role.ADMIN)
    name, description = _clean_name(name), _clean_description(description)
    _check_name_free(session, name)
    group = Group(name=name, description=description)
    session.add(group)
    session.flush()
    audit.record(session, actor=actor, action="group.create", target_type="group", target_id=group.id,
                 target_label=group.name, after={"name": group.name, "description": group.description})
    return group


def update_group(*, session: Session, actor: User, group_id: uuid.UUID, name: str | None = None,
                 description: str | None = None) -> Group:
    """Rename and/or describe the group (``None`` leaves a field as it is).

    Raises:
        Forbidden, NotFound, InvalidInput: as :func:`create_group`.
    """
    group = get_group(session=session, actor=actor, group_id=group_id)
    before = {"name": group.name, "description": group.description}
    if name is not None:
        name = _clean_name(name)
        _check_name_free(session, name, except_id=group.id)
        group.name = name
    if description is not None:
        group.description = _clean_description(description)
    group.updated_at = utcnow()
    session.add(group)
    session.flush()
    audit.record(session, actor=actor, action="group.update", target_type="group", target_id=group.id,
                 target_label=group.name, before=before, after={"name": group.name, "description": group.description})
    return group


def delete_group(*, session: Session, actor: User, group_id: uuid.UUID) -> None:
    """Delete the group and its memberships, unless a collection or an agent is still granted to it.

    Raises:
        Forbidden, NotFound; Conflict: ``groups.in_use`` with ``uses`` (the collections and agents, by name).
    """
    group = get_group(session=session, actor=actor, group_id=group_id)
    session.exec(select(Group.id).where(Group.id == group.id).with_for_update()).one()
    collections = session.exec(select(Collection.name).join(
        CollectionGroupGrant, col(CollectionGroupGrant.collection_id) == Collection.id)
        .where(CollectionGroupGrant.group_id == group.id).order_by(func.lower(Collection.name))).all()
    agents = session.exec(select(Agent.name).join(AgentGroupGrant, col(AgentGroupGrant.agent_id) == Agent.id)
                          .where(AgentGroupGrant.group_id == group.id).order_by(func.lower(Agent.name))).all()
    if collections or agents:
        raise Conflict("groups.in_use", name=group.name, uses=", ".join([*collections, *agents]))
    members = session.exec(select(User.email).join(GroupMember, col(GroupMember.user_id) == User.id)
                           .where(GroupMember.group_id == group.id).order_by(col(User.email))).all()
    audit.record(session, actor=actor, action="group.delete", target_type="group", target_id=group.id,
                 target_label=group.name, before={"name": group.name, "members": list(members)})
    session.delete(group)
    session.flush()


def _user_by_email(session: Session, email: str) -> User:
    address = (email or "").strip().lower()
    if not address:
        raise InvalidInput("groups.email_required")
    user = session.exec(select(User).where(User.email == address)).first()
    if user is None:
        raise NotFound("groups.user_not_found", email=address)
    return user


def add_member(*, session: Session, actor: User, group_id: uuid.UUID, email: str) -> User:
    """Add the account with ``email`` (trimmed, any case) to the group; adding again changes nothing.

    Returns:
        The member.

    Raises:
        Forbidden, NotFound (``groups.not_found``, ``groups.user_not_found`` with ``email``);
        InvalidInput: ``groups.email_required``.
    """
    group = get_group(session=session, actor=actor, group_id=group_id)
    user = _user_by_email(session, email)
    result = session.execute(
        text("INSERT INTO group_members (group_id, user_id, created_at) VALUES (:g, :u, :t) ON CONFLICT DO NOTHING"),
        {"g": group.id, "u": user.id, "t": utcnow()})
    if affected_rows(result):
        audit.record(session, actor=actor, action="group.add_member", target_type="group", target_id=group.id,
                     target_label=group.name, after={"member": user.email})
    return user


def remove_member(*, session: Session, actor: User, group_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Take ``user_id`` out of the group: what the group was granted is out of their reach at once.

    Returns:
        Whether they were a member.

    Raises:
        Forbidden, NotFound.
    """
    group = get_group(session=session, actor=actor, group_id=group_id)
    result = session.execute(delete(GroupMember).where(col(GroupMember.group_id) == group.id,
                                                       col(GroupMember.user_id) == user_id))
    removed = affected_rows(result) > 0
    if removed:
        user = session.get(User, user_id)
        audit.record(session, actor=actor, action="group.remove_member", target_type="group", target_id=group.id,
                     target_label=group.name, before={"member": user.email if user else str(user_id)})
    return removed


def _collection(session: Session, collection_id: uuid.UUID) -> Collection:
    collection = session.get(Collection, collection_id)
    if collection is None:
        raise NotFound("collections.not_found")
    return collection


def grant_collection(*, session: Session, actor: User, collection_id: uuid.UUID, group_id: uuid.UUID) -> None:
    """Let every member of the group read and search the collection; granting again changes nothing.

    Raises:
        Forbidden, NotFound (``groups.not_found``, ``collections.not_found``).
    """
    group = get_group(session=session, actor=actor, group_id=group_id)
    collection = _collection(session, collection_id)
    result = session.execute(
        text("INSERT INTO collection_group_grants (collection_id, group_id, created_at) VALUES (:c, :g, :t) "
             "ON CONFLICT DO NOTHING"), {"c": collection.id, "g": group.id, "t": utcnow()})
    if affected_rows(result):
        audit.record(session, actor=actor, action="collection.grant_group", target_type="collection",
                     target_id=collection.id, target_label=collection.name, after={"group": group.name})


def revoke_collection(*, session: Session, actor: User, collection_id: uuid.UUID, group_id: uuid.UUID) -> bool:
    """Take the collection away from the group: its documents are out of the members' lists and searches at
    once (unless granted to them another way).

    Returns:
        Whether there was a grant to remove.

    Raises:
        Forbidden, NotFound.
    """
    group = get_group(session=session, actor=actor, group_id=group_id)
    collection = _collection(session, collection_id)
    result = session.execute(delete(CollectionGroupGrant).where(
        col(CollectionGroupGrant.collection_id) == collection.id, col(CollectionGroupGrant.group_id) == group.id))
    removed = affected_rows(result) > 0
    if removed:
        audit.record(session, actor=actor, action="collection.revoke_group", target_type="collection",
                     target_id=collection.id, target_label=collection.name, before={"group": group.name})
    return removed


def groups_by_collection(*, session: Session, actor: User) -> dict[uuid.UUID, list[tuple[uuid.UUID, str]]]:
    """``{collection id: [(group id, group name), ...] by name}`` of every collection granted to any group, in
    one query (for the collections card); admins only.

    Raises:
        Forbidden.
    """
    require_role(actor, Role.ADMIN)
    rows = session.exec(select(CollectionGroupGrant.collection_id, Group.id, Group.name)
                        .join(Group, col(Group.id) == CollectionGroupGrant.group_id)
                        .order_by(func.lower(Group.name))).all()
    result: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {}
    for collection_id, group_id, name in rows:
        result.setdefault(collection_id, []).append((group_id, name))
    return result

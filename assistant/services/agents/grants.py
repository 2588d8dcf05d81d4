"""Who may use a general agent: grants to users (by e-mail) and to groups, given and taken by admins.

Every function raises ``Forbidden("errors.forbidden")`` below admin, checked before anything else, and
``NotFound("agents.not_found")`` for an unknown agent; a personal agent cannot be granted
(``InvalidInput("agents.personal_not_grantable")``). Each change is written to the audit log in its own
transaction (``agent.grant_user``, ``agent.revoke_user``, ``agent.grant_group``, ``agent.revoke_group``); giving
a grant that exists, or taking one that does not, changes and logs nothing. A change applies at the next
:func:`~assistant.services.agents.availability.agents_for` or turn.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from assistant.core.errors import InvalidInput, NotFound
from assistant.models import Agent, AgentGrant, AgentGroupGrant, Group, GroupMember, Role, User
from assistant.services.admin import audit
from assistant.services.auth.permissions import require_role


@dataclass(frozen=True)
class UserGrantee:
    """A user a general agent is granted to directly."""

    user_id: uuid.UUID
    email: str
    display_name: str


@dataclass(frozen=True)
class GroupGrantee:
    """A group a general agent is granted to, with its member count."""

    group_id: uuid.UUID
    name: str
    members: int


@dataclass(frozen=True)
class Grantees:
    """Who a general agent is granted to: users by e-mail, groups by name."""

    users: list[UserGrantee]
    groups: list[GroupGrantee]


def _general_agent(session: Session, actor: User, agent_id: uuid.UUID) -> Agent:
    require_role(actor, Role.ADMIN)
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise NotFound("agents.not_found")
    if agent.owner_id is not None:
        raise InvalidInput("agents.personal_not_grantable")
    return agent


def _group(session: Session, group_id: uuid.UUID) -> Group:
    group = session.get(Group, group_id)
    if group is None:
        raise NotFound("agents.group_not_found")
    return group


def grant_user(*, session: Session, actor: User, agent_id: uuid.UUID, email: str) -> UserGrantee:
    """Let the account with ``email`` (trimmed, any case) use the general agent.

    Raises:
        InvalidInput: ``agents.email_required`` for a blank e-mail.
        NotFound: ``agents.user_not_found`` (``email``: what was asked) for no such account.
    """
    agent = _general_agent(session, actor, agent_id)
    address = email.strip().lower()
    if not address:
        raise InvalidInput("agents.email_required")
    grantee = session.exec(select(User).where(User.email == address)).first()
    if grantee is None:
        raise NotFound("agents.user_not_found", email=address)
    if session.get(AgentGrant, (agent.id, grantee.id)) is None:
        session.add(AgentGrant(agent_id=agent.id, user_id=grantee.id))
        audit.record(session, actor=actor, action="agent.grant_user", target_type="agent", target_id=agent.id,
                     target_label=agent.name, after={"user": grantee.email})
    return UserGrantee(grantee.id, grantee.email, grantee.display_name)


def revoke_user(*, session: Session, actor: User, agent_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Take the general agent away from user ``user_id`` (a group they belong to may still give it).

    Returns:
        Whether there was a grant to take.
    """
    agent = _general_agent(session, actor, agent_id)
    row = session.get(AgentGrant, (agent.id, user_id))
    if row is None:
        return False
    grantee = session.get(User, user_id)
    session.delete(row)
    audit.record(session, actor=actor, action="agent.revoke_user", target_type="agent", target_id=agent.id,
                 target_label=agent.name, before={"user": grantee.email if grantee else str(user_id)})
    session.flush()
    return True


def grant_group(*, session: Session, actor: User, agent_id: uuid.UUID, group_id: uuid.UUID) -> GroupGrantee:
    """Let every member of group ``group_id`` use the general agent.

    Raises:
        NotFound: ``agents.group_not_found``.
    """
    agent = _general_agent(session, actor, agent_id)
    group = _group(session, group_id)
    if session.get(AgentGroupGrant, (agent.id, group.id)) is None:
        session.add(AgentGroupGrant(agent_id=agent.id, group_id=group.id))
        audit.record(session, actor=actor, action="agent.grant_group", target_type="agent", target_id=agent.id,
                     target_label=agent.name, after={"group": group.name})
    members = session.exec(select(func.count()).select_from(GroupMember).where(GroupMember.group_id == group.id)).one()
    return GroupGrantee(group.id, group.name, int(members))


def revoke_group(*, session: Session, actor: User, agent_id: uuid.UUID, group_id: uuid.UUID) -> bool:
    """Take the general agent away from group ``group_id``.

    Returns:
        Whether there was a grant to take.
    """
    agent = _general_agent(session, actor, agent_id)
    row = session.get(AgentGroupGrant, (agent.id, group_id))
    if row is None:
        return False
    group = session.get(Group, group_id)
    session.delete(row)
    audit.record(session, actor=actor, action="agent.revoke_group", target_type="agent", target_id=agent.id,
                 target_label=agent.name, before={"group": group.name if group else str(group_id)})
    session.flush()
    return True


def list_grantees(*, session: Session, actor: User, agent_id: uuid.UUID) -> Grantees:
    """Who the general agent is granted to: users by e-mail, groups by name."""
    agent = _general_agent(session, actor, agent_id)
    users = session.exec(select(User).join(AgentGrant, col(AgentGrant.user_id) == User.id)
                         .where(AgentGrant.agent_id == agent.id).order_by(col(User.email)))
    members = (select(func.count()).select_from(GroupMember).where(GroupMember.group_id == Group.id)
               .scalar_subquery())
    groups = session.exec(select(Group, members).join(AgentGroupGrant, col(AgentGroupGrant.group_id) == Group.id)
                          .where(AgentGroupGrant.agent_id == agent.id).order_by(func.lower(Group.name)))
    return Grantees(users=[UserGrantee(u.id, u.email, u.display_name) for u in users],
                    groups=[GroupGrantee(g.id, g.name, int(n)) for g, n in groups])


def group_choices(*, session: Session, actor: User) -> list[tuple[uuid.UUID, str]]:
    """Every group as ``(id, name)``, by name, for the grant picker (groups are managed elsewhere)."""
    require_role(actor, Role.ADMIN)
    return [(g.id, g.name) for g in session.exec(select(Group).order_by(func.lower(Group.name)))]

"""The audit log: one row per administrative action, written in the transaction of the action itself.

Who acted comes from the service's ``actor``; the address from :data:`client_address`, a context variable the
web layer sets for each event or request (``asyncio.to_thread`` carries it to the worker thread that runs the
service). Values before and after pass through :func:`redact`, so a secret is logged only as ``"set"`` or
``"unset"``, never in clear or encrypted.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from assistant.core.errors import InvalidInput
from assistant.models import AuditEntry, User
from assistant.models.user import Role
from assistant.services.auth.permissions import require_role

#: The address of the browser or API client whose event or request is being handled (``""``: none, such as
#: the CLI or the worker).
client_address: ContextVar[str] = ContextVar("audit_client_address", default="")

#: Keys whose values are secrets, redacted wherever they appear in a logged value: a key that is or ends in
#: ``password``, ``secret``, ``token`` or ``api_key`` (optionally ``..._encrypted``); ``max_tokens`` is not one.
SECRET_KEY_PATTERN = re.compile(r"(?:^|_)(?:password|secret|token|api_?key)(?:_encrypted)?$", re.IGNORECASE)


def redact(value: Any) -> Any:
    """``value`` with every secret replaced: in dicts (at any depth), the value of a key matching
    :data:`SECRET_KEY_PATTERN` becomes ``"set"`` when truthy, else ``"unset"``; lists are walked; other
    values are returned as they are (they must be JSON-serializable)."""
    if isinstance(value, dict):
        return {key: (("set" if item else "unset") if SECRET_KEY_PATTERN.search(str(key)) else redact(item))
                for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def record(session: Session, *, actor: User, action: str, target_type: str = "", target_id: object = "",
           target_label: str = "", before: Any = None, after: Any = None) -> AuditEntry:
    """Add an audit entry for ``actor``'s ``action`` to the session (it commits with the action).

    Args:
        action: ``<area>.<verb>``, e.g. ``setting.update``, ``user.create``, ``group.add_member``.
        target_type, target_id, target_label: what was acted on (``target_id`` is stringified; the label is
            what a reader recognises, such as an e-mail or a name, cut to 300 characters).
        before, after: the values before and after a change (JSON-serializable; secrets are redacted).

    Returns:
        The new, flushed entry.
    """
    entry = AuditEntry(
        actor_id=actor.id,
        actor_email=actor.email,
        action=action[:100],
        target_type=target_type[:50],
        target_id=str(target_id)[:100],
        target_label=target_label[:300],
        before=redact(before),
        after=redact(after),
        client_address=client_address.get()[:64],
    )
    session.add(entry)
    session.flush()
    return entry


#: The most entries one page of :func:`list_entries` holds.
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class AuditPage:
    """One page of the audit log, newest first: ``entries`` and how many match in all (``total``)."""

    entries: list[AuditEntry]
    total: int


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_entries(*, session: Session, actor: User, action: str = "", actor_text: str = "", target_text: str = "",
                 since: datetime | None = None, until: datetime | None = None, offset: int = 0,
                 limit: int = 50) -> AuditPage:
    """The audit log, newest first, filtered; admins only.

    Args:
        action: an exact action (``user.create``) or an area ending in a dot (``user.``); ``""``: all.
        actor_text: part of the acting account's e-mail (any case).
        target_text: part of the target's label or id (any case).
        since, until: timezone-aware bounds of ``created_at`` (``since`` included, ``until`` excluded).
        offset, limit: the page (``limit`` 1-:data:`MAX_PAGE_SIZE`).

    Raises:
        Forbidden: below admin. InvalidInput: ``audit.bad_page`` (negative offset, limit out of range).
    """
    require_role(actor, Role.ADMIN)
    if offset < 0 or not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput("audit.bad_page")
    conditions = []
    if action.endswith("."):
        conditions.append(col(AuditEntry.action).startswith(action, autoescape=True))
    elif action:
        conditions.append(col(AuditEntry.action) == action)
    if actor_text.strip():
        conditions.append(col(AuditEntry.actor_email).ilike(_like(actor_text.strip()), escape="\\"))
    if target_text.strip():
        pattern = _like(target_text.strip())
        conditions.append(or_(col(AuditEntry.target_label).ilike(pattern, escape="\\"),
                              col(AuditEntry.target_id).ilike(pattern, escape="\\")))
    if since is not None:
        conditions.append(col(AuditEntry.created_at) >= since)
    if until is not None:
        conditions.append(col(AuditEntry.created_at) < until)
    total = session.exec(select(func.count()).select_from(AuditEntry).where(*conditions)).one()
    entries = session.exec(select(AuditEntry).where(*conditions)
                           .order_by(col(AuditEntry.created_at).desc(), col(AuditEntry.id).desc())
                           .offset(offset).limit(limit)).all()
    return AuditPage(entries=list(entries), total=int(total))


def known_actions(*, session: Session, actor: User) -> list[str]:
    """Every action the log holds, sorted (for the page's filter); admins only.

    Raises:
        Forbidden.
    """
    require_role(actor, Role.ADMIN)
    return list(session.exec(select(AuditEntry.action).distinct().order_by(col(AuditEntry.action))).all())

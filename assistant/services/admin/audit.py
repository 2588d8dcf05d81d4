"""The audit log: one row per administrative action, written in the transaction of the action itself.

Who acted comes from the service's ``actor``; the address from :data:`client_address`, a context variable the
web layer sets for each event or request (``asyncio.to_thread`` carries it to the worker thread that runs the
service). Values before and after pass through :func:`redact`, so a secret is logged only as ``"set"`` or
``"unset"``, never in clear or encrypted.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Any

from sqlmodel import Session

from assistant.models import AuditEntry, User

#: The address of the browser or API client whose event or request is being handled (``""``: none, such as
#: the CLI or the worker).
client_address: ContextVar[str] = ContextVar("audit_client_address", default="")

#: Keys whose values are secrets: redacted wherever they appear in a logged value.
SECRET_KEY_PATTERN = re.compile(r"password|token|secret|api_?key", re.IGNORECASE)


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

"""The assistant's changes to a user's memory: applied at once (with an undo that restores the previous
state exactly) or, for health facts when the user asked to confirm them, held as a proposal that
changes nothing until the user confirms it.

Each change is a :class:`~assistant.models.MemoryChange` row; the chat shows it as a card ("Remembered",
"Updated ... was ...", "Forgot", or a proposal with Confirm and Reject). Undo refuses (``memory.undo_stale``)
once a fact the change touched has changed again, so it never clobbers a later edit.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from assistant.core.errors import Conflict, NotFound
from assistant.models import (
    ChangeKind,
    ChangeState,
    MemoryAuthor,
    MemoryChange,
    MemoryEntry,
    MemoryStatus,
    User,
)
from assistant.models.base import utcnow
from assistant.services.memory import dedupe
from assistant.services.memory.entries import (
    Fact,
    Provenance,
    active_entry,
    embed_fact,
    find_match,
    insert_entry,
    notify,
    save_fact,
    snapshot,
    supersede,
    validate_fact,
)


def _needs_confirmation(user: User, *entries_or_facts: MemoryEntry | Fact | None) -> bool:
    return user.confirm_health_memories and any(item is not None and item.sensitive for item in entries_or_facts)


def _fact_json(fact: Fact) -> dict[str, Any]:
    return {"content": fact.content, "category": fact.category.value, "importance": fact.importance.value,
            "sensitive": fact.sensitive, "valid_from": fact.valid_from.isoformat() if fact.valid_from else None}


def _fact_of(data: dict[str, Any]) -> Fact:
    return validate_fact(content=data["content"], category=data["category"], importance=data["importance"],
                         sensitive=data["sensitive"], valid_from=data.get("valid_from"))


def _record(session: Session, user: User, provenance: Provenance, **fields: Any) -> MemoryChange:
    change = MemoryChange(user_id=user.id, chat_id=provenance.chat_id, message_id=provenance.message_id, **fields)
    session.add(change)
    session.flush()
    return change


def _apply_save(session: Session, user: User, fact: Fact, provenance: Provenance, change: MemoryChange,
                vector: list[float] | None = None) -> None:
    """Save ``fact`` (:func:`~assistant.services.memory.entries.save_fact`) into ``change``: its kind,
    ids, texts and the snapshot an undo restores."""
    saved = save_fact(session=session, user=user, fact=fact, author=MemoryAuthor.ASSISTANT, provenance=provenance,
                      vector=vector)
    change.memory_id, change.content = saved.entry.id, saved.entry.content
    if saved.duplicate:
        change.kind = ChangeKind.DUPLICATE.value
    elif saved.previous is not None and saved.previous_state is not None:
        change.kind, change.previous_id, change.previous_content = (ChangeKind.SUPERSEDED.value, saved.previous.id,
                                                                    saved.previous.content)
        change.before, change.created = [saved.previous_state], [str(saved.entry.id)]
    else:
        change.kind, change.created = ChangeKind.CREATED.value, [str(saved.entry.id)]


def _apply_update(session: Session, user: User, old: MemoryEntry, fact: Fact, provenance: Provenance,
                  change: MemoryChange) -> None:
    """Supersede ``old`` by ``fact`` into ``change``."""
    entry = insert_entry(session, user=user, fact=fact, vector=embed_fact(fact), author=MemoryAuthor.ASSISTANT,
                         provenance=provenance)
    change.before = [snapshot(old)]
    supersede(session, old, entry)
    change.kind, change.memory_id, change.previous_id = ChangeKind.SUPERSEDED.value, entry.id, old.id
    change.content, change.previous_content, change.created = entry.content, old.content, [str(entry.id)]
    notify(session, user, entry.id, "saved")


def _apply_forget(session: Session, user: User, entry: MemoryEntry, change: MemoryChange) -> None:
    change.before = [snapshot(entry)]
    entry.status = MemoryStatus.FORGOTTEN.value
    entry.valid_until = utcnow().date()
    entry.updated_at = utcnow()
    session.add(entry)
    change.kind, change.memory_id, change.content = ChangeKind.FORGOTTEN.value, entry.id, entry.content
    notify(session, user, entry.id, "forgotten")


def _stamp_after(session: Session, change: MemoryChange) -> None:
    """Remember how the touched facts look right after the change (the undo's staleness check)."""
    session.flush()
    stamped = []
    for item in change.before:
        entry = session.get(MemoryEntry, uuid.UUID(item["id"]))
        stamped.append({**item, "after": entry.updated_at.isoformat() if entry is not None else None})
    change.before = stamped


def remember(*, session: Session, user: User, fact: Fact, provenance: Provenance) -> MemoryChange:
    """The assistant saves ``fact`` (``save_memory``). A health fact of a user who confirms health
    facts becomes a pending proposal (nothing stored until confirmed) unless it is already remembered.

    Returns:
        The change; its ``kind`` is ``created``, ``superseded`` or ``duplicate`` and its ``state``
        ``applied`` or ``pending``.
    """
    vector = embed_fact(fact)
    if _needs_confirmation(user, fact):
        match = find_match(session=session, user=user, fact=fact, vector=vector)
        if match is None or not dedupe.is_same_value(match.content, fact.content):
            kind = ChangeKind.SUPERSEDED if match else ChangeKind.CREATED
            change = _record(session, user, provenance, kind=kind.value,
                             state=ChangeState.PENDING.value, content=fact.content, category=fact.category.value,
                             previous_id=match.id if match else None, previous_content=match.content if match else "",
                             proposal={"op": "save", "fact": _fact_json(fact), "provenance": provenance.as_json()})
            notify(session, user, None, "proposed")
            return change
    change = _record(session, user, provenance, kind=ChangeKind.CREATED.value, state=ChangeState.APPLIED.value,
                     category=fact.category.value)
    _apply_save(session, user, fact, provenance, change, vector)
    _stamp_after(session, change)
    return change


def revise(*, session: Session, user: User, memory_id: uuid.UUID, content: str | None = None,
           category: str | None = None, importance: str | None = None, valid_from: date | str | None = None,
           provenance: Provenance) -> MemoryChange:
    """The assistant changes an active fact (``update_memory``): the new version supersedes it.

    Raises:
        NotFound: ``memory.not_found`` (also another user's id), ``memory.not_active`` (superseded or
            forgotten). InvalidInput: see :func:`~assistant.services.memory.entries.validate_fact`.
    """
    old = active_entry(session=session, user=user, memory_id=memory_id)
    fact = validate_fact(content=content or old.content, category=category or old.category,
                         importance=importance or old.importance, sensitive=old.sensitive, valid_from=valid_from)
    if _needs_confirmation(user, old, fact):
        change = _record(session, user, provenance, kind=ChangeKind.SUPERSEDED.value, state=ChangeState.PENDING.value,
                         content=fact.content, category=fact.category.value, previous_id=old.id,
                         previous_content=old.content,
                         proposal={"op": "update", "memory_id": str(old.id), "fact": _fact_json(fact),
                                   "provenance": provenance.as_json()})
        notify(session, user, None, "proposed")
        return change
    change = _record(session, user, provenance, kind=ChangeKind.SUPERSEDED.value, state=ChangeState.APPLIED.value,
                     category=fact.category.value)
    _apply_update(session, user, old, fact, provenance, change)
    _stamp_after(session, change)
    return change


def dismiss(*, session: Session, user: User, memory_id: uuid.UUID, provenance: Provenance) -> MemoryChange:
    """The assistant forgets an active fact (``forget_memory``); a health fact of a user who confirms
    health facts is only proposed for forgetting.

    Raises:
        NotFound: ``memory.not_found``, ``memory.not_active``.
    """
    entry = active_entry(session=session, user=user, memory_id=memory_id)
    if _needs_confirmation(user, entry):
        change = _record(session, user, provenance, kind=ChangeKind.FORGOTTEN.value, state=ChangeState.PENDING.value,
                         content=entry.content, category=entry.category, memory_id=entry.id,
                         proposal={"op": "forget", "memory_id": str(entry.id)})
        notify(session, user, None, "proposed")
        return change
    change = _record(session, user, provenance, kind=ChangeKind.FORGOTTEN.value, state=ChangeState.APPLIED.value,
                     category=entry.category)
    _apply_forget(session, user, entry, change)
    _stamp_after(session, change)
    return change


def get_change(*, session: Session, user: User, change_id: uuid.UUID) -> MemoryChange:
    """One of ``user``'s changes, locked.

    Raises:
        NotFound: ``memory.change_not_found`` (missing or another user's).
    """
    change = session.exec(select(MemoryChange).where(MemoryChange.id == change_id, MemoryChange.user_id == user.id)
                          .with_for_update()).first()
    if change is None:
        raise NotFound("memory.change_not_found")
    return change


def _stale(session: Session, change: MemoryChange) -> bool:
    for item in change.before:
        entry = session.get(MemoryEntry, uuid.UUID(item["id"]))
        if entry is None or entry.updated_at.isoformat() != item.get("after"):
            return True
    for created in change.created:
        entry = session.get(MemoryEntry, uuid.UUID(created))
        if entry is None or entry.status != MemoryStatus.ACTIVE or entry.superseded_by is not None:
            return True
    return False


def undo(*, session: Session, user: User, change_id: uuid.UUID) -> MemoryChange:
    """Take back an applied change: the facts it altered get their earlier fields back (status,
    successor, validity, importance, time of change) and the facts it created are deleted.

    Raises:
        NotFound: ``memory.change_not_found``. Conflict: ``memory.undo_not_applied`` (not applied, e.g.
            already undone or a duplicate), ``memory.undo_stale`` (a fact it touched changed since).
    """
    change = get_change(session=session, user=user, change_id=change_id)
    if change.state not in (ChangeState.APPLIED, ChangeState.CONFIRMED) or change.kind == ChangeKind.DUPLICATE:
        raise Conflict("memory.undo_not_applied")
    if _stale(session, change):
        raise Conflict("memory.undo_stale")
    for item in change.before:
        entry = session.get(MemoryEntry, uuid.UUID(item["id"]))
        assert entry is not None  # checked by _stale
        entry.status = item["status"]
        entry.superseded_by = uuid.UUID(item["superseded_by"]) if item["superseded_by"] else None
        entry.valid_until = date.fromisoformat(item["valid_until"]) if item["valid_until"] else None
        entry.importance = item["importance"]
        entry.updated_at = datetime.fromisoformat(item["updated_at"])
        session.add(entry)
    session.flush()
    for created in change.created:
        entry = session.get(MemoryEntry, uuid.UUID(created))
        if entry is not None:
            session.delete(entry)
    change.state, change.resolved_at = ChangeState.UNDONE.value, utcnow()
    session.add(change)
    notify(session, user, change.previous_id or change.memory_id, "undone")
    return change


def confirm(*, session: Session, user: User, change_id: uuid.UUID) -> MemoryChange:
    """Apply a pending proposal now, as if the assistant had just made it (deduplicated again against the
    facts as they are now); it can be undone like any applied change.

    Raises:
        NotFound: ``memory.change_not_found``; ``memory.not_active`` when the fact a proposal changes
            was changed meanwhile. Conflict: ``memory.not_pending``.
    """
    change = get_change(session=session, user=user, change_id=change_id)
    if change.state != ChangeState.PENDING:
        raise Conflict("memory.not_pending")
    proposal = change.proposal
    provenance = Provenance.from_json(proposal.get("provenance") or {})
    if proposal["op"] == "save":
        _apply_save(session, user, _fact_of(proposal["fact"]), provenance, change)
    elif proposal["op"] == "update":
        old = active_entry(session=session, user=user, memory_id=uuid.UUID(proposal["memory_id"]))
        _apply_update(session, user, old, _fact_of(proposal["fact"]), provenance, change)
    else:
        _apply_forget(session, user, active_entry(session=session, user=user,
                                                  memory_id=uuid.UUID(proposal["memory_id"])), change)
    change.state, change.resolved_at = ChangeState.CONFIRMED.value, utcnow()
    _stamp_after(session, change)
    session.add(change)
    return change


def reject(*, session: Session, user: User, change_id: uuid.UUID) -> MemoryChange:
    """Decline a pending proposal: nothing was stored and nothing is.

    Raises:
        NotFound: ``memory.change_not_found``. Conflict: ``memory.not_pending``.
    """
    change = get_change(session=session, user=user, change_id=change_id)
    if change.state != ChangeState.PENDING:
        raise Conflict("memory.not_pending")
    change.state, change.resolved_at = ChangeState.REJECTED.value, utcnow()
    session.add(change)
    notify(session, user, None, "rejected")
    return change


def changes_by_id(*, session: Session, user: User, change_ids: list[uuid.UUID]) -> dict[uuid.UUID, MemoryChange]:
    """``user``'s changes among ``change_ids`` (others' ids are left out), for the chat's cards."""
    if not change_ids:
        return {}
    rows = session.exec(select(MemoryChange).where(MemoryChange.user_id == user.id,
                                                   col(MemoryChange.id).in_(change_ids)))
    return {row.id: row for row in rows}


def pending_changes(*, session: Session, user: User, limit: int = 100) -> list[MemoryChange]:
    """``user``'s proposals waiting for confirmation, newest first."""
    return list(session.exec(select(MemoryChange).where(MemoryChange.user_id == user.id,
                                                        MemoryChange.state == ChangeState.PENDING.value)
                             .order_by(col(MemoryChange.created_at).desc()).limit(limit)))

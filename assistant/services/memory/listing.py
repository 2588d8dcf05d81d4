"""Reading a user's remembered facts for the memory page: filtered lists and a fact's versions."""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from assistant.models import MemoryEntry, MemoryStatus, User
from assistant.services.memory.entries import get_entry

#: Rows listed on the memory page at most.
LIST_LIMIT = 500
MAX_SEARCH_CHARS = 200


def list_memories(*, session: Session, user: User, query: str = "", category: str | None = None,
                  sensitive: bool | None = None, author: str | None = None, status: str | None = None,
                  limit: int = LIST_LIMIT) -> list[MemoryEntry]:
    """``user``'s facts for the memory page, by category then newest first.

    Args:
        query: words the text contains (case-insensitive substring, at most :data:`MAX_SEARCH_CHARS`).
        category, author, status: exact values (None: any); ``status`` None lists active facts.
        sensitive: True only health data, False only the rest, None both.
    """
    statement = select(MemoryEntry).where(MemoryEntry.user_id == user.id,
                                          MemoryEntry.status == (status or MemoryStatus.ACTIVE.value))
    if category:
        statement = statement.where(MemoryEntry.category == category)
    if author:
        statement = statement.where(MemoryEntry.author == author)
    if sensitive is not None:
        statement = statement.where(MemoryEntry.sensitive == sensitive)
    needle = query.strip()[:MAX_SEARCH_CHARS]
    if needle:
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(col(MemoryEntry.content).ilike(f"%{escaped}%", escape="\\"))
    statement = statement.order_by(col(MemoryEntry.category), col(MemoryEntry.updated_at).desc()).limit(limit)
    return list(session.exec(statement))


def memory_history(*, session: Session, user: User, memory_id: uuid.UUID) -> list[MemoryEntry]:
    """The versions of a fact, newest first: the fact itself, then what it replaced, and so on.

    Raises:
        NotFound: ``memory.not_found``.
    """
    entry = get_entry(session=session, user=user, memory_id=memory_id)
    chain = [entry]
    seen = {entry.id}
    while True:
        previous = session.exec(select(MemoryEntry).where(MemoryEntry.user_id == user.id,
                                                          MemoryEntry.superseded_by == chain[-1].id)).first()
        if previous is None or previous.id in seen:
            return chain
        seen.add(previous.id)
        chain.append(previous)

"""Remembered facts of one user: validation, finding the fact a new one restates, and the changes every
author makes the same way (reading them for the memory page is :mod:`~assistant.services.memory.listing`).

Facts are never overwritten. A changed value is a new entry that *supersedes* the old one (the old one
keeps its text, gets ``valid_until`` and a link to its successor), so the history of a fact is the chain
of its predecessors. Forgetting keeps the row (``forgotten``, restorable). Every function takes the
acting user and only touches that user's rows: another user's id is ``NotFound``, like a missing one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from assistant.core.errors import Conflict, InvalidInput, NotFound
from assistant.core.events import publish
from assistant.models import (
    HEALTH_CATEGORIES,
    MAX_MEMORY_CHARS,
    MemoryAuthor,
    MemoryCategory,
    MemoryEntry,
    MemoryImportance,
    MemoryStatus,
    User,
)
from assistant.models.base import utcnow
from assistant.services.memory import dedupe
from assistant.services.rag.embeddings import embed_passages

#: Importance of a fact saved without one, by category: allergies are always in the context.
DEFAULT_IMPORTANCE = {
    MemoryCategory.ALLERGY: MemoryImportance.CRITICAL,
    MemoryCategory.CONDITION: MemoryImportance.HIGH,
    MemoryCategory.MEDICATION: MemoryImportance.HIGH,
}
#: Existing facts compared with a new one, per leg (nearest by embedding, best by shared words).
DEDUPE_CANDIDATES = 10


@dataclass(frozen=True)
class Fact:
    """A fact as an author gives it, validated: see :func:`validate_fact`."""

    content: str
    category: MemoryCategory
    importance: MemoryImportance
    sensitive: bool
    valid_from: date | None


@dataclass(frozen=True)
class Provenance:
    """Where a fact came from: a chat message, or a document page and chunk; all None when the user typed
    it on the memory page."""

    chat_id: uuid.UUID | None = None
    message_id: uuid.UUID | None = None
    document_id: uuid.UUID | None = None
    page: int | None = None
    chunk_id: uuid.UUID | None = None

    def as_json(self) -> dict[str, Any]:
        """The ids as strings (for a stored proposal)."""
        return {key: str(value) if isinstance(value, uuid.UUID) else value
                for key, value in self.__dict__.items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Provenance:
        """The inverse of :meth:`as_json`."""
        def ident(key: str) -> uuid.UUID | None:
            return uuid.UUID(data[key]) if data.get(key) else None
        return cls(chat_id=ident("chat_id"), message_id=ident("message_id"), document_id=ident("document_id"),
                   page=data.get("page"), chunk_id=ident("chunk_id"))


def _enum(value: str | None, kind: type[Any], code: str) -> Any:
    try:
        return kind((value or "").strip().lower())
    except ValueError:
        raise InvalidInput(code, value=value or "",
                           allowed=", ".join(member.value for member in kind)) from None


def parse_day(value: date | str | None) -> date | None:
    """A day from ``YYYY-MM-DD`` (or a ``date``); None for None or "".

    Raises:
        InvalidInput: ``memory.bad_date`` for anything else.
    """
    if value is None or isinstance(value, date):
        return value
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("memory.bad_date", value=value) from None


def validate_fact(*, content: str, category: str, importance: str | None = None, sensitive: bool | None = None,
                  valid_from: date | str | None = None) -> Fact:
    """Check and normalise a fact.

    Args:
        content: one fact, 1-:data:`~assistant.models.MAX_MEMORY_CHARS` characters after trimming.
        category: a :class:`~assistant.models.MemoryCategory` value.
        importance: a :class:`~assistant.models.MemoryImportance` value; None: by category
            (:data:`DEFAULT_IMPORTANCE`, else medium).
        sensitive: health data; health categories are always sensitive.
        valid_from: the day the fact began to hold, ``YYYY-MM-DD``.

    Raises:
        InvalidInput: ``memory.empty``, ``memory.too_long``, ``memory.bad_category``,
            ``memory.bad_importance``, ``memory.bad_date``.
    """
    content = " ".join(content.split())
    if not content:
        raise InvalidInput("memory.empty")
    if len(content) > MAX_MEMORY_CHARS:
        raise InvalidInput("memory.too_long", limit=MAX_MEMORY_CHARS)
    kind: MemoryCategory = _enum(category, MemoryCategory, "memory.bad_category")
    weight: MemoryImportance = (_enum(importance, MemoryImportance, "memory.bad_importance") if importance
                                else DEFAULT_IMPORTANCE.get(kind, MemoryImportance.MEDIUM))
    return Fact(content=content, category=kind, importance=weight,
                sensitive=bool(sensitive) or kind in HEALTH_CATEGORIES, valid_from=parse_day(valid_from))


def get_entry(*, session: Session, user: User, memory_id: uuid.UUID, lock: bool = False) -> MemoryEntry:
    """One of ``user``'s facts.

    Raises:
        NotFound: ``memory.not_found`` (missing, or another user's).
    """
    query = select(MemoryEntry).where(MemoryEntry.id == memory_id, MemoryEntry.user_id == user.id)
    if lock:
        query = query.with_for_update()
    entry = session.exec(query).first()
    if entry is None:
        raise NotFound("memory.not_found")
    return entry


def active_entry(*, session: Session, user: User, memory_id: uuid.UUID) -> MemoryEntry:
    """One of ``user``'s active facts, locked for a change.

    Raises:
        NotFound: ``memory.not_found``; ``memory.not_active`` for a superseded or forgotten fact
            (change its newest version instead).
    """
    entry = get_entry(session=session, user=user, memory_id=memory_id, lock=True)
    if entry.status != MemoryStatus.ACTIVE:
        raise NotFound("memory.not_active")
    return entry


def notify(session: Session, user: User, entry_id: uuid.UUID | None, action: str) -> None:
    """Tell the user's open tabs that their memory changed (on commit): ``{"id", "action"}``."""
    publish([user.id], "memory", {"id": str(entry_id) if entry_id else "", "action": action}, session=session)


def find_match(*, session: Session, user: User, fact: Fact, vector: list[float]) -> MemoryEntry | None:
    """The active fact of the same category that ``fact`` restates or updates, if any.

    Candidates are the user's active facts of that category nearest by embedding and those sharing
    stemmed words (both legs bounded by :data:`DEDUPE_CANDIDATES`, so the cost does not grow with the
    number of facts); :func:`assistant.services.memory.dedupe.is_same_fact` decides, best cosine first.
    """
    rows = session.execute(text(
        QUERY_CTE + """
        (SELECT id, 1 - (embedding <=> CAST(:vector AS vector)) AS cosine FROM memories
          WHERE user_id = :user AND status = 'active' AND category = :category AND embedding IS NOT NULL
          ORDER BY embedding <=> CAST(:vector AS vector) LIMIT :limit)
        UNION
        (SELECT m.id, 1 - (m.embedding <=> CAST(:vector AS vector)) AS cosine FROM memories m, lexical q
          WHERE m.user_id = :user AND m.status = 'active' AND m.category = :category AND m.lexemes @@ q.query
          ORDER BY ts_rank(m.lexemes, q.query) DESC LIMIT :limit)
        """),
        {"vector": str(vector), "user": user.id, "category": fact.category.value, "limit": DEDUPE_CANDIDATES,
         "text": fact.content},
    ).all()
    if not rows:
        return None
    entries = {entry.id: entry for entry in session.exec(
        select(MemoryEntry).where(col(MemoryEntry.id).in_([row.id for row in rows])))}
    for row in sorted(rows, key=lambda row: -(row.cosine or 0.0)):
        entry = entries.get(row.id)
        if entry is not None and dedupe.is_same_fact(entry.content, list(entry.embedding or []), fact.content, vector):
            return entry
    return None


#: ``lexical(query)``: a tsquery matching any stemmed word of ``:text`` (English and Russian, as
#: :data:`~assistant.models.memory.LEXEMES_SQL` stems them; each word quoted, so none is read as an
#: operator); NULL when the text has no words but stop words.
QUERY_CTE = r"""
WITH terms AS (SELECT unnest(tsvector_to_array(to_tsvector('russian'::regconfig, :text))) AS term),
lexical AS (SELECT array_to_string(array_agg('''' || replace(replace(term, '\', '\\'), '''', '''''') || ''''),
                                   ' | ')::tsquery AS query FROM terms)
"""


def insert_entry(session: Session, *, user: User, fact: Fact, vector: list[float], author: MemoryAuthor,
                 provenance: Provenance) -> MemoryEntry:
    """Store a new active fact (flushed, so it has its id)."""
    entry = MemoryEntry(
        user_id=user.id, content=fact.content, category=fact.category.value, importance=fact.importance.value,
        sensitive=fact.sensitive, valid_from=fact.valid_from or utcnow().date(), author=author.value,
        source_chat_id=provenance.chat_id, source_message_id=provenance.message_id,
        source_document_id=provenance.document_id, source_page=provenance.page, source_chunk_id=provenance.chunk_id,
        embedding=vector,
    )
    session.add(entry)
    session.flush()
    return entry


def snapshot(entry: MemoryEntry) -> dict[str, Any]:
    """The fields a change may alter on an existing fact, as JSON (what an undo restores)."""
    return {
        "id": str(entry.id), "status": entry.status,
        "superseded_by": str(entry.superseded_by) if entry.superseded_by else None,
        "valid_until": entry.valid_until.isoformat() if entry.valid_until else None,
        "importance": entry.importance, "updated_at": entry.updated_at.isoformat(),
    }


def supersede(session: Session, old: MemoryEntry, new: MemoryEntry) -> None:
    """Mark ``old`` as replaced by ``new`` (kept as history; valid until the new one's first day)."""
    old.status = MemoryStatus.SUPERSEDED.value
    old.superseded_by = new.id
    old.valid_until = new.valid_from or utcnow().date()
    old.updated_at = utcnow()
    session.add(old)


def embed_fact(fact: Fact) -> list[float]:
    """The embedding of a fact's text (384 floats, unit norm; CPU, a few ms)."""
    return embed_passages([fact.content])[0]


# ----- what the user does on the memory page ------------------------------------------------------

@dataclass(frozen=True)
class Saved:
    """The outcome of a save: ``entry`` is the active fact; ``previous`` the one it superseded (None:
    new or duplicate) and ``previous_state`` its :func:`snapshot` from before; ``duplicate``: the fact
    was already remembered and nothing changed."""

    entry: MemoryEntry
    previous: MemoryEntry | None = None
    previous_state: dict[str, Any] | None = None
    duplicate: bool = False


def save_fact(*, session: Session, user: User, fact: Fact, author: MemoryAuthor, provenance: Provenance,
              vector: list[float] | None = None) -> Saved:
    """Remember ``fact``, or recognise it: a restatement of an active fact is a duplicate (nothing
    changes); the same fact with another value supersedes it; anything else is a new entry.

    Args:
        vector: the fact's embedding when the caller has it (else computed here).
    """
    session.exec(select(User.id).where(User.id == user.id).with_for_update()).one()  # one save at a time
    vector = vector if vector is not None else embed_fact(fact)
    match = find_match(session=session, user=user, fact=fact, vector=vector)
    if match is not None and dedupe.is_same_value(match.content, fact.content):
        return Saved(match, duplicate=True)
    state = snapshot(match) if match is not None else None
    entry = insert_entry(session, user=user, fact=fact, vector=vector, author=author, provenance=provenance)
    if match is not None:
        supersede(session, match, entry)
    notify(session, user, entry.id, "saved")
    return Saved(entry, previous=match, previous_state=state)


def add_memory(*, session: Session, user: User, content: str, category: str, importance: str | None = None,
               sensitive: bool | None = None, valid_from: date | str | None = None,
               provenance: Provenance | None = None) -> Saved:
    """The user remembers a fact by hand (memory page, or "Remember this" on a message, whose ids are
    ``provenance``); validated as :func:`validate_fact`, deduplicated as :func:`save_fact`.

    Raises:
        InvalidInput: see :func:`validate_fact`.
    """
    fact = validate_fact(content=content, category=category, importance=importance, sensitive=sensitive,
                         valid_from=valid_from)
    return save_fact(session=session, user=user, fact=fact, author=MemoryAuthor.USER,
                     provenance=provenance or Provenance())


def edit_memory(*, session: Session, user: User, memory_id: uuid.UUID, content: str, category: str | None = None,
                importance: str | None = None, sensitive: bool | None = None,
                valid_from: date | str | None = None) -> MemoryEntry:
    """The user corrects an active fact: the new text supersedes it (history kept), with the old one's
    provenance, category, importance and sensitivity unless given.

    Raises:
        NotFound: ``memory.not_found``, ``memory.not_active``. InvalidInput: see :func:`validate_fact`.
    """
    old = active_entry(session=session, user=user, memory_id=memory_id)
    fact = validate_fact(content=content, category=category or old.category, importance=importance or old.importance,
                         sensitive=old.sensitive if sensitive is None else sensitive, valid_from=valid_from)
    if fact.content == old.content and fact.category == old.category and fact.valid_from in (None, old.valid_from):
        old.importance, old.sensitive = fact.importance.value, fact.sensitive
        session.add(old)
        notify(session, user, old.id, "edited")
        return old
    entry = insert_entry(session, user=user, fact=fact, vector=embed_fact(fact), author=MemoryAuthor.USER,
                         provenance=Provenance(old.source_chat_id, old.source_message_id, old.source_document_id,
                                               old.source_page, old.source_chunk_id))
    supersede(session, old, entry)
    notify(session, user, entry.id, "edited")
    return entry


def forget_memory(*, session: Session, user: User, memory_id: uuid.UUID) -> MemoryEntry:
    """Stop using an active fact (kept as ``forgotten``, restorable; never recalled).

    Raises:
        NotFound: ``memory.not_found``, ``memory.not_active``.
    """
    entry = active_entry(session=session, user=user, memory_id=memory_id)
    entry.status = MemoryStatus.FORGOTTEN.value
    entry.valid_until = utcnow().date()
    session.add(entry)
    notify(session, user, entry.id, "forgotten")
    return entry


def restore_memory(*, session: Session, user: User, memory_id: uuid.UUID) -> MemoryEntry:
    """Use a forgotten fact again, unless an active fact already holds it (it was said again since).

    Raises:
        NotFound: ``memory.not_found``; ``memory.not_forgotten`` when it is not forgotten.
        Conflict: ``memory.already_active`` (with ``content``, the active fact) when an active fact is the
            same fact; edit that one instead.
    """
    entry = get_entry(session=session, user=user, memory_id=memory_id, lock=True)
    if entry.status != MemoryStatus.FORGOTTEN:
        raise NotFound("memory.not_forgotten")
    fact = validate_fact(content=entry.content, category=entry.category, importance=entry.importance,
                         sensitive=entry.sensitive)
    match = find_match(session=session, user=user, fact=fact, vector=list(entry.embedding or embed_fact(fact)))
    if match is not None:
        raise Conflict("memory.already_active", content=match.content)
    entry.status = MemoryStatus.ACTIVE.value
    entry.valid_until = None
    session.add(entry)
    notify(session, user, entry.id, "restored")
    return entry


def set_importance(*, session: Session, user: User, memory_id: uuid.UUID, importance: str | None) -> MemoryEntry:
    """Change how important an active fact is (``critical``/``high`` ones enter every answer): pinning
    sets ``critical``; None (unpinning) gives the fact its category's usual importance
    (:data:`DEFAULT_IMPORTANCE`, else medium).

    Raises:
        NotFound: ``memory.not_found``, ``memory.not_active``. InvalidInput: ``memory.bad_importance``.
    """
    entry = active_entry(session=session, user=user, memory_id=memory_id)
    weight: MemoryImportance = (_enum(importance, MemoryImportance, "memory.bad_importance") if importance is not None
                                else DEFAULT_IMPORTANCE.get(MemoryCategory(entry.category), MemoryImportance.MEDIUM))
    entry.importance = weight.value
    session.add(entry)
    notify(session, user, entry.id, "edited")
    return entry

"""Finding a user's active facts: hybrid search (``search_memory``, the memory page) and the facts an
answer's context holds.

Search fuses two legs with Reciprocal Rank Fusion (Cormack, Clarke & Büttcher 2009, k = 60), like
document retrieval: the nearest facts by embedding (cosine at least :data:`MIN_COSINE`) and the facts
sharing stemmed words with the query (English and Russian Snowball stemmers, ranked by ``ts_rank``),
so Russian facts are found although the embedding model is English-only. Each leg reads at most
:data:`LEG_DEPTH` rows, so the cost is bounded however many facts a user has.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session, col, select

from assistant.models import MemoryEntry, MemoryImportance, MemoryStatus, User
from assistant.services.memory.entries import QUERY_CTE
from assistant.services.rag.embeddings import embed_query

RRF_K = 60
LEG_DEPTH = 40
#: A fact nearer than this by embedding counts as related (all-MiniLM-L6-v2 cosine).
MIN_COSINE = 0.35
#: Characters of the query used for recall (the start of a long message says what it is about).
MAX_QUERY_CHARS = 1_000
#: The most ``critical``/``high`` facts read for one context, whatever the budget.
MAX_ALWAYS = 100


@dataclass(frozen=True)
class Recalled:
    """A fact found for a query, with its fused score (higher is better)."""

    entry: MemoryEntry
    score: float


def search_memories(*, session: Session, user: User, query: str, k: int = 8,
                    exclude: set[uuid.UUID] | None = None) -> list[Recalled]:
    """``user``'s active facts related to ``query``, best first.

    Args:
        query: the text to match (only the first :data:`MAX_QUERY_CHARS` characters are used).
        k: at most this many results.
        exclude: ids to leave out (facts already in the context).

    Returns:
        Up to ``k`` facts that pass a leg's floor (cosine >= :data:`MIN_COSINE`, or a shared stemmed
        word); ``[]`` for an empty query.
    """
    query = query.strip()[:MAX_QUERY_CHARS]
    if not query:
        return []
    vector = embed_query(query)
    rows = session.execute(text(
        QUERY_CTE + """,
        dense AS (SELECT id, row_number() OVER (ORDER BY embedding <=> CAST(:vector AS vector)) AS rank
                    FROM (SELECT id, embedding FROM memories
                           WHERE user_id = :user AND status = 'active' AND embedding IS NOT NULL
                             AND 1 - (embedding <=> CAST(:vector AS vector)) >= :min_cosine
                           ORDER BY embedding <=> CAST(:vector AS vector) LIMIT :depth) nearest),
        sparse AS (SELECT id, row_number() OVER (ORDER BY score DESC) AS rank
                     FROM (SELECT m.id, ts_rank(m.lexemes, q.query) AS score FROM memories m, lexical q
                            WHERE m.user_id = :user AND m.status = 'active' AND m.lexemes @@ q.query
                            ORDER BY score DESC LIMIT :depth) matched)
        SELECT id, sum(1.0 / (:rrf_k + rank)) AS score
          FROM (SELECT * FROM dense UNION ALL SELECT * FROM sparse) legs
         GROUP BY id ORDER BY score DESC
        """),
        {"vector": str(vector), "user": user.id, "min_cosine": MIN_COSINE, "depth": LEG_DEPTH, "rrf_k": RRF_K,
         "text": query},
    ).all()
    scores = {row.id: float(row.score) for row in rows if row.id not in (exclude or set())}
    wanted = list(scores)[:k]
    if not wanted:
        return []
    entries = {entry.id: entry for entry in session.exec(select(MemoryEntry).where(col(MemoryEntry.id).in_(wanted)))}
    return [Recalled(entries[ident], scores[ident]) for ident in wanted if ident in entries]


@dataclass(frozen=True)
class ContextMemories:
    """The facts one answer sees: ``always`` (critical and high, most important and newest first) and
    ``recalled`` (related to the message), together within the character budget."""

    always: list[MemoryEntry]
    recalled: list[MemoryEntry]

    @property
    def entries(self) -> list[MemoryEntry]:
        """``always`` then ``recalled``."""
        return self.always + self.recalled


def context_memories(*, session: Session, user: User, query: str, budget_chars: int, k: int) -> ContextMemories:
    """The facts for the answer to ``query``.

    Critical and high facts come first (critical before high, newest first, at most :data:`MAX_ALWAYS`
    read), then up to ``k`` others recalled by :func:`search_memories`; each is kept while the running
    total of their texts stays within ``budget_chars``. Superseded and forgotten facts never enter;
    neither do proposals (they are not facts until confirmed).

    Args:
        budget_chars: characters of fact text at most (``Settings.memory_context_chars``).
        k: recalled facts at most (``Settings.memory_recall_k``).
    """
    levels = [MemoryImportance.CRITICAL.value, MemoryImportance.HIGH.value]
    important = list(session.exec(
        select(MemoryEntry).where(MemoryEntry.user_id == user.id, MemoryEntry.status == MemoryStatus.ACTIVE.value,
                                  col(MemoryEntry.importance).in_(levels))
        .order_by(col(MemoryEntry.importance) == MemoryImportance.HIGH.value, col(MemoryEntry.updated_at).desc())
        .limit(MAX_ALWAYS)))
    used = 0
    always: list[MemoryEntry] = []
    for entry in important:
        if used + len(entry.content) <= budget_chars:
            always.append(entry)
            used += len(entry.content)
    recalled: list[MemoryEntry] = []
    for hit in search_memories(session=session, user=user, query=query, k=k,
                               exclude={entry.id for entry in important}):
        if used + len(hit.entry.content) <= budget_chars:
            recalled.append(hit.entry)
            used += len(hit.entry.content)
    return ContextMemories(always, recalled)

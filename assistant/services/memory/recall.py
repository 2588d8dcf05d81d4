"""Finding a user's active facts: hybrid search (``search_memory``, the memory page) and the facts an
answer's context holds.

Search fuses two legs with Reciprocal Rank Fusion (Cormack, Clarke & Büttcher 2009, k = 60), like
document retrieval: the nearest facts by embedding (cosine at least :data:`MIN_COSINE`) and the facts
sharing stemmed words with the query (English and Russian Snowball stemmers, ranked by ``ts_rank``),
so Russian facts are found although the embedding model is English-only. Each leg reads at most
:data:`LEG_DEPTH` rows, so the cost is bounded however many facts a user has. Facts are read as
:class:`FoundFact` rows (no embedding: a vector alone is ~3 KB), one statement per search.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, text
from sqlmodel import Session

from assistant.models import User
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

_COLUMNS = "m.id, m.content, m.category, m.importance, m.valid_from, m.source_document_id, m.source_page"


@dataclass(frozen=True)
class FoundFact:
    """An active fact as search and the context use it; ``score``: the fused rank score (higher is
    better; 0 for facts that are always in the context)."""

    id: uuid.UUID
    content: str
    category: str
    importance: str
    valid_from: date | None
    source_document_id: uuid.UUID | None
    source_page: int | None
    score: float = 0.0


def _fact(row: Row[Any]) -> FoundFact:
    return FoundFact(id=row.id, content=row.content, category=row.category, importance=row.importance,
                     valid_from=row.valid_from, source_document_id=row.source_document_id,
                     source_page=row.source_page, score=float(row.score))


def _fused(excluded: str) -> str:
    """The CTEs ``dense``, ``sparse`` and ``fused`` (the ``:k`` best ids by RRF, none of ``excluded``, an SQL
    expression of uuids), after :data:`~assistant.services.memory.entries.QUERY_CTE`."""
    return f"""
, dense AS (SELECT id, row_number() OVER (ORDER BY distance) AS rank
              FROM (SELECT id, embedding <=> CAST(:vector AS vector) AS distance FROM memories
                     WHERE user_id = :user AND status = 'active' AND embedding IS NOT NULL
                     ORDER BY distance LIMIT :depth) nearest
             WHERE 1 - distance >= :min_cosine),
sparse AS (SELECT id, row_number() OVER (ORDER BY score DESC) AS rank
             FROM (SELECT m.id, ts_rank(m.lexemes, q.query) AS score FROM memories m, lexical q
                    WHERE m.user_id = :user AND m.status = 'active' AND m.lexemes @@ q.query
                    ORDER BY score DESC LIMIT :depth) matched),
fused AS (SELECT id, sum(1.0 / (:rrf_k + rank)) AS score
            FROM (SELECT * FROM dense UNION ALL SELECT * FROM sparse) legs
           WHERE id NOT IN ({excluded})
           GROUP BY id ORDER BY score DESC LIMIT :k)
"""


_SEARCH = text(QUERY_CTE + _fused("SELECT unnest(CAST(:exclude AS uuid[]))") + f"""
SELECT {_COLUMNS}, f.score FROM fused f JOIN memories m ON m.id = f.id ORDER BY f.score DESC
""")

_ANY = text("SELECT EXISTS (SELECT 1 FROM memories WHERE user_id = :user AND status = 'active')")

#: The critical and high facts (``always``, in their order) and the ``:k`` others recalled, in one statement.
_CONTEXT = text(QUERY_CTE + """
, always AS (SELECT id, row_number() OVER (ORDER BY importance = 'high', updated_at DESC) AS position
               FROM memories WHERE user_id = :user AND status = 'active' AND importance IN ('critical', 'high')
              ORDER BY importance = 'high', updated_at DESC LIMIT :limit)
""" + _fused("SELECT id FROM always") + f"""
SELECT {_COLUMNS}, 0.0 AS score, a.position FROM always a JOIN memories m ON m.id = a.id
UNION ALL
SELECT {_COLUMNS}, f.score, NULL FROM fused f JOIN memories m ON m.id = f.id
ORDER BY position NULLS LAST, score DESC
""")


def search_memories(*, session: Session, user: User, query: str, k: int = 8,
                    exclude: set[uuid.UUID] | None = None) -> list[FoundFact]:
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
    rows = session.execute(_SEARCH, {
        "vector": str(embed_query(query)), "user": user.id, "min_cosine": MIN_COSINE, "depth": LEG_DEPTH,
        "rrf_k": RRF_K, "text": query, "exclude": list(exclude or ()), "k": k,
    }).all()
    return [_fact(row) for row in rows]


@dataclass(frozen=True)
class ContextMemories:
    """The facts one answer sees: ``always`` (critical and high, most important and newest first) and
    ``recalled`` (related to the message), together within the character budget."""

    always: list[FoundFact]
    recalled: list[FoundFact]

    @property
    def facts(self) -> list[FoundFact]:
        """``always`` then ``recalled``."""
        return self.always + self.recalled


def context_memories(*, session: Session, user: User, query: str, budget_chars: int, k: int) -> ContextMemories:
    """The facts for the answer to ``query``.

    Critical and high facts come first (critical before high, newest first, at most :data:`MAX_ALWAYS`
    read), then up to ``k`` others recalled as :func:`search_memories` finds them (one statement for both);
    each is kept while the running
    total of their texts stays within ``budget_chars``. Superseded and forgotten facts never enter;
    neither do proposals (they are not facts until confirmed).

    Args:
        budget_chars: characters of fact text at most (``Settings.memory_context_chars``).
        k: recalled facts at most (``Settings.memory_recall_k``).
    """
    if not session.execute(_ANY, {"user": user.id}).scalar():
        return ContextMemories([], [])  # nothing to recall: the message is not even encoded
    query = query.strip()[:MAX_QUERY_CHARS]
    rows = session.execute(_CONTEXT, {
        "vector": str(embed_query(query or " ")), "user": user.id, "min_cosine": MIN_COSINE, "depth": LEG_DEPTH,
        "rrf_k": RRF_K, "text": query, "k": k if query else 0, "limit": MAX_ALWAYS,
    }).all()
    used = 0
    always: list[FoundFact] = []
    recalled: list[FoundFact] = []
    for row in rows:
        fact = _fact(row)
        if used + len(fact.content) <= budget_chars:
            (always if row.position is not None else recalled).append(fact)
            used += len(fact.content)
    return ContextMemories(always, recalled)

"""Hybrid retrieval over the chunks a user may read: dense vectors and BM25 keywords fused with RRF.

One SQL statement (one round-trip) does everything:

* **Access**: the rule of :mod:`assistant.services.rag.access` (the user's own private documents and
  the documents of every collection granted to them; admins get no more than that).
  Only documents whose ingestion completed are searched. Each leg checks the chunk's own
  ``owner_id``/``collection_id`` and its document's status (by primary key). An agent's search is also
  limited to its collections (``collections``; a second statement, so the everyday one keeps its plan).
* **Vector leg**: cosine distance of the MiniLM query vector to the chunk embeddings, best ``depth``.
  pgvector 0.6 has no iterative index scans: an HNSW scan returns at most ``hnsw.ef_search`` rows before
  the access filter, so a user who owns few of the chunks could get nothing back ("starvation"). Hence
  two paths, chosen inside the statement from the readable chunk count (the sum of the readable
  documents' ``chunk_count``): below :data:`EXACT_SCAN_LIMIT`, an exact scan over exactly those chunks
  (its cost grows with the user's chunks, not the corpus); otherwise the HNSW index through the SQL
  function ``nearest_chunks`` (migration 0004; pgvector reads ``ef_search`` when the scan starts, so
  the statement cannot set it for itself) with ``ef_search = 1.5 * depth * corpus / readable`` within
  [:data:`MIN_EF_SEARCH`, 1000], enough to leave about ``depth`` readable rows if the user's chunks
  are spread among the others. Should the index still leave fewer than ``k`` readable rows (the user's
  chunks all far from the query, the others near), the statement falls back to the exact scan: slower,
  never starved.
* **Keyword leg**: real Okapi BM25 (Robertson & Zaragoza 2009, "The Probabilistic Relevance Framework:
  BM25 and Beyond"; ``idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))`` summed over the query's
  lexemes, with the non-negative IDF ``ln(1 + (N - df + 0.5) / (df + 0.5))`` that Lucene and bm25s use;
  k1 = 1.2, b = 0.75). PostgreSQL's ``ts_rank`` is not BM25 and fusing with it made results worse than
  vectors alone (``../shared/DESIGN.md``, measured facts). The query is turned into lexemes with each
  text-search configuration in use (english, russian, simple) and matched as an OR (an AND of all words
  finds almost nothing for natural-language questions) through the GIN index; each candidate is scored
  from its own ``tsv`` (term frequency = number of positions of the lexeme) and the statistics kept by
  :mod:`assistant.services.rag.index`. A chunk is only matched with the lexemes of its document's
  configuration. Common words would make most chunks candidates, and each costs a page read, so
  candidates are pruned with MaxScore (Turtle & Flood 1995, "Query evaluation: strategies and
  optimizations"): a first pass scores the chunks containing the query's rarest lexemes (document
  frequencies adding up to :data:`SEED_BUDGET`); its ``depth``-th best score θ bounds the final one
  from below; a lexeme adds at most ``idf * (k1 + 1)``, so chunks holding only the commonest lexemes,
  whose bounds add up to less than θ, cannot reach the top ``depth``. The second pass scores the
  chunks the first missed that hold one of the other lexemes, rarest first while their document
  frequencies add up to :data:`EXTRA_BUDGET`; a pass reads at most :data:`CANDIDATE_CAP` chunks. When
  the budgets hold, the ranking is exact (SciFact, 5,183 chunks: keyword nDCG@10 0.6975 with and without
  pruning); when they bind, the commonest lexemes only weigh in on chunks found through rarer ones
  (SciFact plus 100,000 synthetic chunks, 200 questions: 0.544 instead of 0.583, keyword leg p95 34 ms
  instead of 2.2 s).
* **Fusion**: Reciprocal Rank Fusion, ``score = sum over legs of 1 / (60 + rank)`` (Cormack, Clarke &
  Büttcher 2009, "Reciprocal Rank Fusion outperforms Condorcet and individual Rank Learning Methods").
* **Relevance floor**: the top ``k`` are returned only if one of them is at least
  :data:`MIN_SIMILARITY` similar to the query (cosine) or contains query lexemes carrying at least
  :data:`MIN_KEYWORD_COVERAGE` of the query's IDF mass (an exact name or code the embedding does not
  know); otherwise nothing is, and the assistant says the documents do not cover the question. Chosen
  on SciFact train (809 questions) against 54 questions it does not cover (general knowledge, english
  and russian; ``scripts/bench_retrieval.py`` prints both rates): with 0.30 and 0.8, 1 of the 809
  dataset questions gets nothing and nDCG@10 moves from 0.7102 to 0.7098, while 45 of the 54 uncovered
  questions get nothing. The relevant abstracts' own similarity is below 0.31 for 5 % of them, so the
  floor judges the best of the top ``k``, not each hit: filtering hit by hit cost more nDCG for the
  same rejection rate. Several of the questions that still pass are russian: the packaged MiniLM is an
  English model, and any two russian texts score about 0.3.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session

from assistant.core.errors import InvalidInput
from assistant.models.user import User
from assistant.services.rag import embeddings
from assistant.services.rag.search_sql import SEARCH, SEARCH_SCOPED

#: RRF constant k (Cormack et al. 2009).
RRF_K = 60
#: BM25 parameters: the usual k1 = 1.2, b = 0.75 (as in the bm25s run of ../shared/DESIGN.md).
BM25_K1 = 1.2
BM25_B = 0.75
#: Chunks each leg contributes to the fusion.
LEG_DEPTH = 50
#: Below this many readable chunks the vector leg scans them all exactly instead of using HNSW.
EXACT_SCAN_LIMIT = 2_000
#: ``hnsw.ef_search`` bounds: at least this many index candidates; pgvector's maximum.
MIN_EF_SEARCH = 300
MAX_EF_SEARCH = 1000
#: Keyword leg, first pass: the query's rarest lexemes whose document frequencies add up to this.
SEED_BUDGET = 1_000
#: Keyword leg, second pass: its lexemes, rarest first, while their document frequencies add up to this.
EXTRA_BUDGET = 1_000
#: Keyword leg: at most this many candidates per pass and configuration.
CANDIDATE_CAP = 2_000
#: Relevance floor (module docstring): the best hit's minimum cosine similarity to the query...
MIN_SIMILARITY = 0.30
#: ...or the minimum share of the query's BM25 IDF mass one hit must contain.
MIN_KEYWORD_COVERAGE = 0.8
#: Longest query accepted, in characters.
MAX_QUERY_CHARS = 2000

Mode = Literal["hybrid", "vector", "keyword"]
VectorPath = Literal["auto", "exact", "hnsw"]


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk.

    Attributes:
        chunk_id, document_id: the chunk and its document.
        title: the document's filename as the user uploaded it.
        page: page number from 1, or None.
        heading_path: "Chapter > Section" or "".
        text: the chunk's text.
        score: RRF score, ``sum 1 / (60 + rank)`` over the legs that found it (at most 2/61).
        vector_rank, keyword_rank: 1-based rank in each leg, None when that leg did not return it.
        similarity: cosine similarity of chunk and query embeddings, in [-1, 1].
        coverage: share of the query's BM25 IDF mass (its lexemes in the chunk's configuration, those
            absent from the corpus included) that the chunk contains, in [0, 1]; 0 outside the
            keyword leg.
    """

    chunk_id: uuid.UUID
    document_id: uuid.UUID
    title: str
    page: int | None
    heading_path: str
    text: str
    score: float
    vector_rank: int | None
    keyword_rank: int | None
    similarity: float
    coverage: float


def search(*, session: Session, user: User, query: str, k: int = 8,
           collections: frozenset[uuid.UUID] | None = None) -> list[Hit]:
    """The ``k`` best chunks for ``query`` among those ``user`` may read, best first (hybrid retrieval
    with the relevance floor of the module docstring).

    Args:
        session: a database session; the statement runs in its transaction (``ef_search`` is set with
            ``set_config(..., is_local => true)``, so it ends with the transaction).
        user: the acting user; their id alone decides access (:mod:`assistant.services.rag.access`).
        query: the question in natural language (english, russian or other).
        k: number of hits wanted, 1-100.
        collections: only the chunks of these collections (an agent's), among those the user may read;
            None: every chunk they may read.

    Returns:
        Up to ``k`` hits ordered by RRF score; ``[]`` when the query is blank or nothing passes the
        relevance floor.

    Raises:
        InvalidInput: ``k`` outside 1-100, or a query longer than 2,000 characters.
    """
    return tuned_search(session=session, user=user, query=query, k=k, collections=collections)


def tuned_search(
    *,
    session: Session,
    user: User,
    query: str,
    k: int = 8,
    mode: Mode = "hybrid",
    depth: int = LEG_DEPTH,
    min_similarity: float = MIN_SIMILARITY,
    min_coverage: float = MIN_KEYWORD_COVERAGE,
    vector_path: VectorPath = "auto",
    query_vector: list[float] | None = None,
    collections: frozenset[uuid.UUID] | None = None,
) -> list[Hit]:
    """:func:`search` with the knobs benchmarks and tests turn (``scripts/bench_retrieval.py``); the
    product calls :func:`search`.

    Args:
        session, user, query, k, collections: as :func:`search`.
        mode: ``"hybrid"`` (RRF of both legs), ``"vector"`` or ``"keyword"`` alone.
        depth: chunks each leg contributes to the fusion (at least ``k``).
        min_similarity, min_coverage: the relevance floor (module docstring); ``min_similarity=-1``
            turns it off.
        vector_path: ``"auto"`` (exact scan below :data:`EXACT_SCAN_LIMIT` readable chunks, else HNSW),
            or always ``"exact"`` or ``"hnsw"`` (to measure HNSW recall against exact search).
        query_vector: the query's embedding when the caller already has it (384 floats, unit length).

    Returns:
        As :func:`search`; in single-leg modes ordered by that leg's rank.

    Raises:
        InvalidInput: as :func:`search`, or an unknown mode or vector path.
    """
    if (not 1 <= k <= 100 or mode not in ("hybrid", "vector", "keyword")
            or vector_path not in ("auto", "exact", "hnsw") or len(query) > MAX_QUERY_CHARS):
        raise InvalidInput()
    if not query.strip():
        return []
    vector = query_vector if query_vector is not None else embeddings.embed_query(query)
    rows = session.execute(
        SEARCH if collections is None else SEARCH_SCOPED,
        {
            "user_id": user.id,
            "query": query,
            "qvec": "[" + ",".join(repr(float(x)) for x in vector) + "]",
            "k": k,
            "depth": max(depth, k),
            "use_vectors": mode != "keyword",
            "use_keywords": mode != "vector",
            "vector_path": vector_path,
            "exact_limit": EXACT_SCAN_LIMIT,
            "min_ef": MIN_EF_SEARCH,
            "max_ef": MAX_EF_SEARCH,
            "seed_budget": SEED_BUDGET,
            "extra_budget": EXTRA_BUDGET,
            "candidate_cap": CANDIDATE_CAP,
            "k1": BM25_K1,
            "b": BM25_B,
            "rrf_k": RRF_K,
            "min_similarity": min_similarity,
            "min_coverage": min_coverage,
        } | ({} if collections is None else {"collections": sorted(collections)}),
    ).all()
    return [
        Hit(
            chunk_id=row.chunk_id,
            document_id=row.document_id,
            title=row.title,
            page=row.page,
            heading_path=row.heading_path,
            text=row.text,
            score=float(row.score),
            vector_rank=row.vector_rank,
            keyword_rank=row.keyword_rank,
            similarity=float(row.similarity),
            coverage=float(row.coverage),
        )
        for row in rows
    ]

"""The hybrid search statement: access rule, vector leg, BM25 keyword leg with MaxScore pruning, RRF fusion and
the relevance floor in one SQL statement; :mod:`assistant.services.rag.search` says what each part does
and where its algorithms come from, and runs it."""

from __future__ import annotations

from sqlalchemy import TextClause, text

from assistant.services.rag.access import readable_sql

# BM25 of the chunks matching ``{source}``'s tsquery per configuration, readable by the user.
_SCORE = r"""
    SELECT c.id,
           sum(q.idfs[array_position(q.terms, l.lexeme)] * l.tf * (:k1 + 1)
               / (l.tf + :k1 * (1 - :b + :b * b.length / q.avgdl))) AS bm25,
           sum(q.idfs[array_position(q.terms, l.lexeme)]) / min(q.idf_mass) AS coverage
    FROM {source} AS e
    JOIN query_configs AS q ON q.config = e.config
    CROSS JOIN LATERAL (
        SELECT c.id, c.tsv
        FROM chunks AS c
        JOIN documents AS d ON d.id = c.document_id AND d.status = 'completed'
        WHERE c.tsv @@ e.tsq AND {readable}{exclude}
        LIMIT :candidate_cap
    ) AS c
    JOIN bm25_chunks AS b ON b.chunk_id = c.id AND b.config = e.config
    CROSS JOIN LATERAL (
        SELECT x.lexeme, coalesce(cardinality(x.positions), 1) AS tf
        FROM unnest(ts_filter(setweight(c.tsv, 'A', q.terms), '{{a}}')) AS x
    ) AS l
    GROUP BY c.id
"""

# The chunk ``c`` may be read by the user (:mod:`assistant.services.rag.access`, on the chunk's own copies of
# its document's owner and collection).
_READABLE = readable_sql("c")
#: An agent's scope (:func:`search` with ``collections``): the chunk or document ``{alias}`` is in one of them.
_IN_SCOPE = " AND {alias}.collection_id = ANY(CAST(:collections AS uuid[]))"

# OR of quoted lexemes: 'it''s' | 'c\\d' (quotes doubled, backslashes escaped, as tsquery input wants).
_TSQUERY = r"""array_to_string(array_agg('''' || replace(replace(term, '\', '\\'), '''', '''''') || ''''),
                           ' | ')::tsquery"""

_SEARCH_SQL = (
    r"""
WITH
searchable AS MATERIALIZED (
    SELECT d.id, d.chunk_count
    FROM documents AS d
    WHERE d.status = 'completed' AND {readable_document}
),
readable AS (
    SELECT coalesce(sum(chunk_count), 0) AS n FROM searchable
),
ann_candidates AS (
    SELECT n.chunk_id AS id, n.chunk_document_id AS document_id, n.chunk_owner_id AS owner_id,
           n.chunk_collection_id AS collection_id, n.distance AS dist
    FROM nearest_chunks(
        CAST(:qvec AS vector),
        (SELECT least(:max_ef, greatest(:min_ef, ceil(1.5 * :depth * coalesce(sum(chunk_count), 0)
                                                      / greatest((SELECT n FROM readable), 1))))::int
         FROM bm25_corpus)
    ) AS n
    WHERE :use_vectors
      AND (:vector_path = 'hnsw' OR (:vector_path = 'auto' AND (SELECT n FROM readable) >= :exact_limit))
),
ann_leg AS MATERIALIZED (
    SELECT c.id, c.dist
    FROM ann_candidates AS c
    JOIN documents AS d ON d.id = c.document_id AND d.status = 'completed'
    WHERE {readable}
    ORDER BY c.dist, c.id
    LIMIT :depth
),
exact_candidates AS MATERIALIZED (
    SELECT c.id, c.embedding <=> CAST(:qvec AS vector) AS dist
    FROM searchable AS s
    JOIN chunks AS c ON c.document_id = s.id
    WHERE :use_vectors
      AND (:vector_path = 'exact'
           OR (:vector_path = 'auto'
               AND ((SELECT n FROM readable) < :exact_limit OR (SELECT count(*) FROM ann_leg) < :k)))
),
exact_leg AS MATERIALIZED (
    SELECT id, dist FROM exact_candidates ORDER BY dist, id LIMIT :depth
),
vector_leg AS (
    SELECT id, dist, row_number() OVER (ORDER BY dist, id) AS rank
    FROM (
        SELECT id, dist FROM exact_leg
        UNION ALL
        SELECT id, dist FROM ann_leg WHERE NOT EXISTS (SELECT 1 FROM exact_leg)
    ) AS v
),
query_lexemes AS MATERIALIZED (
    SELECT s.config, q.term, coalesce(t.df, 0) AS df,
           ln(1 + (s.chunk_count - coalesce(t.df, 0) + 0.5) / (coalesce(t.df, 0) + 0.5)) AS idf,
           s.total_length::float8 / s.chunk_count AS avgdl
    FROM bm25_corpus AS s
    CROSS JOIN LATERAL unnest(tsvector_to_array(to_tsvector(s.config::regconfig, :query))) AS q(term)
    LEFT JOIN bm25_terms AS t ON t.config = s.config AND t.term = q.term
    WHERE :use_keywords AND s.chunk_count > 0
),
query_configs AS MATERIALIZED (
    SELECT config, array_agg(term) FILTER (WHERE df > 0) AS terms, array_agg(idf) FILTER (WHERE df > 0) AS idfs,
           sum(idf) AS idf_mass, min(avgdl) AS avgdl
    FROM query_lexemes
    GROUP BY config
    HAVING count(*) FILTER (WHERE df > 0) > 0
),
seed_terms AS MATERIALIZED (
    SELECT config, term
    FROM (SELECT config, term,
                 sum(df) OVER (PARTITION BY config ORDER BY df, term) AS running,
                 row_number() OVER (PARTITION BY config ORDER BY df, term) AS n
          FROM query_lexemes WHERE df > 0) AS ranked
    WHERE n = 1 OR running <= :seed_budget
),
seed_queries AS MATERIALIZED (
    SELECT config, {tsquery} AS tsq FROM seed_terms GROUP BY config
),
seed_scores AS MATERIALIZED ({seed_scores}),
threshold AS (
    SELECT coalesce((SELECT bm25 FROM seed_scores ORDER BY bm25 DESC OFFSET :depth - 1 LIMIT 1), 0) AS theta
),
extra_queries AS MATERIALIZED (
    SELECT config, {tsquery} AS tsq
    FROM (SELECT config, term, sum(df) OVER (PARTITION BY config ORDER BY df, term) AS running
          FROM (SELECT config, term, df,
                       sum(idf * (:k1 + 1)) OVER (PARTITION BY config ORDER BY idf, term) AS bound
                FROM query_lexemes WHERE df > 0) AS bounded
          WHERE bound >= (SELECT theta FROM threshold)
            AND (config, term) NOT IN (SELECT config, term FROM seed_terms)) AS essential
    WHERE running <= :extra_budget
    GROUP BY config
),
keyword_scores AS (
    SELECT id, bm25, coverage FROM seed_scores
    UNION ALL
    {extra_scores}
),
keyword_leg AS (
    SELECT id, coverage, row_number() OVER (ORDER BY bm25 DESC, id) AS rank
    FROM keyword_scores
    ORDER BY bm25 DESC, id
    LIMIT :depth
),
fused AS (
    SELECT coalesce(v.id, k.id) AS id,
           coalesce(1.0 / (:rrf_k + v.rank), 0) + coalesce(1.0 / (:rrf_k + k.rank), 0) AS score,
           v.rank AS vector_rank, k.rank AS keyword_rank, coalesce(k.coverage, 0) AS coverage, v.dist
    FROM vector_leg AS v FULL JOIN keyword_leg AS k ON k.id = v.id
),
best AS (
    SELECT * FROM fused ORDER BY score DESC, vector_rank NULLS LAST, keyword_rank NULLS LAST LIMIT :k
),
top AS (
    SELECT b.id AS chunk_id, c.document_id, d.filename AS title, c.page, c.heading_path, c.text,
           b.score, b.vector_rank, b.keyword_rank, b.coverage,
           1 - coalesce(b.dist, c.embedding <=> CAST(:qvec AS vector)) AS similarity
    FROM best AS b
    JOIN chunks AS c ON c.id = b.id
    JOIN documents AS d ON d.id = c.document_id
)
SELECT * FROM top
WHERE EXISTS (SELECT 1 FROM top WHERE similarity >= :min_similarity OR coverage >= :min_coverage)
ORDER BY score DESC, vector_rank NULLS LAST, keyword_rank NULLS LAST
"""
)


def _statement(scoped: bool) -> TextClause:
    """The search statement; ``scoped``: limited to the collections of the ``:collections`` parameter."""
    readable = _READABLE + (_IN_SCOPE.format(alias="c") if scoped else "")
    return text(_SEARCH_SQL.format(
        tsquery=_TSQUERY,
        readable=readable,
        readable_document=readable_sql("d") + (_IN_SCOPE.format(alias="d") if scoped else ""),
        seed_scores=_SCORE.format(source="seed_queries", readable=readable, exclude=""),
        extra_scores=_SCORE.format(
            source="extra_queries",
            readable=readable,
            exclude="\n          AND NOT c.tsv @@ (SELECT s.tsq FROM seed_queries AS s WHERE s.config = e.config)",
        ),
    ))


#: The statement over every chunk the user may read, and the one limited to ``:collections`` (an agent's).
SEARCH = _statement(scoped=False)
SEARCH_SCOPED = _statement(scoped=True)

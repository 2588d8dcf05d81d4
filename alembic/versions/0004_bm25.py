"""BM25 statistics of the chunks' full-text vectors (corpus size and length, document frequencies, chunk
lengths per text-search configuration), kept current by statement triggers on ``chunks``; the function
``nearest_chunks`` for HNSW searches with a chosen ``hnsw.ef_search``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 07:02:46.263983
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One function behind three statement-level triggers with transition tables, so the statistics change in
# the same transaction as the chunks, however they are written or deleted (including deletes cascaded
# from documents, collections and users). A chunk's length is the number of lexeme occurrences of its
# tsv (positions per lexeme; 1 for a lexeme stored without positions). Locks: the corpus rows first, in
# config order, then the terms in (config, term) order, so concurrent writers queue instead of
# deadlocking and no count is lost (increments are relative: df = df + EXCLUDED.df).
TRACK_CHUNKS = """
CREATE FUNCTION bm25_track_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        PERFORM 1 FROM bm25_corpus
        WHERE config IN (SELECT b.config FROM old_chunks AS o JOIN bm25_chunks AS b ON b.chunk_id = o.id)
        ORDER BY config FOR UPDATE;

        UPDATE bm25_corpus AS c
        SET chunk_count = c.chunk_count - g.chunks, total_length = c.total_length - g.length
        FROM (SELECT b.config, count(*) AS chunks, sum(b.length) AS length
              FROM old_chunks AS o JOIN bm25_chunks AS b ON b.chunk_id = o.id
              GROUP BY b.config) AS g
        WHERE c.config = g.config;

        UPDATE bm25_terms AS t SET df = t.df - g.df
        FROM (SELECT b.config, l.lexeme AS term, count(*) AS df
              FROM old_chunks AS o JOIN bm25_chunks AS b ON b.chunk_id = o.id
              CROSS JOIN LATERAL unnest(o.tsv) AS l
              GROUP BY b.config, l.lexeme) AS g
        WHERE t.config = g.config AND t.term = g.term;

        DELETE FROM bm25_terms AS t
        USING old_chunks AS o JOIN bm25_chunks AS b ON b.chunk_id = o.id CROSS JOIN LATERAL unnest(o.tsv) AS l
        WHERE t.config = b.config AND t.term = l.lexeme AND t.df <= 0;

        DELETE FROM bm25_chunks AS b USING old_chunks AS o WHERE b.chunk_id = o.id;
    END IF;

    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO bm25_chunks (chunk_id, config, length)
        SELECT n.id, d.language,
               (SELECT coalesce(sum(coalesce(cardinality(l.positions), 1)), 0) FROM unnest(n.tsv) AS l)
        FROM new_chunks AS n JOIN documents AS d ON d.id = n.document_id;

        INSERT INTO bm25_corpus AS c (config, chunk_count, total_length)
        SELECT b.config, count(*), sum(b.length)
        FROM new_chunks AS n JOIN bm25_chunks AS b ON b.chunk_id = n.id
        GROUP BY b.config ORDER BY b.config
        ON CONFLICT (config) DO UPDATE
        SET chunk_count = c.chunk_count + EXCLUDED.chunk_count,
            total_length = c.total_length + EXCLUDED.total_length;

        INSERT INTO bm25_terms AS t (config, term, df)
        SELECT b.config, l.lexeme, count(*)
        FROM new_chunks AS n JOIN bm25_chunks AS b ON b.chunk_id = n.id
        CROSS JOIN LATERAL unnest(n.tsv) AS l
        GROUP BY b.config, l.lexeme ORDER BY b.config, l.lexeme
        ON CONFLICT (config, term) DO UPDATE SET df = t.df + EXCLUDED.df;
    END IF;
    RETURN NULL;
END
$$
"""

# The HNSW leg of search: pgvector 0.6 reads hnsw.ef_search when the index scan starts, which is before
# anything else in the same statement runs, so the statement cannot set it for itself; this function
# sets it (for the rest of the transaction) and then starts its own scan. Returns at most ``ef_search``
# rows (pgvector 0.6 has no iterative scans), nearest first, with their cosine distance.
NEAREST_CHUNKS = """
CREATE FUNCTION nearest_chunks(query vector, ef_search integer)
RETURNS TABLE (chunk_id uuid, chunk_document_id uuid, chunk_owner_id uuid, chunk_collection_id uuid,
               distance double precision)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('hnsw.ef_search', ef_search::text, true);
    RETURN QUERY
        SELECT c.id, c.document_id, c.owner_id, c.collection_id, c.embedding <=> query
        FROM chunks AS c
        ORDER BY c.embedding <=> query
        LIMIT ef_search;
END
$$
"""

BACKFILL = [
    """
    INSERT INTO bm25_chunks (chunk_id, config, length)
    SELECT ch.id, d.language,
           (SELECT coalesce(sum(coalesce(cardinality(l.positions), 1)), 0) FROM unnest(ch.tsv) AS l)
    FROM chunks AS ch JOIN documents AS d ON d.id = ch.document_id
    """,
    """
    INSERT INTO bm25_corpus (config, chunk_count, total_length)
    SELECT config, count(*), sum(length) FROM bm25_chunks GROUP BY config
    """,
    """
    INSERT INTO bm25_terms (config, term, df)
    SELECT b.config, l.lexeme, count(*)
    FROM chunks AS ch JOIN bm25_chunks AS b ON b.chunk_id = ch.id CROSS JOIN LATERAL unnest(ch.tsv) AS l
    GROUP BY b.config, l.lexeme
    """,
]


def upgrade() -> None:
    op.create_table('bm25_chunks',
    sa.Column('chunk_id', sa.Uuid(), nullable=False),
    sa.Column('config', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('chunk_id')
    )
    op.create_table('bm25_corpus',
    sa.Column('config', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('chunk_count', sa.BigInteger(), nullable=False),
    sa.Column('total_length', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('config')
    )
    op.create_table('bm25_terms',
    sa.Column('config', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('term', sa.Text(), nullable=False),
    sa.Column('df', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('config', 'term')
    )
    # Keep the full-text vector in the row (compressed) and let the text go to TOAST first: BM25 reads
    # the tsv of every keyword candidate, and one page read per candidate instead of two halved the
    # keyword leg's time at 100k chunks (scripts/bench_retrieval.py).
    op.execute("ALTER TABLE chunks ALTER COLUMN tsv SET STORAGE MAIN")
    for statement in BACKFILL:
        op.execute(statement)
    op.execute(TRACK_CHUNKS)
    op.execute(NEAREST_CHUNKS)
    op.execute("CREATE TRIGGER bm25_chunks_inserted AFTER INSERT ON chunks REFERENCING NEW TABLE AS new_chunks "
               "FOR EACH STATEMENT EXECUTE FUNCTION bm25_track_chunks()")
    op.execute("CREATE TRIGGER bm25_chunks_deleted AFTER DELETE ON chunks REFERENCING OLD TABLE AS old_chunks "
               "FOR EACH STATEMENT EXECUTE FUNCTION bm25_track_chunks()")
    op.execute("CREATE TRIGGER bm25_chunks_updated AFTER UPDATE ON chunks "
               "REFERENCING OLD TABLE AS old_chunks NEW TABLE AS new_chunks "
               "FOR EACH STATEMENT EXECUTE FUNCTION bm25_track_chunks()")


def downgrade() -> None:
    op.execute("DROP TRIGGER bm25_chunks_updated ON chunks")
    op.execute("DROP TRIGGER bm25_chunks_deleted ON chunks")
    op.execute("DROP TRIGGER bm25_chunks_inserted ON chunks")
    op.execute("DROP FUNCTION bm25_track_chunks()")
    op.execute("DROP FUNCTION nearest_chunks(vector, integer)")
    op.execute("ALTER TABLE chunks ALTER COLUMN tsv SET STORAGE EXTENDED")
    op.drop_table('bm25_terms')
    op.drop_table('bm25_corpus')
    op.drop_table('bm25_chunks')

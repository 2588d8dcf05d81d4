"""Writing a document's chunks into the search index (the ``chunks`` table) and taking them out.

One row per chunk holds both retrieval keys: ``embedding`` (384-d, HNSW cosine) and ``tsv``, the
full-text vector built by PostgreSQL from ``heading_path || ' ' || text`` with the document's
text-search configuration (``documents.language``: english, russian or simple). ``owner_id`` and
``collection_id`` are copied from the document in the same statement, so access filtering needs no join.

BM25 statistics (``bm25_corpus``, ``bm25_terms``, ``bm25_chunks``; see
:class:`assistant.models.document.Bm25Corpus`) follow every insert, update and delete of chunks through
the triggers of migration 0004, in the caller's transaction: committing the chunks commits the counts,
rolling back undoes both. Concurrent writers of the same configuration queue on its ``bm25_corpus`` row
until the first commits, so keep the transaction that stores a document's chunks short (embed first,
then store and commit).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session

from assistant.core.db import affected_rows
from assistant.models.document import EMBEDDING_DIMENSIONS, Document


@dataclass(frozen=True)
class NewChunk:
    """A chunk ready to store.

    Attributes:
        ord: position in the document, from 0, unique per document.
        page: page number from 1, or None for formats without pages.
        heading_path: "Chapter > Section" ("" when none); indexed for keywords with the text.
        text: the passage.
        token_count: word pieces of the passage (MiniLM tokenizer).
        embedding: 384 floats, unit length (:func:`assistant.services.rag.embeddings.embed_passages`).
    """

    ord: int
    page: int | None
    heading_path: str
    text: str
    token_count: int
    embedding: list[float]


_INSERT = text(
    """
    INSERT INTO chunks (id, document_id, owner_id, collection_id, ord, page, heading_path, text,
                        token_count, embedding, tsv)
    SELECT gen_random_uuid(), d.id, d.owner_id, d.collection_id, c.ord, c.page, c.heading_path, c.text,
           c.token_count, c.embedding::vector,
           to_tsvector(d.language::regconfig, c.heading_path || ' ' || c.text)
    FROM documents AS d,
         unnest(CAST(:ords AS integer[]), CAST(:pages AS integer[]), CAST(:headings AS text[]),
                CAST(:texts AS text[]), CAST(:token_counts AS integer[]), CAST(:embeddings AS text[]))
             AS c(ord, page, heading_path, text, token_count, embedding)
    WHERE d.id = :document_id
    """
)


def _vector_literal(vector: list[float]) -> str:
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"


def store_chunks(*, session: Session, document: Document, chunks: list[NewChunk]) -> int:
    """Insert ``chunks`` of ``document`` in one statement (the caller commits).

    The full-text vector is computed in PostgreSQL with ``document.language`` as the configuration;
    owner and collection are copied from the stored document row. BM25 statistics are updated in the
    same transaction.

    Returns:
        The number of rows inserted (``len(chunks)``; 0 when the document row does not exist).

    Raises:
        ValueError: an embedding does not have 384 values.
        sqlalchemy.exc.IntegrityError: an ``ord`` already exists for this document.
    """
    if not chunks:
        return 0
    for chunk in chunks:
        if len(chunk.embedding) != EMBEDDING_DIMENSIONS:
            raise ValueError(f"chunk {chunk.ord}: embedding has {len(chunk.embedding)} values, "
                             f"expected {EMBEDDING_DIMENSIONS}")
    result = session.execute(
        _INSERT,
        {
            "document_id": document.id,
            "ords": [c.ord for c in chunks],
            "pages": [c.page for c in chunks],
            "headings": [c.heading_path for c in chunks],
            "texts": [c.text for c in chunks],
            "token_counts": [c.token_count for c in chunks],
            "embeddings": [_vector_literal(c.embedding) for c in chunks],
        },
    )
    return affected_rows(result)


def delete_chunks(*, session: Session, document_id: uuid.UUID) -> int:
    """Delete every chunk of the document and its stored page texts (the caller commits); BM25
    statistics follow.

    Returns:
        The number of chunks deleted.
    """
    session.execute(text("DELETE FROM document_pages WHERE document_id = :id"), {"id": document_id})
    result = session.execute(text("DELETE FROM chunks WHERE document_id = :id"), {"id": document_id})
    return affected_rows(result)


def store_pages(*, session: Session, document_id: uuid.UUID, pages: list[tuple[int | None, str]]) -> None:
    """Store the extracted text of each page, ``[(page number or None, text)]`` in reading order, for
    the citation viewer (the caller commits). Pages are stored with their position as ``ord``."""
    if pages:
        session.execute(
            text("INSERT INTO document_pages (document_id, ord, number, text) "
                 "SELECT :id, p.ord - 1, p.number, p.text FROM unnest(CAST(:numbers AS integer[]), "
                 "CAST(:texts AS text[])) WITH ORDINALITY AS p(number, text, ord)"),
            {"id": document_id, "numbers": [number for number, _ in pages], "texts": [t for _, t in pages]},
        )

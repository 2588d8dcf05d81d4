"""Storing and deleting chunks keeps the BM25 statistics exact, whichever way chunks disappear."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import text

from assistant.core.db import session_scope
from assistant.models import Collection, Document
from assistant.services.rag.index import NewChunk, delete_chunks, store_chunks

UNIT = [1.0] + [0.0] * 383


def chunks(*texts: str, heading: str = "") -> list[NewChunk]:
    return [NewChunk(ord=i, page=i + 1, heading_path=heading, text=t, token_count=len(t.split()),
                     embedding=UNIT) for i, t in enumerate(texts)]


def store(document, items: list[NewChunk]) -> int:
    with session_scope() as sess:
        return store_chunks(session=sess, document=document, chunks=items)


def stats() -> tuple[dict, dict]:
    """({config: (chunks, total_length)}, {(config, term): df}) as stored."""
    with session_scope() as sess:
        corpus = {r.config: (r.chunk_count, r.total_length)
                  for r in sess.execute(text("SELECT * FROM bm25_corpus WHERE chunk_count > 0"))}
        terms = {(r.config, r.term): r.df for r in sess.execute(text("SELECT * FROM bm25_terms"))}
    return corpus, terms


def recomputed() -> tuple[dict, dict]:
    """The same statistics computed from scratch from the chunks that exist now."""
    with session_scope() as sess:
        rows = sess.execute(text(
            "SELECT d.language AS config, ch.id, l.lexeme, cardinality(l.positions) AS tf "
            "FROM chunks ch JOIN documents d ON d.id = ch.document_id, unnest(ch.tsv) l")).all()
        empty = sess.execute(text(
            "SELECT d.language, count(*) FROM chunks ch JOIN documents d ON d.id = ch.document_id "
            "WHERE length(ch.tsv) = 0 GROUP BY 1")).all()
    chunk_ids: dict[str, set] = {}
    lengths: Counter = Counter()
    df: Counter = Counter()
    for r in rows:
        chunk_ids.setdefault(r.config, set()).add(r.id)
        lengths[r.config] += r.tf
        df[(r.config, r.lexeme)] += 1
    corpus = {config: (len(ids), lengths[config]) for config, ids in chunk_ids.items()}
    for config, count in empty:
        corpus[config] = (corpus.get(config, (0, 0))[0] + count, corpus.get(config, (0, 0))[1])
    return corpus, dict(df)


def test_store_computes_tsv_in_the_document_language_and_copies_owner_and_collection(make_user, make_document):
    owner = make_user()
    with session_scope() as sess:
        collection = Collection(name="Shared")
        sess.add(collection)
    document = make_document(owner, collection=collection, language="russian")
    assert store(document, chunks("Анализы крови показали высокий гемоглобин", heading="Результаты")) == 1
    with session_scope() as sess:
        row = sess.execute(text("SELECT owner_id, collection_id, tsv::text AS tsv, page, ord FROM chunks")).one()
    assert (row.owner_id, row.collection_id, row.page, row.ord) == (owner.id, collection.id, 1, 0)
    assert "'гемоглобин'" in row.tsv and "'результат'" in row.tsv  # russian stemming, heading indexed
    corpus, terms = stats()
    assert corpus == {"russian": (1, 6)}
    assert terms[("russian", "кров")] == 1


def test_statistics_follow_store_and_delete_exactly(make_user, make_document):
    owner = make_user()
    english = make_document(owner)
    other = make_document(owner)
    russian = make_document(owner, language="russian")
    store(english, chunks("The cat sat on the mat.", "A cat and another cat.", "the of and"))
    store(other, chunks("Dogs chase cats; the mat stays.", heading="Pets > Dogs"))
    store(russian, chunks("Кошка сидит на ковре. Кошка спит."))

    corpus, terms = stats()
    assert (corpus, terms) == recomputed()
    assert corpus["english"] == (4, 3 + 3 + 0 + 7)  # cat sat mat | cat anoth cat | - | pet dog dog chase cat mat stay
    assert terms[("english", "cat")] == 3 and terms[("english", "dog")] == 1
    assert terms[("russian", "кошк")] == 1

    with session_scope() as sess:
        assert delete_chunks(session=sess, document_id=english.id) == 3
    assert stats() == recomputed()
    assert ("english", "sat") not in stats()[1]  # terms no chunk contains any more are gone
    assert stats()[1][("english", "cat")] == 1

    with session_scope() as sess:  # a delete cascaded from the document (no call to delete_chunks)
        sess.delete(sess.get(Document, russian.id))
    assert stats() == recomputed()
    assert "russian" not in stats()[0]


def test_a_rolled_back_store_leaves_no_trace(make_user, make_document):
    document = make_document(make_user())
    store(document, chunks("alpha beta"))
    before = stats()
    with session_scope() as sess:
        store_chunks(session=sess, document=document, chunks=[
            NewChunk(ord=5, page=None, heading_path="", text="gamma delta", token_count=2, embedding=UNIT)])
        sess.rollback()
    assert stats() == before


def test_updating_chunks_moves_their_statistics(make_user, make_document):
    owner = make_user()
    document = make_document(owner)
    store(document, chunks("apples and oranges"))
    with session_scope() as sess:
        sess.execute(text("UPDATE chunks SET tsv = to_tsvector('english', 'pears pears')"))
    assert stats() == recomputed() == ({"english": (1, 2)}, {("english", "pear"): 1})


def test_concurrent_stores_lose_no_counts(make_user, make_document):
    owner = make_user()
    documents = [make_document(owner) for _ in range(6)]
    barrier = threading.Barrier(len(documents))
    errors: list[BaseException] = []

    def ingest(document) -> None:
        try:
            with session_scope() as sess:
                barrier.wait()
                texts = (f"shared words number {n} unique{document.id.hex[:6]}" for n in range(20))
                store_chunks(session=sess, document=document, chunks=chunks(*texts))
                store_chunks(session=sess, document=document, chunks=[
                    NewChunk(ord=100, page=None, heading_path="", text="shared second batch", token_count=3,
                             embedding=UNIT)])
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=ingest, args=(d,)) for d in documents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    corpus, terms = stats()
    assert corpus["english"][0] == 6 * 21
    assert terms[("english", "share")] == 6 * 21
    assert (corpus, terms) == recomputed()


def test_wrong_embedding_size_is_refused(make_user, make_document):
    document = make_document(make_user())
    bad = [NewChunk(ord=0, page=None, heading_path="", text="x", token_count=1, embedding=[0.1] * 10)]
    with session_scope() as sess:
        try:
            store_chunks(session=sess, document=document, chunks=bad)
        except ValueError as exc:
            assert "384" in str(exc)
        else:
            raise AssertionError("accepted a 10-d embedding")
    assert store(document, []) == 0

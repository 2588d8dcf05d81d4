"""Hybrid search on real PostgreSQL with the real model: BM25, RRF, access, starvation, floor, languages."""

from __future__ import annotations

import math
import uuid
from collections import Counter

import numpy as np
import pytest
from sqlalchemy import text

from assistant.core.db import session_scope
from assistant.core.errors import InvalidInput
from assistant.models import Collection, CollectionGrant, Role
from assistant.services.rag import embeddings
from assistant.services.rag import search as search_module
from assistant.services.rag.index import NewChunk, store_chunks
from assistant.services.rag.search import RRF_K, tuned_search

DIM = embeddings.EMBEDDING_DIMENSIONS


def axis(i: int) -> list[float]:
    vector = [0.0] * DIM
    vector[i] = 1.0
    return vector


def store(document, texts: list[str], vectors: list[list[float]] | None = None) -> list[uuid.UUID]:
    """Store ``texts`` as the document's chunks (embedded with the model unless ``vectors``); their ids."""
    vectors = vectors if vectors is not None else embeddings.embed_passages(texts)
    with session_scope() as sess:
        store_chunks(session=sess, document=document, chunks=[
            NewChunk(ord=i, page=i + 1, heading_path="", text=t, token_count=len(t.split()), embedding=v)
            for i, (t, v) in enumerate(zip(texts, vectors, strict=True))])
        return list(sess.execute(text("SELECT id FROM chunks WHERE document_id = :d ORDER BY ord"),
                                 {"d": document.id}).scalars())


def find(user, query: str, **options) -> list:
    with session_scope() as sess:
        return tuned_search(session=sess, user=user, query=query, **options)


def texts_of(hits) -> list[str]:
    return [hit.text for hit in hits]


def test_hybrid_finds_what_each_leg_alone_misses(make_user, make_document):
    """The code name is only found by keywords, the paraphrase only by vectors; RRF returns both."""
    user = make_user()
    code = "Protocol ZX-4471 enrolled three hundred volunteers in Ohio."
    paraphrase = "Daily acetylsalicylic acid reduced the incidence of myocardial infarction."
    store(make_document(user), [
        code,
        paraphrase,
        "Cardiologists study how coronary blockages lead to cardiac arrest.",
        "The train to the coast leaves the station at noon.",
    ])
    query = "Does aspirin prevent heart attacks? What did ZX-4471 find?"

    # the relevance floor is tested on its own below; here every fused hit counts
    vector_only = texts_of(find(user, query, k=2, mode="vector", min_similarity=-1))
    keyword_only = texts_of(find(user, query, k=2, mode="keyword", min_similarity=-1))
    hybrid = find(user, query, k=2, min_similarity=-1)

    assert code not in vector_only and paraphrase in vector_only
    assert paraphrase not in keyword_only and code in keyword_only
    assert set(texts_of(hybrid)) == {code, paraphrase}
    for hit in hybrid:  # the RRF arithmetic, from the ranks each leg reported
        expected = sum(1 / (RRF_K + rank) for rank in (hit.vector_rank, hit.keyword_rank) if rank is not None)
        assert math.isclose(hit.score, expected, rel_tol=1e-9)
    assert hybrid[0].text == code  # found by both legs, so it outranks the vector-only hit
    assert hybrid[0].vector_rank is not None and hybrid[0].keyword_rank == 1
    assert hybrid[1].keyword_rank is None and hybrid[1].vector_rank == 1


def reference_bm25(query: str) -> dict:
    """{chunk id: Okapi BM25 score} of every stored english chunk, computed here from the tsvectors."""
    with session_scope() as sess:
        rows = sess.execute(text(
            "SELECT ch.id, l.lexeme, cardinality(l.positions) AS tf FROM chunks ch, unnest(ch.tsv) l")).all()
        q_terms = sess.execute(text(
            "SELECT unnest(tsvector_to_array(to_tsvector('english', :q)))"), {"q": query}).scalars().all()
    tf: dict = {}
    for row in rows:
        tf.setdefault(row.id, Counter())[row.lexeme] = row.tf
    n = len(tf)
    lengths = {cid: sum(c.values()) for cid, c in tf.items()}
    avgdl = sum(lengths.values()) / n
    df = Counter(term for c in tf.values() for term in c)
    scores = {}
    for cid, counts in tf.items():
        score = 0.0
        for term in q_terms:
            f = counts[term]
            if f:
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                score += idf * f * 2.2 / (f + 1.2 * (0.25 + 0.75 * lengths[cid] / avgdl))
        scores[cid] = score
    return scores


def test_keyword_leg_ranks_by_okapi_bm25_from_the_stored_statistics(make_user, make_document):
    user = make_user()
    docs = [
        "apple apple apple banana",
        "apple banana cherry date elderberry fig grape honeydew kiwi lemon mango",
        "banana banana",
        "cherry pie with cream",
        "apple",
        "grape juice and apple juice and banana juice",
    ]
    store(make_document(user), docs, [axis(0)] * len(docs))
    query = "apple banana cherry"
    scores = reference_bm25(query)
    expected = sorted((cid for cid, score in scores.items() if score > 0), key=lambda cid: (-scores[cid], cid))
    assert len({round(scores[cid], 9) for cid in expected}) == len(expected)  # no ties: the order is meaningful
    hits = find(user, query, k=10, mode="keyword", min_similarity=-1, query_vector=axis(0))
    assert [hit.chunk_id for hit in hits] == expected
    assert [hit.keyword_rank for hit in hits] == list(range(1, len(expected) + 1))


def test_maxscore_pruning_keeps_the_exact_top_ranks(make_user, make_document, monkeypatch):
    """The first pass sees only the rarest lexeme's chunk; the second pass must find the rest of the
    exact top 3, and may skip chunks that hold only lexemes too common to reach it."""
    user = make_user()
    rng = np.random.default_rng(3)
    words = ["alpha", "beta", "gamma", "delta"]
    docs = ["zeta alpha"] + [" ".join(rng.choice(words, size=rng.integers(1, 6))) for _ in range(40)]
    store(make_document(user), docs, [axis(0)] * len(docs))
    query = "zeta alpha beta gamma delta"
    scores = reference_bm25(query)
    expected = sorted(scores, key=lambda cid: (-scores[cid], cid))[:3]
    monkeypatch.setattr(search_module, "SEED_BUDGET", 1)
    hits = find(user, query, k=3, depth=3, mode="keyword", min_similarity=-1, query_vector=axis(0))
    assert [hit.chunk_id for hit in hits] == expected


def test_user_b_never_retrieves_user_a_chunks(make_user, make_document):
    alice, bob = make_user(), make_user()
    admin = make_user(role=Role.ADMIN)
    store(make_document(alice), ["Alice's blood test: haemoglobin 13.5 g/dL, ferritin low."], [axis(0)])
    store(make_document(bob), ["Bob's shopping list: bread, milk."], [axis(1)])
    query = "haemoglobin ferritin blood test"
    for mode in ("hybrid", "vector", "keyword"):
        options = {"k": 10, "mode": mode, "min_similarity": -1, "query_vector": axis(0)}
        assert all("Alice" not in hit.text for hit in find(bob, query, **options))
        assert find(admin, query, **options) == []  # admins see only what is granted to them
        assert any("Alice" in hit.text for hit in find(alice, query, **options))
    with session_scope() as sess:  # not even the HNSW path leaks
        hits = tuned_search(session=sess, user=bob, query=query, k=10, mode="vector", min_similarity=-1,
                      query_vector=axis(0), vector_path="hnsw")
    assert texts_of(hits) == ["Bob's shopping list: bread, milk."]


def test_collection_grants_give_access_and_revoking_takes_it_away(make_user, make_document):
    admin, reader = make_user(role=Role.ADMIN), make_user()
    with session_scope() as sess:
        collection = Collection(name="Guidelines", created_by=admin.id)
        sess.add(collection)
    store(make_document(admin, collection=collection), ["Guideline: vitamin D dosage for adults."], [axis(0)])
    query = "vitamin D dosage"
    options = {"k": 5, "min_similarity": -1, "query_vector": axis(0)}
    assert find(reader, query, **options) == []
    assert find(admin, query, **options) == []  # uploading into a collection is not a grant

    with session_scope() as sess:
        sess.add(CollectionGrant(collection_id=collection.id, user_id=reader.id))
    hits = find(reader, query, **options)
    assert texts_of(hits) == ["Guideline: vitamin D dosage for adults."]
    assert hits[0].vector_rank == 1 and hits[0].keyword_rank == 1

    with session_scope() as sess:
        sess.delete(sess.get(CollectionGrant, (collection.id, reader.id)))
    assert find(reader, query, **options) == []


def test_only_completed_documents_are_searched(make_user, make_document):
    user = make_user()
    store(make_document(user, status="processing"), ["half-indexed insulin notes"], [axis(0)])
    store(make_document(user, status="completed"), ["finished insulin notes"], [axis(1)])
    hits = find(user, "insulin notes", k=5, min_similarity=-1, query_vector=axis(0))
    assert texts_of(hits) == ["finished insulin notes"]


def _near(base: list[float], count: int, noise: float, seed: int) -> list[list[float]]:
    rng = np.random.default_rng(seed)
    vectors = np.asarray(base) + rng.normal(0, noise, (count, DIM))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.tolist()


@pytest.fixture
def crowded(make_user, make_document):
    """Another user owns 5,000 chunks right next to the query vector; ``user`` owns 3 farther away."""
    other, user = make_user(), make_user()
    query = axis(0)
    crowd = _near(query, 5000, 0.01, seed=1)
    for start in range(0, 5000, 1000):
        store(make_document(other), [f"other user's note {start + i}" for i in range(1000)], crowd[start:start + 1000])
    mine = _near(axis(1), 3, 0.05, seed=2)  # orthogonal to the query: cosine about 0
    store(make_document(user), ["my note one", "my note two", "my note three"], mine)
    with session_scope() as sess:
        sess.execute(text("ANALYZE chunks"))
    return user, query


def test_a_user_with_three_chunks_gets_them_next_to_a_crowd_of_5000(crowded):
    user, query = crowded
    hits = find(user, "unrelated words", k=8, mode="vector", min_similarity=-1, query_vector=query)
    assert sorted(texts_of(hits)) == ["my note one", "my note three", "my note two"]


def test_when_the_index_path_is_starved_the_exact_scan_takes_over(crowded, monkeypatch):
    """Force the HNSW path (limit 2 < 3 readable chunks): the index returns only the crowd's chunks,
    so the statement falls back to the exact scan and still finds all three."""
    user, query = crowded
    monkeypatch.setattr(search_module, "EXACT_SCAN_LIMIT", 2)
    with session_scope() as sess:
        starved = tuned_search(session=sess, user=user, query="unrelated", k=8, mode="vector", min_similarity=-1,
                               query_vector=query, vector_path="hnsw")
    assert starved == []  # what the index alone gives: the reason for the fallback
    hits = find(user, "unrelated words", k=8, mode="vector", min_similarity=-1, query_vector=query)
    assert len(hits) == 3


def test_the_relevance_floor_returns_nothing_for_questions_the_documents_do_not_cover(make_user, make_document):
    user = make_user()
    store(make_document(user), [
        "The patient's fasting glucose was 7.2 mmol/L, consistent with type 2 diabetes.",
        "Metformin 500 mg twice daily was started; HbA1c to be rechecked in three months.",
    ])
    assert find(user, "What is the capital of Australia?") == []
    assert find(user, "Recommend a good pizza recipe with mozzarella.") == []
    hits = find(user, "Which medication was prescribed for my diabetes?")
    assert any("Metformin" in hit.text for hit in hits)
    assert max(hit.similarity for hit in hits) >= search_module.MIN_SIMILARITY


def test_an_exact_code_passes_the_floor_on_keywords_alone(make_user, make_document):
    """A chunk the embedding finds unrelated (cosine 0) still counts when it holds the query's terms."""
    user = make_user()
    store(make_document(user), ["Protocol ZX-4471 enrolled three hundred volunteers in Ohio.",
                                "The train to the coast leaves the station at noon."], [axis(0), axis(2)])
    hits = find(user, "ZX-4471 volunteers", query_vector=axis(1))
    assert texts_of(hits)[:1] == ["Protocol ZX-4471 enrolled three hundred volunteers in Ohio."]
    assert hits[0].similarity == 0.0 and hits[0].coverage == 1.0
    assert find(user, "ZX-4471 dosage for children", query_vector=axis(1)) == []  # half the terms unknown


def test_russian_documents_match_other_word_forms(make_user, make_document):
    user = make_user()
    document = make_document(user, language="russian")
    store(document, [
        "Анализ крови: гемоглобин 135 г/л, ферритин снижен.",
        "Рекомендована консультация кардиолога через месяц.",
    ])
    store(make_document(user), ["Blood test: haemoglobin normal."])
    hits = find(user, "анализы крови гемоглобина", k=3, mode="keyword")
    assert texts_of(hits)[:1] == ["Анализ крови: гемоглобин 135 г/л, ферритин снижен."]
    hybrid = find(user, "Когда нужно к кардиологу?", k=1)
    assert texts_of(hybrid) == ["Рекомендована консультация кардиолога через месяц."]


def test_english_stemming_and_query_syntax_characters_are_harmless(make_user, make_document):
    user = make_user()
    store(make_document(user), ["Patients were running trials of O'Neil's inhibitors (C++ & AT&T)."], [axis(0)])
    hits = find(user, "run trial inhibitor's | ! & :* ' \\", k=3, mode="keyword", min_similarity=-1,
                query_vector=axis(0))
    assert len(hits) == 1 and hits[0].keyword_rank == 1


def test_blank_and_invalid_queries(make_user):
    user = make_user()
    assert find(user, "   ") == []
    assert find(user, "the of and", min_similarity=-1) == []  # only stop words, no chunks at all
    for bad in ({"k": 0}, {"k": 101}, {"mode": "fuzzy"}, {"vector_path": "ivf"}):
        with pytest.raises(InvalidInput):
            find(user, "x", **bad)
    with pytest.raises(InvalidInput):
        find(user, "x" * 2001)

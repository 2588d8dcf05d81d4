"""The packaged MiniLM: offline, 384-d unit vectors, semantic neighbours closer than strangers."""

from __future__ import annotations

import math

from assistant.services.rag import embeddings


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_passages_and_queries_are_384_d_unit_vectors_in_input_order():
    texts = ["Aspirin lowers the risk of heart attack.", "Столица Франции — Париж.", ""]
    vectors = embeddings.embed_passages(texts)
    assert len(vectors) == 3
    for vector in vectors:
        assert len(vector) == embeddings.EMBEDDING_DIMENSIONS == 384
        assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, abs_tol=1e-4)
    # the same text gives the same vector whether embedded alone or in a batch
    assert _cos(embeddings.embed_query(texts[0]), vectors[0]) > 0.9999
    assert embeddings.embed_passages([]) == []


def test_related_texts_are_closer_than_unrelated_ones():
    query = embeddings.embed_query("Which drug reduces myocardial infarction risk?")
    related, unrelated = embeddings.embed_passages(
        ["Aspirin lowers the risk of heart attack.", "The train leaves the station at noon."]
    )
    assert _cos(query, related) > _cos(query, unrelated) + 0.2


def test_tokenizer_counts_word_pieces_and_the_window_is_256():
    assert embeddings.MAX_TOKENS == 256
    assert embeddings.model().max_seq_length == 256
    pieces = embeddings.tokenizer().tokenize("hemoglobin concentration")
    assert 2 <= len(pieces) <= 8
    # text beyond the window is ignored: a long tail does not change the vector
    head = "word " * 300
    a, b = embeddings.embed_passages([head, head + " entirely different ending about volcanoes"])
    assert _cos(a, b) > 0.9999

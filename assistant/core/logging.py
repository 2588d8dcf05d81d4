"""Logging set-up shared by the CLI, the web process and the worker.

At the default level (``INFO``) the console shows the app's own records (loggers under ``assistant``)
and only warnings and errors of the libraries: Alembic's line per revision, ONNX Runtime's graph
fusion lines, Sentence-Transformers' and Reflex's INFO chatter, Python warnings raised inside libraries
(PyTorch's tracer and exporter warnings, platformdirs) and the libraries' progress bars stay quiet. At
``DEBUG`` all of it is shown again, warnings included (as ``py.warnings`` records).
"""

from __future__ import annotations

import logging
import os
import warnings

#: The app's own logger tree: it follows the configured level; every other logger shows WARNING and up.
APP_LOGGER = "assistant"
#: Modules whose Python warnings are hidden below DEBUG (they come from inside the libraries).
_NOISY_MODULES = r"(torch|transformers|onnx|onnxruntime|sentence_transformers|platformdirs|huggingface_hub)(\.|$)"


def configure_logging(level: str = "INFO") -> None:
    """Send log records to stderr as ``time level logger: message`` lines (module docstring).

    Args:
        level: ``DEBUG``, ``INFO``, ``WARNING`` or ``ERROR`` (anything else means ``INFO``).
    """
    chosen = getattr(logging, level.upper(), logging.INFO)
    debug = chosen <= logging.DEBUG
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    logging.getLogger(APP_LOGGER).setLevel(chosen)
    logging.captureWarnings(True)
    if not debug:
        warnings.filterwarnings("ignore", module=_NOISY_MODULES)
        # tqdm (Sentence-Transformers' batches, transformers' weight loading) reads these when a bar starts.
        os.environ.setdefault("TQDM_DISABLE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

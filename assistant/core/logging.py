"""Logging set-up shared by the CLI, the web process and the worker.

At the default level (``INFO``) the console shows the app's own records (loggers under ``assistant``)
and only warnings and errors of the libraries: Alembic's line per revision, ONNX Runtime's graph
fusion lines, Sentence-Transformers' and Reflex's INFO chatter, Python warnings raised inside libraries
(PyTorch's tracer and exporter warnings, platformdirs) and the libraries' progress bars stay quiet. At
``DEBUG`` all of it is shown again, warnings included (as ``py.warnings`` records).

``ASSISTANT_LOG_FORMAT=json`` writes one JSON object per line instead: ``time`` (ISO 8601, UTC, milliseconds),
``level``, ``logger``, ``message``, ``exception`` (the traceback, when there is one) and the ids of the work
being done when they are known: ``request_id`` (an API request or a UI event), ``user_id`` (the acting
account) and ``job_id`` (a worker job: ``document:<id>``, ``reminder:<id>``, ``report:<id>``...). The code
doing that work sets them with :func:`log_context`; :func:`bind_log_context` adds one to the current context
(seen by every thread the context was handed to, e.g. FastAPI's thread pool).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from assistant.core.config import get_settings

#: The app's own logger tree: it follows the configured level; every other logger shows WARNING and up.
APP_LOGGER = "assistant"
#: Modules whose Python warnings are hidden below DEBUG (they come from inside the libraries).
_NOISY_MODULES = r"(torch|transformers|onnx|onnxruntime|sentence_transformers|platformdirs|huggingface_hub)(\.|$)"


#: The ids a JSON log record may carry, in this order.
CONTEXT_FIELDS = ("request_id", "user_id", "job_id")
#: An ``X-Request-ID`` a client may choose: short and plain, so it cannot forge a log line.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
#: The ids of the work being done: one dict per context, shared (not copied) by the threads it is handed to.
_context: ContextVar[dict[str, str] | None] = ContextVar("assistant_log_context", default=None)


@contextmanager
def log_context(**ids: object) -> Iterator[dict[str, str]]:
    """Within the block, log records carry ``ids`` (``request_id``, ``user_id``, ``job_id``; None values are
    skipped) besides those of the enclosing context. Yields the context's dict (for :func:`bind_log_context`)."""
    inner = dict(_context.get() or {})
    inner.update({key: str(value) for key, value in ids.items() if value is not None})
    token = _context.set(inner)
    try:
        yield inner
    finally:
        _context.reset(token)


def bind_log_context(**ids: object) -> None:
    """Add ``ids`` to the current :func:`log_context` in place, so the rest of that work (in this thread or
    another one running a copy of the same context) logs them too; nothing outside any context."""
    current = _context.get()
    if current is not None:
        current.update({key: str(value) for key, value in ids.items() if value is not None})


def new_request_id(offered: str | None = None) -> str:
    """``offered`` (a client's ``X-Request-ID``) when it is 1-64 letters, digits or ``._:-``, else a new
    random 16-hex-digit id."""
    if offered and _REQUEST_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex[:16]


class JsonFormatter(logging.Formatter):
    """One JSON object per record (module docstring), on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["exception"] = self.formatStack(record.stack_info)
        context = _context.get() or {}
        entry.update({key: context[key] for key in CONTEXT_FIELDS if key in context})
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO", log_format: str = "text") -> None:
    """Send log records to stderr as ``time level logger: message`` lines (unless the root logger already has a
    handler), or as JSON lines when ``log_format`` is ``json``, replacing the root logger's handlers (a server's
    own included, so that every line is JSON) (module docstring).

    Args:
        level: ``DEBUG``, ``INFO``, ``WARNING`` or ``ERROR`` (anything else means ``INFO``).
        log_format: ``text`` or ``json``.
    """
    chosen = getattr(logging, level.upper(), logging.INFO)
    debug = chosen <= logging.DEBUG
    root_level = logging.DEBUG if debug else logging.WARNING
    if log_format == "json":
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logging.basicConfig(level=root_level, handlers=[handler], force=True)
    else:
        logging.basicConfig(level=root_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                            datefmt="%H:%M:%S")
    logging.getLogger(APP_LOGGER).setLevel(chosen)
    logging.captureWarnings(True)
    if not debug:
        warnings.filterwarnings("ignore", module=_NOISY_MODULES)
        # tqdm (Sentence-Transformers' batches, transformers' weight loading) reads these when a bar starts.
        os.environ.setdefault("TQDM_DISABLE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def configure_from_settings() -> None:
    """:func:`configure_logging` with ``ASSISTANT_LOG_LEVEL`` and ``ASSISTANT_LOG_FORMAT`` (every process calls
    this at its start: the CLI, the worker, and the web app as its first lifespan task)."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)

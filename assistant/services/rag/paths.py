"""Where uploaded files live and the PostgreSQL notification channel that wakes the ingestion workers
(progress travels on the event bus: :mod:`assistant.services.rag.progress`)."""

from __future__ import annotations

from pathlib import Path

from assistant.core.config import Settings

#: ``NOTIFY document_jobs, '<document id>'``: a document was queued (upload, reindex); wakes the worker.
JOBS_CHANNEL = "document_jobs"


def documents_dir(settings: Settings) -> Path:
    """``<data_dir>/documents``: every uploaded file, named by the server (never by the user)."""
    return settings.resolved_data_dir / "documents"


def document_path(settings: Settings, storage_name: str) -> Path:
    """The stored file of a document.

    Raises:
        ValueError: ``storage_name`` is not a plain file name (no separators, no ``..``).
    """
    if not storage_name or "/" in storage_name or "\\" in storage_name or storage_name in (".", ".."):
        raise ValueError(f"bad storage name {storage_name!r}")
    return documents_dir(settings) / storage_name

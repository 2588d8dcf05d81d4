"""Fixtures of the document and retrieval tests."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

import pytest


@pytest.fixture
def make_document(db) -> Callable[..., object]:
    """Factory of committed documents: ``make_document(owner, collection=None, language="english",
    status="completed", filename=None)``; no file is written."""
    from assistant.core.db import session_scope
    from assistant.models import Document

    def _make(owner, *, collection=None, language: str = "english", status: str = "completed",
              filename: str | None = None) -> Document:
        name = filename or f"doc-{uuid.uuid4().hex[:8]}.txt"
        document = Document(
            owner_id=owner.id,
            collection_id=collection.id if collection is not None else None,
            filename=name,
            storage_name=uuid.uuid4().hex,
            media_type="text/plain",
            size_bytes=1,
            sha256=hashlib.sha256(name.encode()).hexdigest(),
            language=language,
            status=status,
        )
        with session_scope() as sess:
            sess.add(document)
        return document

    return _make

"""Ingestion progress on the event bus (:mod:`assistant.core.events`, topic ``document``).

Every change of a document's status, stage or progress is published, in the transaction that makes it,
to each user who may read the document (:func:`~assistant.services.rag.access.readers_of_document`); their open tabs
show it live (the Documents page updates the row; every page tells when a document is ready or failed).

Payload: ``{"id", "owner_id", "filename", "status", "progress", "stage", "error_code"}`` (a file name is at most
255 characters, so the message stays far below NOTIFY's limit).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, Protocol

from sqlmodel import Session

from assistant.core import events
from assistant.services.rag.access import readers_of_document

TOPIC = "document"


class DocumentState(Protocol):
    """What a progress event is made of: a ``Document`` or a row ``RETURNING`` its columns (read only)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def owner_id(self) -> uuid.UUID: ...
    @property
    def collection_id(self) -> uuid.UUID | None: ...
    @property
    def filename(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def progress(self) -> int: ...
    @property
    def stage(self) -> str: ...
    @property
    def error_code(self) -> str | None: ...


def progress_payload(document: DocumentState) -> dict[str, Any]:
    """The payload of a ``document`` event (module docstring)."""
    return {"id": str(document.id), "owner_id": str(document.owner_id), "filename": document.filename,
            "status": document.status,
            "progress": document.progress, "stage": document.stage, "error_code": document.error_code or ""}


def publish_progress(session: Session, documents: Iterable[DocumentState]) -> None:
    """Publish the state of each of ``documents`` to its readers when ``session``'s transaction commits."""
    for document in documents:
        events.publish(readers_of_document(session, document.id), TOPIC, progress_payload(document), session=session)


def publish_deleted(session: Session, document: DocumentState) -> None:
    """Tell the readers of ``document`` that it is gone (status ``deleted``); call before deleting the
    row, since the readers are found through it."""
    payload = {**progress_payload(document), "status": "deleted", "progress": 0, "stage": ""}
    events.publish(readers_of_document(session, document.id), TOPIC, payload, session=session)

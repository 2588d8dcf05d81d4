"""Ingestion jobs: a queued document becomes searchable chunks.

A job is the ``documents`` row itself (status, progress, stage, error, lease; see
:class:`assistant.models.document.Document`). :func:`run_job` (one document) and :func:`run_next` (the
oldest due one) take it through these stages, with ``progress`` in percent:

* ``extracting`` 0-10: :func:`assistant.services.rag.extract.iter_pages` in a limited subprocess, per page;
* ``chunking`` 10: :func:`assistant.services.rag.chunking.chunk_pages`;
* ``embedding`` 10-95: :data:`EMBED_BATCH` chunks of similar length at a time (this is where the time
  goes; progress in word pieces embedded);
* ``indexing`` 95-100: the old chunks deleted and the new ones stored in one transaction, together with
  the row turning ``completed`` (stage ``done``, ``page_count``, ``chunk_count``, ``completed_at``).

Claiming is one ``UPDATE ... FROM (SELECT ... FOR UPDATE SKIP LOCKED)``: a row that is ``pending``, or
``processing`` with an expired lease (its worker died), becomes ``processing`` with ``attempts + 1`` and
``lease_until = now() + LEASE_SECONDS``, so two workers can never take the same job. ``attempts`` is also
the job's fencing token: every later write requires ``status = 'processing'`` and the same ``attempts``,
so a worker that lost its lease (another took the job over) or whose row was reset or deleted meanwhile
changes nothing and stops at its next step. A heartbeat thread renews the lease every
:data:`HEARTBEAT_SECONDS` and reads ``cancel_requested``; the stages check both between pages and
batches. A resumed job starts over (nothing it did before survives except chunks of an earlier
completed run, which the indexing transaction replaces), so it is idempotent.

Endings: ``completed``; ``cancelled`` (chunks removed); ``failed`` with ``error_code`` (an i18n key,
``documents.error.*``) and ``error_detail`` (English), chunks removed; or, when the worker is told to
stop, the job goes back to ``pending`` for the next worker. Every change of status, stage or progress
is published on the event bus (:mod:`assistant.services.rag.progress`) in the same
transaction, at most :data:`PROGRESS_PER_SECOND` times a second per job.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlmodel import Session, select

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.core.logging import log_context
from assistant.models.document import Document, DocumentStatus
from assistant.services.rag import embeddings
from assistant.services.rag.chunking import chunk_pages
from assistant.services.rag.extract import ExtractionError, iter_pages
from assistant.services.rag.index import NewChunk, delete_chunks, store_chunks, store_pages
from assistant.services.rag.paths import JOBS_CHANNEL, document_path
from assistant.services.rag.progress import publish_progress

log = logging.getLogger(__name__)

#: Seconds a claimed job stays reserved without a sign of life; a dead worker's job waits this long.
LEASE_SECONDS = 30
#: Seconds between lease renewals (and cancel checks) of the heartbeat thread.
HEARTBEAT_SECONDS = 5.0
#: A job whose worker died this many times is failed instead of taken up again.
MAX_ATTEMPTS = 5
#: Chunks per call to the embedding model (32-64 are equally fast on 2 CPU cores; 32 keeps
#: cancel checks and progress steps short).
EMBED_BATCH = 32
#: Chunks per INSERT statement in the indexing transaction.
STORE_BATCH = 256
#: Most progress notifications per second per job.
PROGRESS_PER_SECOND = 4
#: Progress (percent) at the end of extraction and of embedding.
EXTRACTED_AT, EMBEDDED_AT = 10, 95

INTERNAL_ERROR = "documents.error.internal"

_OURS = "id = :id AND status = 'processing' AND attempts = :attempt"
_DUE = (
    "(status = 'pending' OR (status = 'processing' AND lease_until < now() AND attempts < :max_attempts))"
)


class JobStopped(Exception):
    """The job cannot go on: ``reason`` is ``cancelled`` (the user asked), ``lost`` (the row is no longer
    this worker's: lease taken over, reset, or deleted) or ``shutdown`` (the worker is stopping)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Job:
    """A claimed job: the document's id, this claim's ``attempt`` (fencing token), what to read, and the
    state shared with the heartbeat thread."""

    id: uuid.UUID
    attempt: int
    media_type: str
    storage_name: str
    stop: threading.Event | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)
    lost: threading.Event = field(default_factory=threading.Event)
    stage: str = "extracting"
    progress: int = 0
    sent_at: float = 0.0

    def check(self) -> None:
        """Raise :class:`JobStopped` if the job was lost, cancelled or the worker is stopping."""
        if self.lost.is_set():
            raise JobStopped("lost")
        if self.cancelled.is_set():
            raise JobStopped("cancelled")
        if self.stop is not None and self.stop.is_set():
            raise JobStopped("shutdown")

    def report(self, stage: str, progress: float, *, force: bool = False) -> None:
        """Store and notify ``stage`` and ``progress`` (percent, 0-100) unless the last report was less
        than 1/:data:`PROGRESS_PER_SECOND` s ago with the same stage (``force`` sends anyway), then
        :meth:`check`. Each report renews the lease too."""
        percent = max(0, min(100, int(progress)))
        now = time.monotonic()
        due = force or stage != self.stage or (
            percent != self.progress and now - self.sent_at >= 1 / PROGRESS_PER_SECOND
        )
        if due:
            with session_scope() as session:
                rows = session.execute(
                    text(
                        f"UPDATE documents SET stage = :stage, progress = :progress, "
                        f"lease_until = now() + make_interval(secs => :lease), updated_at = now() "
                        f"WHERE {_OURS} RETURNING *"
                    ),
                    {"stage": stage, "progress": percent, "lease": LEASE_SECONDS, "id": self.id,
                     "attempt": self.attempt},
                ).all()
                publish_progress(session, rows)
            if not rows:
                self.lost.set()
            elif rows[0].cancel_requested:
                self.cancelled.set()
            self.stage, self.progress, self.sent_at = stage, percent, now
        self.check()


def claim(document_id: uuid.UUID | None = None) -> Job | None:
    """Take the job of ``document_id`` (or, with None, the oldest due job) if it is due and no other
    worker holds it: ``pending``, or ``processing`` with an expired lease and fewer than
    :data:`MAX_ATTEMPTS` starts.

    Returns:
        The claimed job, or None when there is nothing to take.
    """
    target = "id = :id AND " if document_id is not None else ""
    with session_scope() as session:
        row = session.execute(
            text(
                f"UPDATE documents AS d SET status = 'processing', attempts = d.attempts + 1, "
                f"lease_until = now() + make_interval(secs => :lease), stage = 'extracting', progress = 0, "
                f"error_code = '', error_detail = '', updated_at = now() "
                f"FROM (SELECT id FROM documents WHERE {target}{_DUE} ORDER BY created_at LIMIT 1 "
                f"FOR UPDATE SKIP LOCKED) AS due WHERE d.id = due.id RETURNING d.*"
            ),
            {"id": document_id, "lease": LEASE_SECONDS, "max_attempts": MAX_ATTEMPTS},
        ).first()
        if row is not None:
            publish_progress(session, [row])
    if row is None:
        return None
    return Job(id=row.id, attempt=row.attempts, media_type=row.media_type, storage_name=row.storage_name)


def run_job(document_id: uuid.UUID, *, stop: threading.Event | None = None) -> str | None:
    """Claim and run the job of ``document_id`` (see the module docstring).

    Args:
        document_id: the document to ingest.
        stop: when set (worker shutting down), the job goes back to ``pending`` at its next step.

    Returns:
        The status the job ended in (``completed``, ``failed``, ``cancelled``, ``pending`` when handed
        back), or None when it was not claimed (not due, held by another worker, or lost on the way).
    """
    job = claim(document_id)
    return _run(job, stop) if job is not None else None


def run_next(*, stop: threading.Event | None = None) -> str | None:
    """Claim and run the oldest due job, as :func:`run_job`; None when there was none."""
    job = claim()
    return _run(job, stop) if job is not None else None


def fail_exhausted() -> int:
    """Fail the jobs whose worker died :data:`MAX_ATTEMPTS` times (a document that kills its worker
    must not do so forever). Returns how many."""
    with session_scope() as session:
        rows = session.execute(
            text(
                "UPDATE documents SET status = 'failed', stage = 'failed', lease_until = NULL, "
                "error_code = :code, error_detail = :detail, updated_at = now() "
                "WHERE status = 'processing' AND lease_until < now() AND attempts >= :max_attempts "
                "RETURNING *"
            ),
            {"code": INTERNAL_ERROR, "max_attempts": MAX_ATTEMPTS,
             "detail": f"the worker stopped during each of {MAX_ATTEMPTS} attempts"},
        ).all()
        publish_progress(session, rows)
    return len(rows)


def seconds_until_lease_expiry() -> float | None:
    """Seconds until the earliest lease of a running job runs out (0 if one already has), or None."""
    with session_scope() as session:
        value = session.execute(
            text("SELECT GREATEST(0, EXTRACT(EPOCH FROM min(lease_until) - now())) FROM documents "
                 "WHERE status = 'processing'")
        ).scalar()
    return None if value is None else float(value)


def _run(job: Job, stop: threading.Event | None) -> str | None:
    with log_context(job_id=f"document:{job.id}"):
        return _run_logged(job, stop)


def _run_logged(job: Job, stop: threading.Event | None) -> str | None:
    job.stop = stop
    started = time.monotonic()
    log.info("ingestion of document %s started (attempt %d)", job.id, job.attempt)
    try:
        with _heartbeat(job):
            pages, chunks = _ingest(job)
        log.info("ingestion of document %s completed: %s pages, %d chunks in %.1f s",
                 job.id, pages, chunks, time.monotonic() - started)
        return DocumentStatus.COMPLETED.value
    except JobStopped as stopped:
        return _stopped(job, stopped.reason, started)
    except ExtractionError as exc:
        log.info("ingestion of document %s failed: %s (%s)", job.id, exc.code, exc.detail)
        return _fail(job, exc.code, exc.detail)
    except Exception as exc:
        log.exception("ingestion of document %s failed", job.id)
        return _fail(job, INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")


def _ingest(job: Job) -> tuple[int | None, int]:
    """Extract, chunk, embed and store. Returns ``(page_count or None, chunk_count)``.

    Raises:
        ExtractionError, JobStopped, and whatever the model or the database raise.
    """
    path = document_path(get_settings(), job.storage_name)
    if not path.is_file():
        raise ExtractionError(INTERNAL_ERROR, "the stored file is missing")
    job.check()
    pages = []
    page_count = 0
    with closing(iter_pages(path, job.media_type)) as extracted:  # closing kills the parser at once
        for page, page_count in extracted:
            pages.append(page)
            job.report("extracting", EXTRACTED_AT * len(pages) / max(page_count, 1))
    job.report("chunking", EXTRACTED_AT)
    drafts = chunk_pages(pages, embeddings.tokenizer())
    paged = any(page.number is not None for page in pages)
    page_texts = [(page.number, page.text) for page in pages]
    del pages
    job.report("embedding", EXTRACTED_AT)
    # Batches of similar length: a batch is padded to its longest chunk, and the short last chunks of
    # pages mixed with full ones would cost as much as full ones. Progress counts word pieces.
    order = sorted(range(len(drafts)), key=lambda i: drafts[i].token_count)
    total_tokens = sum(c.token_count for c in drafts)
    done_tokens = 0
    vectors: list[list[float]] = [[] for _ in drafts]
    for start in range(0, len(order), EMBED_BATCH):
        batch = order[start : start + EMBED_BATCH]
        embedded = embeddings.embed_passages([drafts[i].text for i in batch], batch_size=EMBED_BATCH)
        for i, vector in zip(batch, embedded, strict=True):
            vectors[i] = vector
        done_tokens += sum(drafts[i].token_count for i in batch)
        job.report("embedding", EXTRACTED_AT + (EMBEDDED_AT - EXTRACTED_AT) * done_tokens / total_tokens)
    job.report("indexing", EMBEDDED_AT, force=True)
    with session_scope() as session:
        document = _lock_own_row(session, job)
        delete_chunks(session=session, document_id=job.id)
        for start in range(0, len(drafts), STORE_BATCH):
            store_chunks(session=session, document=document, chunks=[
                NewChunk(ord=i, page=c.page, heading_path=c.heading_path, text=c.text,
                         token_count=c.token_count, embedding=vectors[i])
                for i, c in enumerate(drafts[start : start + STORE_BATCH], start)
            ])
        store_pages(session=session, document_id=job.id, pages=page_texts)
        rows = session.execute(
            text(
                f"UPDATE documents SET status = 'completed', stage = 'done', progress = 100, "
                f"page_count = :pages, chunk_count = :chunks, completed_at = now(), lease_until = NULL, "
                f"updated_at = now() WHERE {_OURS} RETURNING *"
            ),
            {"pages": page_count if paged else None, "chunks": len(drafts), "id": job.id, "attempt": job.attempt},
        ).all()
        publish_progress(session, rows)
    return (page_count if paged else None), len(drafts)


def _lock_own_row(session: Session, job: Job) -> Document:
    """Lock the document row for the indexing transaction if it is still this job's and not cancelled.

    Raises:
        JobStopped: ``lost`` or ``cancelled``.
    """
    document = session.exec(
        select(Document)
        .where(Document.id == job.id, Document.status == DocumentStatus.PROCESSING.value,
               Document.attempts == job.attempt)
        .with_for_update()
    ).first()
    if document is None:
        raise JobStopped("lost")
    if document.cancel_requested:
        raise JobStopped("cancelled")
    return document


def _stopped(job: Job, reason: str, started: float) -> str | None:
    if reason == "lost":
        log.warning("ingestion of document %s given up: the job is no longer this worker's", job.id)
        return None
    if reason == "cancelled":
        status, stage, chunk_count = DocumentStatus.CANCELLED.value, "cancelled", "0"
    else:  # chunks of an earlier completed run stay until the next run replaces them
        status, stage, chunk_count = DocumentStatus.PENDING.value, "queued", "chunk_count"
    with session_scope() as session:
        rows = session.execute(
            text(
                f"UPDATE documents SET status = :status, stage = :stage, progress = 0, "
                f"chunk_count = {chunk_count}, cancel_requested = false, lease_until = NULL, updated_at = now() "
                f"WHERE {_OURS} RETURNING *"
            ),
            {"status": status, "stage": stage, "id": job.id, "attempt": job.attempt},
        ).all()
        publish_progress(session, rows)
        if rows and status == DocumentStatus.CANCELLED.value:
            delete_chunks(session=session, document_id=job.id)
        if rows and status == DocumentStatus.PENDING.value:
            session.execute(text("SELECT pg_notify(:channel, :id)"), {"channel": JOBS_CHANNEL, "id": str(job.id)})
    log.info("ingestion of document %s %s after %.1f s", job.id,
             "cancelled" if status == DocumentStatus.CANCELLED.value else "handed back (worker stopping)",
             time.monotonic() - started)
    return status if rows else None


def _fail(job: Job, code: str, detail: str) -> str | None:
    with session_scope() as session:
        rows = session.execute(
            text(
                f"UPDATE documents SET status = 'failed', stage = 'failed', error_code = :code, "
                f"error_detail = :detail, chunk_count = 0, lease_until = NULL, updated_at = now() "
                f"WHERE {_OURS} RETURNING *"
            ),
            {"code": code, "detail": detail[:1000], "id": job.id, "attempt": job.attempt},
        ).all()
        publish_progress(session, rows)
        if rows:
            delete_chunks(session=session, document_id=job.id)
    return DocumentStatus.FAILED.value if rows else None


@contextmanager
def _heartbeat(job: Job) -> Iterator[None]:
    """Renew ``job``'s lease every :data:`HEARTBEAT_SECONDS` in a thread while the block runs, and flag
    it ``cancelled`` or ``lost`` as soon as the row says so."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(HEARTBEAT_SECONDS):
            try:
                with session_scope() as session:
                    row = session.execute(
                        text(f"UPDATE documents SET lease_until = now() + make_interval(secs => :lease) "
                             f"WHERE {_OURS} RETURNING cancel_requested"),
                        {"lease": LEASE_SECONDS, "id": job.id, "attempt": job.attempt},
                    ).first()
            except Exception:
                log.warning("lease renewal of document %s failed", job.id, exc_info=True)
                continue
            if row is None:
                job.lost.set()
            elif row.cancel_requested:
                job.cancelled.set()

    thread = threading.Thread(target=beat, name=f"lease-{job.id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=HEARTBEAT_SECONDS + 5)

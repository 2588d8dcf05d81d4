"""Real worker processes run ingestion, every one of them: woken by NOTIFY, one job never run twice, two
workers ingest two documents at the same time, and a job whose worker is killed with SIGKILL mid-way is
resumed by the next worker and completed without duplicate chunks.

The documents are only as large as "at the same time" and "mid-way" need: a few seconds of embedding each
(the embedding model is where ingestion spends its time)."""

from __future__ import annotations

import signal
import time

import pytest
from sqlalchemy import text
from sqlmodel import select
from support.data import SHARED_DATA
from support.worker import LISTENING, Worker, queue_document, wait_for, worker_environment

from assistant.core.db import session_scope
from assistant.models import Chunk, Document

DATA = SHARED_DATA
#: 44 pages, 148 chunks: about 4 s of embedding, so "well into embedding" leaves seconds to kill the worker in.
GUIDE_PDF = DATA / "pdfs/health/CDC_Outpatient-Guide-508.pdf"
GUIDE_PAGES = 44


@pytest.fixture
def start_worker(database, tmp_path):
    env = worker_environment(database.url, database.data_dir)
    started: list[Worker] = []

    def _start(name: str) -> Worker:
        started.append(Worker(name, tmp_path, env))
        return started[-1]

    yield _start
    for worker in started:
        worker.stop()


def load(document_id) -> Document:
    with session_scope() as session:
        return session.get(Document, document_id)


def chunk_ords(document_id) -> list[int]:
    with session_scope() as session:
        return list(session.exec(select(Chunk.ord).where(Chunk.document_id == document_id).order_by(Chunk.ord)))


def listening(workers: list[Worker]) -> None:
    wait_for(lambda: all(LISTENING in w.output() for w in workers), 90, "every worker to listen for jobs", workers)


def started_in(workers: list[Worker], document_id) -> int:
    return sum(w.output().count(f"ingestion of document {document_id} started") for w in workers)


def test_uploads_wake_the_workers_and_no_job_runs_twice(start_worker, make_user):
    workers = [start_worker("worker-a"), start_worker("worker-b")]
    listening(workers)
    owner = make_user()
    queued_at = time.monotonic()
    first = queue_document(owner, b"The blood pressure was 120 over 80. The pulse was regular.", "text/plain")
    wait_for(lambda: load(first).status == "completed", 30, "the first upload to complete", workers)
    assert time.monotonic() - queued_at < 10, "woken by NOTIFY, not by the 30 s poll"

    ids = [queue_document(owner, f"Note {i}. Cholesterol was normal.".encode(), "text/plain") for i in range(5)]
    ids.append(queue_document(owner, b"not a pdf at all", "application/pdf"))
    wait_for(lambda: all(load(i).status in ("completed", "failed") for i in ids), 60, "all jobs to end", workers)
    assert [load(i).status for i in ids] == ["completed"] * 5 + ["failed"]
    for document_id in [first, *ids]:
        assert load(document_id).attempts == 1
        assert started_in(workers, document_id) == 1, "each job ran in exactly one worker, once"
    assert chunk_ords(first) == [0]


def test_two_workers_ingest_two_documents_at_the_same_time(start_worker, make_user):
    workers = [start_worker("worker-a"), start_worker("worker-b")]
    listening(workers)
    owner = make_user()
    text_of = " ".join(f"Sentence {i} is about blood pressure readings taken in the morning." for i in range(1200))
    ids = [queue_document(owner, text_of.encode(), "text/plain", f"diary-{n}.txt") for n in range(2)]
    wait_for(lambda: all(load(i).status == "processing" and load(i).stage == "embedding" for i in ids), 120,
             "both documents being embedded at once", workers)
    assert [sum(started_in([w], i) for i in ids) for w in workers] == [1, 1], "one document in each worker"
    wait_for(lambda: all(load(i).status == "completed" for i in ids), 300, "both documents to complete", workers)


def test_a_job_killed_mid_way_is_resumed_without_duplicates(start_worker, make_user):
    first = start_worker("worker-first")
    listening([first])
    document_id = queue_document(make_user(), GUIDE_PDF.read_bytes(), "application/pdf")
    wait_for(lambda: load(document_id).stage == "embedding" and load(document_id).progress >= 30, 300,
             "the job to be well into embedding", [first])
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=10)
    killed = load(document_id)
    assert (killed.status, killed.attempts) == ("processing", 1)
    assert chunk_ords(document_id) == []
    # As if the kill had been 20 s ago: the dead worker's lease (30 s from its last heartbeat) runs out in
    # 10 s, after the next worker is up (~5 s), which then waits for it as it would for the whole 30 s.
    with session_scope() as session:
        session.execute(text("UPDATE documents SET lease_until = now() + interval '10 seconds' WHERE id = :id"),
                        {"id": document_id})

    second = start_worker("worker-second")
    wait_for(lambda: load(document_id).status == "completed", 600, "the resumed job to complete", [first, second])
    done = load(document_id)
    assert done.attempts == 2 and done.page_count == GUIDE_PAGES
    assert f"ingestion of document {document_id} started (attempt 2)" in second.output()
    ords = chunk_ords(document_id)
    assert ords == list(range(done.chunk_count)) and done.chunk_count > GUIDE_PAGES
    with session_scope() as session:
        pages = session.execute(text("SELECT min(page), max(page), count(DISTINCT page) FROM chunks "
                                     "WHERE document_id = :id"), {"id": document_id}).one()
    # every page once or more, but page 43, which holds only its number and a version line (a footer)
    assert tuple(pages) == (1, GUIDE_PAGES, GUIDE_PAGES - 1)

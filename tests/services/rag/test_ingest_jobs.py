"""Ingestion jobs against the real database: a real PDF becomes chunks with the right pages; bad files,
cancel, lost leases and shutdown each end the job cleanly without touching other documents; claims are
exclusive; progress is notified and throttled."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from support.data import SHARED_DATA

from assistant.core import events as bus
from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.models import Chunk, Document
from assistant.services.rag import extract, ingest
from assistant.services.rag.chunking import MAX_TOKENS
from assistant.services.rag.embeddings import tokenizer
from assistant.services.rag.index import NewChunk, store_chunks
from assistant.services.rag.paths import document_path

DATA = SHARED_DATA
WHO_PDF = DATA / "pdfs/health/WHO_EMRO_Healthy-diet_2019.pdf"
SCANNED_PDF = DATA / "pdfs/scanned/sample-4page-issue.pdf"


def queue(owner, content: bytes | Path, media_type: str = "application/pdf", **fields) -> Document:
    """A pending document whose file holds ``content``, as the upload service leaves it."""
    data = content.read_bytes() if isinstance(content, Path) else content
    document = Document(owner_id=owner.id, filename="upload", storage_name=uuid.uuid4().hex, media_type=media_type,
                        size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), **fields)
    path = document_path(get_settings(), document.storage_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    with session_scope() as session:
        session.add(document)
    return document


def load(document_id) -> Document:
    with session_scope() as session:
        return session.get(Document, document_id)


def chunks_of(document_id) -> list[Chunk]:
    from sqlmodel import select

    with session_scope() as session:
        return list(session.exec(select(Chunk).where(Chunk.document_id == document_id).order_by(Chunk.ord)))


def sentences_text(n: int) -> bytes:
    return " ".join(f"Sentence {i} is about blood pressure readings taken in the morning." for i in range(n)).encode()


@pytest.fixture
def bystander(make_user):
    """A completed document of another user with one chunk: no failing job may touch it."""
    other = make_user()
    document = queue(other, b"unrelated", "text/plain", status="completed", progress=100, stage="done",
                     chunk_count=1)
    with session_scope() as session:
        stored = session.get(Document, document.id)
        store_chunks(session=session, document=stored, chunks=[
            NewChunk(ord=0, page=None, heading_path="", text="unrelated", token_count=3,
                     embedding=[1.0] + [0.0] * 383)])
    before = load(document.id)
    yield document
    after = load(document.id)
    assert (after.status, after.progress, after.chunk_count, after.updated_at) == (
        before.status, before.progress, before.chunk_count, before.updated_at)
    assert [c.text for c in chunks_of(document.id)] == ["unrelated"]


def test_health_pdf_becomes_chunks_with_their_pages(make_user, bystander):
    document = queue(make_user(), WHO_PDF)
    assert ingest.run_job(document.id) == "completed"

    done = load(document.id)
    assert (done.status, done.stage, done.progress, done.page_count) == ("completed", "done", 100, 20)
    assert done.attempts == 1 and done.lease_until is None and done.completed_at is not None
    assert done.error_code == ""
    chunks = chunks_of(document.id)
    assert done.chunk_count == len(chunks) > 20
    assert [c.ord for c in chunks] == list(range(len(chunks)))
    [fact] = [c for c in chunks if "Energy intake (calories) should be in balance" in c.text]
    assert fact.page == 9
    assert fact.heading_path.startswith("Healthy diet")
    assert all(1 <= c.page <= 20 for c in chunks)
    assert all(c.token_count == len(tokenizer().tokenize(c.text)) + 2 <= MAX_TOKENS for c in chunks)

    # Reindexing the same document replaces its chunks instead of adding to them.
    with session_scope() as session:
        session.execute(text("UPDATE documents SET status = 'pending' WHERE id = :id"), {"id": document.id})
    assert ingest.run_job(document.id) == "completed"
    again = chunks_of(document.id)
    assert [(c.ord, c.page, c.text) for c in again] == [(c.ord, c.page, c.text) for c in chunks]
    assert load(document.id).attempts == 2


def test_word_document_becomes_chunks_under_its_headings(make_user, bystander, medical_docx, tmp_path):
    document = queue(make_user(), medical_docx(tmp_path / "letter.docx"), extract.DOCX_TYPE)
    assert ingest.run_job(document.id) == "completed"

    done = load(document.id)
    assert (done.status, done.stage, done.progress, done.page_count, done.error_code) == (
        "completed", "done", 100, None, "")
    chunks = chunks_of(document.id)
    assert done.chunk_count == len(chunks) >= 1 and all(c.page is None for c in chunks)
    title = "Выписка из истории болезни"
    by_text = {c.text: c.heading_path for c in chunks}
    [(table, table_path)] = [(t, p) for t, p in by_text.items() if "Глюкоза | 5,4 | ммоль/л" in t]
    assert table_path == f"{title} > Анализы крови"
    assert table.index("Показатель | Значение") < table.index("Глюкоза") < table.index("HbA1c")
    [lipids] = [p for t, p in by_text.items() if "LDL cholesterol 2.1 mmol/L" in t]
    assert lipids == f"{title} > Анализы крови > Липидный профиль"
    [advice] = [p for t, p in by_text.items() if "Меньше сахара" in t]
    assert advice == f"{title} > Рекомендации"


def truncated_pdf() -> bytes:
    return WHO_PDF.read_bytes()[:700_000]


def encrypted_pdf() -> bytes:
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Confidential lab results")
    return doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")


BAD_INPUTS = {
    "truncated-pdf": (truncated_pdf, "application/pdf", extract.CORRUPT),
    "encrypted-pdf": (encrypted_pdf, "application/pdf", extract.ENCRYPTED),
    "scanned-pdf": (lambda: SCANNED_PDF.read_bytes(), "application/pdf", extract.NO_TEXT),
    "zero-byte-pdf": (lambda: b"", "application/pdf", extract.CORRUPT),
    "text-as-pdf": (lambda: b"Glucose 5.4 mmol/L, all fine.\n", "application/pdf", extract.CORRUPT),
    "unsupported": (lambda: b"PK\x03\x04", "application/msword", extract.UNSUPPORTED),
}


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_input_fails_alone_with_its_code(make_user, bystander, kind):
    make, media_type, code = BAD_INPUTS[kind]
    document = queue(make_user(), make(), media_type)
    assert ingest.run_job(document.id) == "failed"
    failed = load(document.id)
    assert (failed.status, failed.stage, failed.error_code) == ("failed", "failed", code)
    assert failed.error_detail and failed.lease_until is None
    assert chunks_of(document.id) == []


def test_limits_of_the_parser_fail_the_job(make_user, bystander, monkeypatch, tmp_path, crafted_pdf):
    owner = make_user()
    line = b"1 0 0 1 10 400 Tm (" + b"A" * 1000 + b") Tj\n"
    bomb = queue(owner, crafted_pdf(tmp_path / "bomb.pdf", b"BT /F1 0.5 Tf\n" + line * 20_000 + b"ET\n"))
    slow_line = b"1 0 0 1 10 -400 Tm (" + b"A" * 1000 + b") Tj\n"
    slow = queue(owner, crafted_pdf(tmp_path / "slow.pdf", b"BT /F1 10 Tf\n" + slow_line * 20_000 + b"ET\n",
                                     pages=100))
    many = queue(owner, WHO_PDF)
    assert ingest.run_job(bomb.id) == "failed"
    assert load(bomb.id).error_code == extract.TOO_LARGE, load(bomb.id).error_detail
    monkeypatch.setattr(extract, "TIMEOUT_SECONDS", 3.0)  # the real 60 s would hold the test up
    assert ingest.run_job(slow.id) == "failed"
    assert load(slow.id).error_code == extract.TIMEOUT, load(slow.id).error_detail
    monkeypatch.setattr(extract, "MAX_PAGES", 10)
    assert ingest.run_job(many.id) == "failed"
    assert load(many.id).error_code == extract.TOO_LARGE, load(many.id).error_detail


def test_missing_file_fails_as_internal(make_user, bystander):
    document = queue(make_user(), b"text", "text/plain")
    document_path(get_settings(), document.storage_name).unlink()
    assert ingest.run_job(document.id) == "failed"
    assert load(document.id).error_code == "documents.error.internal"


def test_cancel_during_embedding_removes_everything(make_user, bystander, monkeypatch):
    monkeypatch.setattr(ingest, "EMBED_BATCH", 2)
    document = queue(make_user(), sentences_text(400), "text/plain")
    result: list[str | None] = []
    worker = threading.Thread(target=lambda: result.append(ingest.run_job(document.id)))
    worker.start()
    deadline = time.monotonic() + 60
    while load(document.id).stage != "embedding" and time.monotonic() < deadline:
        time.sleep(0.05)
    with session_scope() as session:
        session.execute(text("UPDATE documents SET cancel_requested = true WHERE id = :id"), {"id": document.id})
    worker.join(timeout=60)
    assert result == ["cancelled"]
    cancelled = load(document.id)
    assert (cancelled.status, cancelled.stage, cancelled.chunk_count) == ("cancelled", "cancelled", 0)
    assert not cancelled.cancel_requested and cancelled.lease_until is None
    assert chunks_of(document.id) == []


def test_claims_are_exclusive(make_user):
    document = queue(make_user(), b"Short note.", "text/plain")
    barrier = threading.Barrier(6)
    claims: list[ingest.Job | None] = []

    def grab() -> None:
        barrier.wait()
        claims.append(ingest.claim(document.id))

    threads = [threading.Thread(target=grab) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    taken = [c for c in claims if c is not None]
    assert len(taken) == 1 and taken[0].attempt == 1
    assert ingest.claim(document.id) is None  # held, lease not expired


def test_two_runners_never_run_the_same_job(make_user):
    owner = make_user()
    documents = [queue(owner, f"Note {i}. Blood pressure was normal.".encode(), "text/plain") for i in range(4)]
    ran: list[str] = []

    def drain() -> None:
        while (status := ingest.run_next()) is not None:
            ran.append(status)

    runners = [threading.Thread(target=drain) for _ in range(2)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(timeout=120)
    assert ran == ["completed"] * 4
    for document in documents:
        done = load(document.id)
        assert (done.status, done.attempts, done.chunk_count) == ("completed", 1, 1)
        assert len(chunks_of(document.id)) == 1


def test_an_expired_lease_is_resumed_from_the_start_without_duplicates(make_user):
    document = queue(make_user(), sentences_text(60), "text/plain")
    assert ingest.run_job(document.id) == "completed"
    first = [(c.ord, c.text) for c in chunks_of(document.id)]
    # A second run crashed half-way: the row is still "processing" with an old lease.
    with session_scope() as session:
        session.execute(text("UPDATE documents SET status = 'processing', stage = 'embedding', progress = 50, "
                             "lease_until = now() + interval '20 seconds' WHERE id = :id"), {"id": document.id})
    assert ingest.run_job(document.id) is None  # the lease still runs: not taken
    assert 0 < ingest.seconds_until_lease_expiry() <= 20
    with session_scope() as session:
        session.execute(text("UPDATE documents SET lease_until = now() - interval '1 second' WHERE id = :id"),
                        {"id": document.id})
    assert ingest.run_next() == "completed"
    resumed = load(document.id)
    assert (resumed.status, resumed.attempts) == ("completed", 2)
    assert [(c.ord, c.text) for c in chunks_of(document.id)] == first


def test_a_job_whose_worker_keeps_dying_is_failed(make_user):
    document = queue(make_user(), b"Note.", "text/plain", status="processing", attempts=ingest.MAX_ATTEMPTS)
    with session_scope() as session:
        session.execute(text("UPDATE documents SET lease_until = now() - interval '1 second' WHERE id = :id"),
                        {"id": document.id})
    assert ingest.run_next() is None
    assert ingest.fail_exhausted() == 1
    failed = load(document.id)
    assert (failed.status, failed.error_code) == ("failed", "documents.error.internal")


def test_a_lost_job_changes_nothing(make_user):
    document = queue(make_user(), sentences_text(30), "text/plain")
    job = ingest.claim(document.id)
    # Another worker took the job over after this one's lease ran out.
    with session_scope() as session:
        session.execute(text("UPDATE documents SET attempts = attempts + 1, stage = 'embedding' WHERE id = :id"),
                        {"id": document.id})
    assert ingest._run(job, None) is None
    taken = load(document.id)
    assert (taken.status, taken.stage, taken.attempts) == ("processing", "embedding", 2)
    assert chunks_of(document.id) == []


def test_a_stopping_worker_hands_the_job_back(make_user, database):
    document = queue(make_user(), sentences_text(30), "text/plain")
    stop = threading.Event()
    stop.set()
    with psycopg.connect(database.url, autocommit=True) as listener:
        listener.execute("LISTEN document_jobs")
        assert ingest.run_job(document.id, stop=stop) == "pending"
        woken = [n.payload for n in listener.notifies(timeout=2, stop_after=1)]
    assert woken == [str(document.id)]
    back = load(document.id)
    assert (back.status, back.stage, back.lease_until) == ("pending", "queued", None)
    assert ingest.run_job(document.id) == "completed"


def test_progress_is_notified_in_order_and_throttled(make_user, database, monkeypatch):
    monkeypatch.setattr(ingest, "EMBED_BATCH", 1)
    embed = ingest.embeddings.embed_passages

    def slow_embed(texts, **kwargs):  # every batch takes 60 ms or more, so throttled progress shows on any machine
        time.sleep(0.06)
        return embed(texts, **kwargs)

    monkeypatch.setattr(ingest.embeddings, "embed_passages", slow_embed)
    owner = make_user()
    document = queue(owner, sentences_text(200), "text/plain")
    with psycopg.connect(database.url, autocommit=True) as listener:
        listener.execute(f"LISTEN {bus.CHANNEL}")
        started = time.monotonic()
        assert ingest.run_job(document.id) == "completed"
        seconds = time.monotonic() - started
        events = [bus.decode(n.payload) for n in listener.notifies(timeout=1)]
    assert all(e.topic == "document" and e.user_ids == {owner.id} for e in events), "to the owner only"
    mine = [e.payload for e in events if e.payload["id"] == str(document.id)]
    assert mine[0]["status"] == "processing" and mine[-1]["status"] == "completed"
    assert mine[-1]["progress"] == 100 and mine[-1]["stage"] == "done"
    assert set(mine[0]) == {"id", "owner_id", "filename", "status", "progress", "stage", "error_code"}
    progress = [e["progress"] for e in mine[:-1]]
    assert progress == sorted(progress)
    assert [e["stage"] for e in mine[1:-1]] == sorted(
        (e["stage"] for e in mine[1:-1]), key=["extracting", "chunking", "embedding", "indexing"].index)
    embedding = [e for e in mine if e["stage"] == "embedding"]
    assert len(embedding) >= 3, "embedding progress moves while it runs"
    # At most 4 a second, plus the forced ones at the changes of stage.
    assert len(mine) <= 4 * seconds + 8

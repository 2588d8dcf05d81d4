"""Benchmark: ingestion speed end to end, in pages per second, from "queued" to "searchable".

Starts a fresh embedded PostgreSQL (migrated) and the real worker (``python -m assistant.worker``),
waits until the worker has loaded the embedding model and listens for jobs, then does what the upload service
does at the end of an upload: the file into the documents folder, a pending ``documents`` row and
``NOTIFY document_jobs`` in one transaction. The clock starts at that commit and stops at the
``document`` event (on the event bus, :mod:`assistant.core.events`) of status ``completed``, which the worker
sends in the transaction that stores the chunks (so they are searchable at that moment). Stage times come
from the progress notifications (first ``embedding`` and ``indexing`` events). The worker's CPU seconds and the load
average are printed too: on a shared machine the wall-clock figure moves with the neighbours' load.

Prints one JSON line:
``{"metric": "ingest_pages_per_s", "value": ..., "pages": ..., "seconds": ..., ...}``.
Target (issue "Documents and RAG"): >= 15 pages/s on 2 cores with the 293-page
``../shared/data/pdfs/large/The-War-of-the-Worlds.pdf``.

Usage: ``python scripts/bench_ingest.py PDF [--threads N]`` (``--threads`` sets the worker's
``OMP_NUM_THREADS``, i.e. the embedding model's CPU threads; default: the library's choice).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench_process import cpu_seconds, wait_for_line  # this script's folder, first on sys.path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

LISTENING = "ingestion is listening for jobs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", type=Path, help="the PDF to ingest")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads of the embedding model")
    parser.add_argument("--timeout", type=float, default=1800, help="give up after this many seconds")
    args = parser.parse_args()
    print(json.dumps(run(args.pdf.resolve(), args.threads, args.timeout)))
    return 0


def run(pdf: Path, threads: int | None, timeout: float) -> dict:
    from assistant.core.db import start_embedded_postgres, stop_embedded_postgres
    from assistant.core.migrations import upgrade

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        url = start_embedded_postgres(Path(tmp) / "pg", "bench")
        upgrade(url)
        data_dir = Path(tmp) / "data"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
        env.update(DATABASE_URL=url, ASSISTANT_DATA_DIR=str(data_dir), ASSISTANT_LOG_LEVEL="INFO",
                   PYTHONUNBUFFERED="1", HF_HUB_OFFLINE="1")
        if threads:
            env["OMP_NUM_THREADS"] = str(threads)
        log = Path(tmp) / "worker.log"
        worker = subprocess.Popen([sys.executable, "-m", "assistant.worker"], cwd=REPO, env=env,
                                  stdout=subprocess.DEVNULL, stderr=log.open("wb"), start_new_session=True)
        try:
            wait_for_line(log, LISTENING, worker, 120)
            cpu_before = cpu_seconds(worker.pid)
            result = _measure(url, data_dir, pdf, timeout)
            return result | {"worker_cpu_s": round(cpu_seconds(worker.pid) - cpu_before, 2),
                             "load_avg_1m": round(os.getloadavg()[0], 2), "threads": threads,
                             "cpus": os.cpu_count(), "python": platform.python_version()}
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
            stop_embedded_postgres(Path(tmp) / "pg")


def _measure(url: str, data_dir: Path, pdf: Path, timeout: float) -> dict:
    import psycopg

    from assistant.core import events
    from assistant.core.db import libpq_url

    storage_name = uuid.uuid4().hex
    target = data_dir / "documents" / storage_name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pdf, target)
    data = pdf.read_bytes()
    with psycopg.connect(libpq_url(url), autocommit=True) as listener, psycopg.connect(libpq_url(url)) as conn:
        listener.execute(f"LISTEN {events.CHANNEL}")
        owner = conn.execute(
            "INSERT INTO users (id, email, display_name, password_hash, role, is_active, language, timezone, "
            "created_at, updated_at) VALUES (gen_random_uuid(), 'bench@example.org', 'bench', 'x', 'user', true, "
            "'en', 'UTC', now(), now()) RETURNING id"
        ).fetchone()[0]
        document_id = conn.execute(
            "INSERT INTO documents (id, owner_id, filename, storage_name, media_type, size_bytes, sha256, language, "
            "chunk_count, status, progress, stage, error_code, error_detail, cancel_requested, attempts, created_at, "
            "updated_at) VALUES (gen_random_uuid(), %s, %s, %s, 'application/pdf', %s, %s, 'english', 0, 'pending', "
            "0, 'queued', '', '', false, 0, now(), now()) RETURNING id",
            (owner, pdf.name, storage_name, len(data), hashlib.sha256(data).hexdigest()),
        ).fetchone()[0]
        conn.execute("SELECT pg_notify('document_jobs', %s)", (str(document_id),))
        conn.commit()
        queued = time.monotonic()
        stages: dict[str, float] = {}
        final: dict = {}
        for note in listener.notifies(timeout=timeout):
            decoded = events.decode(note.payload)
            if not isinstance(decoded, events.Event) or decoded.payload.get("id") != str(document_id):
                continue
            event = decoded.payload
            stages.setdefault(event["stage"], time.monotonic() - queued)
            if event["status"] in ("completed", "failed", "cancelled"):
                final = event
                break
        seconds = time.monotonic() - queued
        row = conn.execute("SELECT status, page_count, chunk_count, error_code, error_detail FROM documents "
                           "WHERE id = %s", (document_id,)).fetchone()
        stored = conn.execute("SELECT count(*) FROM chunks WHERE document_id = %s", (document_id,)).fetchone()[0]
    status, pages, chunk_count, error_code, error_detail = row
    if final.get("status") != "completed" or status != "completed":
        sys.exit(f"ingestion ended {status!r}: {error_code} {error_detail}")
    return {
        "metric": "ingest_pages_per_s",
        "value": round(pages / seconds, 2),
        "pages": pages,
        "seconds": round(seconds, 2),
        "chunks": chunk_count,
        "chunks_stored": stored,
        "extract_chunk_s": round(stages.get("embedding", 0.0), 2),
        "embed_s": round(stages.get("indexing", 0.0) - stages.get("embedding", 0.0), 2),
        "index_s": round(seconds - stages.get("indexing", 0.0), 2),
        "pdf": pdf.name,
    }


if __name__ == "__main__":
    sys.exit(main())

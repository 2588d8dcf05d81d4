"""Benchmark: reports and data ownership (issue 14). One function per measurement, each returning a dict
of its figures (listed in :data:`MEASUREMENTS`); the script prints ONE JSON line with all of them and the
machine's.

* :func:`page_images`: pages of a real PDF drawn for the citation viewer
  (:func:`assistant.services.rag.page_images.page_image`: the image and the boxes of a passage of the
  page, in the limited renderer child). ``page_image_first_ms``: median and max over ``--pages`` pages
  with a cold cache and a running child (target: <= 300 ms); ``page_image_cached_ms``: the same pages
  again, from the cache; ``page_image_child_start_ms``: the first page of the process, which also starts
  the child (once per web process, then kept); ``page_image_kb``: the PNG files' sizes.

* :func:`health_summary`: a health summary over ``--memories`` health facts from ``--documents`` documents,
  built as the worker builds it, in a child process: ``health_summary_s`` (target <= 15 s for 2,000 facts and
  200 documents), ``health_summary_peak_mb`` (the child's peak RSS; target <= 600 MB).
* :func:`chat_export`: a chat of ``--messages`` messages exported as PDF (``chat_export_pdf_s``; target <= 10 s
  for 1,000 messages), Markdown and JSON.

Usage: ``python scripts/bench_reports.py [--only page_images|health_summary|chat_export] [--pdf PATH] [--pages 8]
[--memories 2000] [--documents 200] [--messages 1000]``.
"""

from __future__ import annotations

import argparse
import atexit
import functools
import json
import multiprocessing
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

HEALTH_PDF = REPO.parent / "shared" / "data" / "pdfs" / "health" / "WHO_EMRO_Healthy-diet_2019.pdf"


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def page_images(args: argparse.Namespace) -> dict[str, Any]:
    """Draw pages 2 to ``args.pages + 1`` of ``args.pdf`` (page 1 starts the child) into a fresh cache, each
    with the boxes of its first 60 words, then again from the cache."""
    import pymupdf

    from assistant.core.config import Settings
    from assistant.services.rag.page_images import cache_dir, page_image

    workdir = Path(tempfile.mkdtemp(prefix="bench_reports_"))
    try:
        settings = Settings(data_dir=workdir)
        source: Path = args.pdf.resolve()
        with pymupdf.open(source) as pdf:
            count = min(pdf.page_count, args.pages + 1)
            passages = {n: " ".join(pdf[n - 1].get_text().split()[:60]) or None for n in range(1, count + 1)}
        document_id = uuid.uuid4()

        def draw(number: int) -> float:
            started = time.perf_counter()
            page_image(settings, document_id=document_id, source=source, number=number, passage=passages[number],
                       passage_key=document_id)
            return time.perf_counter() - started

        child_start = draw(1)
        first = [draw(n) for n in range(2, count + 1)]
        cached = [draw(n) for n in range(2, count + 1)]
        sizes = [path.stat().st_size / 1024 for path in cache_dir(settings, document_id).glob("*.png")]
        return {
            "page_image_pdf": source.name,
            "page_image_pages": len(first),
            "page_image_first_ms": {"median": _ms(statistics.median(first)), "max": _ms(max(first))},
            "page_image_cached_ms": {"median": _ms(statistics.median(cached)), "max": _ms(max(cached))},
            "page_image_child_start_ms": _ms(child_start),
            "page_image_kb": {"median": round(statistics.median(sizes)), "max": round(max(sizes))},
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@functools.cache
def _database() -> str:
    """A fresh migrated embedded PostgreSQL (and data folder) for the measurements that need one, started once;
    ``DATABASE_URL`` and ``ASSISTANT_DATA_DIR`` point at them (child processes inherit both)."""
    from assistant.core.db import start_embedded_postgres
    from assistant.core.migrations import upgrade

    workdir = Path(tempfile.mkdtemp(prefix="bench_reports_db_"))
    # registered before the server starts, so it runs after pgserver's own exit handler has stopped it
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    url = start_embedded_postgres(workdir / "pg", "bench")
    upgrade(url)
    os.environ.update(DATABASE_URL=url, ASSISTANT_DATA_DIR=str(workdir / "data"))
    return url


def _seed_health_records(engine: Any, user_id: uuid.UUID, memories: int, documents: int) -> None:
    """``documents`` documents (20 pages each) and ``memories`` health facts of one user, every one of them in
    the report: current and superseded medications (chains of three doses), allergies, conditions, vital and
    lab series (some values that do not parse), sources spread over the documents' pages and a chat; plus
    20 medication reminders with 30 days of notifications and 50 open tasks."""
    from sqlalchemy import insert

    from assistant.models import Chat, Document, MemoryEntry, Message, Notification, Reminder, Task

    now = datetime.now(UTC)
    doc_ids = [uuid.uuid4() for _ in range(documents)]
    chat_id, message_id = uuid.uuid4(), uuid.uuid4()
    rows: list[dict[str, Any]] = []

    def fact(content: str, category: str, i: int, **fields: Any) -> dict[str, Any]:
        chat = i % 7 == 0
        return {"id": uuid.uuid4(), "user_id": user_id, "content": content, "category": category,
                "author": "assistant", "importance": "medium", "sensitive": True, "status": "active",
                "valid_from": None, "valid_until": None, "superseded_by": None,
                "source_chat_id": chat_id if chat else None, "source_message_id": message_id if chat else None,
                "source_document_id": None if chat else doc_ids[i % documents],
                "source_page": None if chat else 1 + i % 20, **fields}

    chains = memories * 3 // 40  # medication chains of three facts: ~7.5 % current, 15 % superseded
    for i in range(chains):
        ids = [uuid.uuid4() for _ in range(3)]
        for step, dose in enumerate((250, 500, 1000)):
            rows.append(fact(f"Medicine{i} {dose} mg twice daily with food", "medication", len(rows), id=ids[step],
                             status="active" if step == 2 else "superseded",
                             superseded_by=None if step == 2 else ids[step + 1],
                             valid_from=date(2024, 1, 1) + timedelta(days=200 * step),
                             valid_until=None if step == 2 else date(2024, 1, 1) + timedelta(days=200 * (step + 1))))
    for i in range(memories // 40):
        rows.append(fact(f"Allergic to substance {i} (hives, 2019)", "allergy", len(rows)))
    for i in range(memories // 20):
        rows.append(fact(f"Condition {i}: diagnosed by the clinic, under control with treatment", "condition",
                         len(rows)))
    series = [("Blood pressure", "mmHg", "{a}/{b}"), ("Pulse", "bpm", "{a}"), ("Weight", "kg", "{a}.5"),
              ("HbA1c", "%", "6.{d}"), ("LDL cholesterol", "mmol/L", "3.{d}"), ("Glucose", "mmol/L", "5.{d}"),
              ("Hemoglobin", "g/L", "1{a}"), ("Creatinine", "µmol/L", "{a}"), ("TSH", "mIU/L", "2.{d}")]
    i = 0
    while len(rows) < memories:
        name, unit, pattern = series[i % len(series)]
        value = pattern.format(a=60 + i % 60, b=70 + i % 20, d=i % 10)
        text = f"{name} {value} {unit}" if i % 25 else f"Note about {name.lower()}: felt unwell that day"
        rows.append(fact(text, "vital" if i % 2 else "lab_result", len(rows),
                         valid_from=date(2022, 1, 1) + timedelta(days=i // len(series))))
        i += 1
    with engine.begin() as conn:
        conn.execute(insert(Document), [{
            "id": ident, "owner_id": user_id, "filename": f"lab-report-{n:03d}.pdf", "storage_name": uuid.uuid4().hex,
            "media_type": "application/pdf", "size_bytes": 100_000, "sha256": f"{n:064x}", "language": "english",
            "page_count": 20, "chunk_count": 40, "status": "completed", "progress": 100, "stage": "done",
            "error_code": "", "error_detail": "", "cancel_requested": False, "attempts": 0}
            for n, ident in enumerate(doc_ids)])
        conn.execute(insert(Chat), [{"id": chat_id, "user_id": user_id, "title": "Check-up questions",
                                     "title_is_auto": False, "tier": "medium", "summary": "", "summary_until_seq": 0}])
        conn.execute(insert(Message), [{"id": message_id, "chat_id": chat_id, "role": "user", "content": "..."}])
        conn.execute(insert(MemoryEntry), rows[:memories][::-1])  # a successor before the fact it replaced
        reminders = [uuid.uuid4() for _ in range(20)]
        conn.execute(insert(Reminder), [{
            "id": ident, "user_id": user_id, "title": f"Medicine{n} 1000 mg", "kind": "medication",
            "timezone": "UTC", "starts_at": datetime(2026, 1, 1, 8, 0), "recurrence": "daily", "rrule": "FREQ=DAILY",
            "channels": ["in_app"], "status": "active", "next_occurrence_at": now + timedelta(hours=n + 1),
            "next_fire_at": now + timedelta(hours=n + 1)} for n, ident in enumerate(reminders)])
        conn.execute(insert(Notification), [{
            "id": uuid.uuid4(), "user_id": user_id, "type": "reminder", "channel": "in_app",
            "status": "acknowledged" if day % 4 else "missed", "title": "Medicine", "body": "",
            "reminder_id": ident, "occurrence_at": now - timedelta(days=day), "snooze_count": 0, "attempts": 0}
            for ident in reminders for day in range(1, 31)])
        conn.execute(insert(Task), [{
            "id": uuid.uuid4(), "user_id": user_id, "title": f"Follow-up {n}", "notes": "", "priority": "normal",
            "status": "todo", "position": n, "author": "user", "due_all_day": False,
            "due_at": now + timedelta(days=n)} for n in range(50)])


def _build_in_child(report_id: str, out: Any) -> None:
    """The worker's job for one report, in a fresh process: its time, its peak RSS and the report's pages."""
    from assistant.services.reports import jobs
    from assistant.services.reports.health import build_health_summary

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    status = jobs.run_report(uuid.UUID(report_id), {"health_summary": build_health_summary})
    seconds = time.perf_counter() - started
    out.put({"status": status, "seconds": seconds, "baseline_kb": baseline,
             "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss})


def health_summary(args: argparse.Namespace) -> dict[str, Any]:
    """A health summary of one user with ``args.memories`` health facts (all printed) from ``args.documents``
    documents, built as the worker builds it (:func:`assistant.services.reports.jobs.run_report`) in a child
    process on a fresh embedded PostgreSQL: ``health_summary_s`` (the job, reading to stored PDF; target
    <= 15 s), ``health_summary_peak_mb`` (the child's peak RSS, imports included; target <= 600 MB),
    ``health_summary_import_mb`` (its RSS after the imports, before the job), the PDF's pages and size."""
    from sqlalchemy import text
    from sqlmodel import Session, create_engine

    from assistant.core.db import sqlalchemy_url
    from assistant.models import Report, User

    url = _database()
    engine = create_engine(sqlalchemy_url(url))
    user = User(email="bench-health@example.org", display_name="Bench Patient", password_hash="x")
    with Session(engine, expire_on_commit=False) as session:
        session.add(user)
        session.commit()
    _seed_health_records(engine, user.id, args.memories, args.documents)
    report = Report(owner_id=user.id, kind="health_summary", title="Health summary",
                    params={"sections": ["medications", "allergies", "conditions", "vitals", "labs", "reminders",
                                         "tasks", "documents"], "date_from": None, "date_to": None})
    with Session(engine, expire_on_commit=False) as session:
        session.add(report)
        session.commit()
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    engine.dispose()
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    child = context.Process(target=_build_in_child, args=(str(report.id), out))
    child.start()
    figures = out.get(timeout=600)
    child.join()
    engine = create_engine(sqlalchemy_url(url))
    with Session(engine) as session:
        built = session.get(Report, report.id)
        assert built is not None
        pages, size, error = built.page_count, built.size_bytes, built.error_detail
    engine.dispose()
    return {"health_summary_status": figures["status"], "health_summary_error": error,
            "health_summary_memories": args.memories, "health_summary_documents": args.documents,
            "health_summary_s": round(figures["seconds"], 2),
            "health_summary_peak_mb": round(figures["peak_kb"] / 1024),
            "health_summary_import_mb": round(figures["baseline_kb"] / 1024),
            "health_summary_pages": pages, "health_summary_kb": round(size / 1024)}


#: A typical answer: a paragraph, a list, a bold word, citations; about 700 characters.
_ANSWER = ("Your **ferritin** was {n} ng/mL on March 3 [1], within the laboratory's reference range of 15-150 ng/mL "
           "[2]. Ферритин в норме.\n\n- Iron stores look adequate; no supplement is needed for now.\n"
           "- Recheck together with haemoglobin and transferrin saturation in six months.\n"
           "- Tell your doctor about fatigue, hair loss or shortness of breath.\n\n"
           "The guideline recommends testing after any change in diet or medication [2]. Vitamin C with meals "
           "improves iron absorption, tea and coffee reduce it.")


def chat_export(args: argparse.Namespace) -> dict[str, Any]:
    """Export a chat of ``args.messages`` messages (half questions of ~80 characters, half answers of ~700
    characters of Markdown citing two documents; every tenth answer made one tool call, its result stored as a
    tool message) as PDF, Markdown and JSON through :func:`assistant.services.reports.chat_export.export_chat`,
    on a fresh migrated embedded PostgreSQL. ``chat_export_pdf_s``: the PDF (target: <= 10 s for 1,000
    messages); ``chat_export_pdf_pages``, ``chat_export_pdf_kb``; ``chat_export_md_s``, ``chat_export_json_s``."""
    from sqlmodel import Session, create_engine

    from assistant.core.db import sqlalchemy_url
    from assistant.models import Chat, Message, User
    from assistant.services.reports.chat_export import export_chat

    engine = create_engine(sqlalchemy_url(_database()))
    user = User(email="bench-chat@example.org", display_name="bench", password_hash="x", timezone="Europe/Berlin")
    chat = Chat(user_id=user.id, title="Ferritin and iron, 2026")
    start = datetime.now(UTC) + timedelta(days=1)
    citations = [{"number": 1, "document_id": str(uuid.uuid4()), "title": "Анализы 2026.pdf", "page": 3,
                  "chunk_id": str(uuid.uuid4()), "score": 0.03},
                 {"number": 2, "document_id": str(uuid.uuid4()), "title": "WHO_EMRO_Healthy-diet_2019.pdf",
                  "page": 9, "chunk_id": str(uuid.uuid4()), "score": 0.02}]
    rows: list[Message] = []
    for n in range(args.messages):
        at = start + timedelta(minutes=n)
        if n % 2 == 0:
            rows.append(Message(chat_id=chat.id, role="user", created_at=at,
                                content=f"Question {n}: what does my ferritin of {n % 90 + 20} mean? Что это значит?"))
        elif n % 20 == 1 and n + 1 < args.messages:
            rows.append(Message(chat_id=chat.id, role="assistant", created_at=at, provider="openai",
                                model="gpt-4o-mini", tier="medium", input_tokens=1800, output_tokens=24,
                                tool_calls=[{"id": f"call-{n}", "name": "search_documents",
                                             "arguments": {"query": "ferritin reference range"}}]))
            rows.append(Message(chat_id=chat.id, role="tool", tool_call_id=f"call-{n}", created_at=at,
                                content="[1] Анализы 2026.pdf, p. 3: Ферритин 35 нг/мл (15-150)\n"
                                        "[2] WHO_EMRO_Healthy-diet_2019.pdf, p. 9: iron-rich foods ..."))
        else:
            rows.append(Message(chat_id=chat.id, role="assistant", created_at=at, provider="openai",
                                model="gpt-4o-mini", tier="medium", input_tokens=2400, output_tokens=180,
                                latency_ms=2100, content=_ANSWER.format(n=n % 90 + 20), citations=citations))
    rows = rows[:args.messages]
    with Session(engine, expire_on_commit=False) as session:
        session.add(user)
        session.flush()
        session.add(chat)
        session.flush()
        session.add_all(rows)
        session.commit()
    result: dict[str, Any] = {"chat_export_messages": len(rows)}
    try:
        for format in ("pdf", "md", "json"):
            with Session(engine) as session:
                started = time.perf_counter()
                exported = export_chat(session=session, user=user, chat_id=chat.id, format=format)
                result[f"chat_export_{format}_s"] = round(time.perf_counter() - started, 2)
            if format == "pdf":
                import pymupdf

                with pymupdf.open(stream=exported.data, filetype="pdf") as pdf:
                    result["chat_export_pdf_pages"] = pdf.page_count
                result["chat_export_pdf_kb"] = round(len(exported.data) / 1024)
    finally:
        engine.dispose()
    return result

# --- to here -----------------------------------------------------------------------------------------------------


#: Every measurement, by name, in the order they run.
MEASUREMENTS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "page_images": page_images,
    "health_summary": health_summary,
    "chat_export": chat_export,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=sorted(MEASUREMENTS),
                        help="run only this measurement (repeatable; default: all)")
    parser.add_argument("--pdf", type=Path, default=HEALTH_PDF, help="the PDF whose pages are drawn")
    parser.add_argument("--pages", type=int, default=8, help="pages drawn (cold, then cached)")
    parser.add_argument("--memories", type=int, default=2_000, help="health facts in the health summary")
    parser.add_argument("--documents", type=int, default=200, help="documents the health facts come from")
    parser.add_argument("--messages", type=int, default=1_000, help="messages of the exported chat")
    args = parser.parse_args()
    result: dict[str, Any] = {"metric": "reports"}
    for name in args.only or MEASUREMENTS:
        result.update(MEASUREMENTS[name](args))
    result.update(date=datetime.now(UTC).isoformat(timespec="seconds"), load_avg_1m=round(os.getloadavg()[0], 2),
                  cpus=os.cpu_count(), cpu=platform.processor() or platform.machine(),
                  python=platform.python_version())
    print(json.dumps(result))


if __name__ == "__main__":
    main()

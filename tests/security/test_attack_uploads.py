"""Hostile uploads: names that try to leave the documents folder or to mislead, a 2 GB body, markup
disguised as a PDF, and crafted PDFs that try to take the worker down.

* Names (``../../x.pdf``, ``..\\..\\x.pdf``, absolute paths, NUL and control characters, a right-to-left
  override, 300 characters): the file is stored under a server-chosen name directly in the documents
  folder, nothing is written anywhere else, and the name shown is the cleaned last component. Through the
  service (``UploadWriter`` + ``store_upload``) and through the running app's real upload endpoint
  (``POST /_upload``, what ``rx.upload`` sends, streamed to ``DocumentsState.upload``).
* A 2 GB body, generated while it is sent: refused once it passes the size limit (not after 2 GB), the
  partial file removed, and the receiving process's peak memory barely moves: the service's writer in
  this process, and the running app's web process behind the upload endpoint.
* HTML and SVG named ``.pdf`` are refused as ``documents.type_mismatch``.
* A PDF a million arrays deep, one declaring two billion pages, one with 6,000 real pages and one whose
  text layout needs gigabytes, queued before a small text file to a real worker process
  (``python -m assistant.worker``): each bad one ends ``failed`` with its code, the text file
  ``completed``, and the worker is still running.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from support.crafted_pdf import crafted_pdf
from support.event_socket import event_socket, run, state_names
from support.worker import LISTENING, Worker, queue_document, wait_for, worker_environment

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.core.errors import InvalidInput
from assistant.models import Document
from assistant.services.rag import documents
from assistant.services.rag.paths import document_path, documents_dir

MB = 1024 * 1024
TWO_GB = 2 * 1024 * MB
#: Peak memory a process may gain while it receives a 2 GB upload.
MEMORY_BUDGET = 100 * MB
HELLO = b"BT /F1 12 Tf 72 700 Td (Hello from a small PDF) Tj ET"
SVG = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned=1">'
       b"<script>window.__pwned=2</script></svg>")
HTML = b"<!DOCTYPE html><html><body><script>window.__pwned=1</script>Results</body></html>"
SERVER_NAME = re.compile(r"[0-9a-f]{32}")

#: Upload name -> the name shown afterwards.
NAMES = {
    "../../x.pdf": "x.pdf",
    "..\\..\\x.pdf": "x.pdf",
    "/etc/cron.d/x.pdf": "x.pdf",
    "C:\\Windows\\System32\\x.pdf": "x.pdf",
    "lab\x00results.pdf": "labresults.pdf",
    "../lab\x00.pdf\x00.exe/../../y.pdf": "y.pdf",
    "\x1b[31mred\x07\x7f\x08.pdf": "[31mred.pdf",
    "invoice\u202efdp.exe.pdf": "invoicefdp.exe.pdf",
    "..": "upload",
    "L" * 296 + ".pdf": "L" * 255,
}


def _peak_tracker(pid: int | str = "self") -> tuple[int, Any]:
    """Reset ``pid``'s peak resident size (``/proc/<pid>/clear_refs``, Linux 4.0+) and return its current
    resident size and a function giving the peak since, both in bytes."""

    def field(name: str) -> int:
        status = Path(f"/proc/{pid}/status").read_text()
        return int(re.search(rf"^{name}:\s+(\d+) kB", status, re.MULTILINE)[1]) * 1024

    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return field("VmRSS"), lambda: field("VmHWM")


def _pdf(tmp_path: Path) -> bytes:
    return crafted_pdf(tmp_path / f"{uuid.uuid4().hex}.pdf", HELLO).read_bytes()


# ----- the service -------------------------------------------------------------------------------------


@pytest.fixture
def folder(database) -> Iterator[Path]:
    """The (emptied) documents folder of the test data folder."""
    path = documents_dir(get_settings())
    shutil.rmtree(path, ignore_errors=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _store(user, data: bytes, filename: str, *, max_bytes: int | None = None) -> Document:
    with session_scope() as session:
        limit = max_bytes or documents.upload_limits(session=session)["max_bytes"]
    writer = documents.UploadWriter(get_settings(), max_bytes=limit)
    for start in range(0, len(data), 4096):
        writer.write(data[start:start + 4096])
    with session_scope() as session:
        return documents.store_upload(session=session, user=user, writer=writer, filename=filename)


def _files_under(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_file()}


@pytest.mark.parametrize("name", list(NAMES), ids=[repr(n)[:40] for n in NAMES])
def test_a_hostile_name_is_only_shown_cleaned_and_never_used_as_a_path(db, make_user, folder, tmp_path, name):
    data_dir = get_settings().resolved_data_dir
    before = _files_under(data_dir)

    document = _store(make_user(), _pdf(tmp_path), name)

    assert document.filename == NAMES[name]
    assert SERVER_NAME.fullmatch(document.storage_name)
    stored = document_path(get_settings(), document.storage_name)
    assert _files_under(data_dir) - before == {stored} and stored.parent == folder
    assert not (data_dir.parent / "x.pdf").exists() and not Path("/etc/cron.d/x.pdf").exists()


@pytest.mark.parametrize(("data", "name"), [
    (HTML, "results.pdf"),
    (b"\xef\xbb\xbf  \n" + HTML.upper(), "results.pdf"),
    (SVG, "scan.pdf"),
    (SVG.split(b"\n", 1)[1], "scan.pdf"),
    (HTML, "letter.docx"),
    (SVG, "letter.docx"),
], ids=["html", "html-bom-uppercase", "svg", "svg-without-xml-declaration", "html-as-docx", "svg-as-docx"])
def test_markup_named_pdf_or_docx_is_refused_as_a_type_mismatch(db, make_user, folder, data, name):
    user = make_user()

    with pytest.raises(InvalidInput) as refused:
        _store(user, data, name)

    assert refused.value.code == "documents.type_mismatch"
    assert list(folder.iterdir()) == []
    with session_scope() as session:
        assert session.execute(text("SELECT count(*) FROM documents")).scalar() == 0


def _two_gigabytes(piece: bytes) -> Iterator[bytes]:
    for _ in range(TWO_GB // len(piece)):
        yield piece


def test_a_2_gb_file_is_refused_at_the_limit_by_the_writer_with_memory_bounded(db, folder):
    with session_scope() as session:
        limit = documents.upload_limits(session=session)["max_bytes"]
    piece = bytes(range(256)) * 4096  # 1 MB
    writer = documents.UploadWriter(get_settings(), max_bytes=limit)
    base, peak = _peak_tracker()
    written = 0

    with pytest.raises(InvalidInput) as refused:
        for data in _two_gigabytes(piece):
            writer.write(data)
            written += len(data)

    assert refused.value.code == "documents.too_large" and refused.value.params == {"limit_mb": limit // MB}
    assert limit - len(piece) < written <= limit  # the piece that passed the limit was refused, nothing after
    assert peak() - base < MEMORY_BUDGET, f"peak grew by {(peak() - base) / MB:.0f} MB"
    assert list(folder.iterdir()) == []


# ----- the running app's upload endpoint -----------------------------------------------------------


def _web_processes(port: int) -> list[int]:
    """The processes holding the app's listening socket on ``port`` (the web server and its workers)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # 0A: LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            descriptors = list((entry / "fd").iterdir())
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                if os.readlink(descriptor) in inodes:
                    found.append(int(entry.name))
                    break
            except OSError:
                continue
    assert found, f"no process listens on port {port}"
    return found


def _data_dir(pid: int) -> Path:
    items = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    environ = dict(item.split(b"=", 1) for item in items if b"=" in item)
    return Path(environ[b"ASSISTANT_DATA_DIR"].decode())


BOUNDARY = "----attack" + uuid.uuid4().hex


async def _multipart(files: list[tuple[str, Iterator[bytes]]], counter: list[int]) -> AsyncIterator[bytes]:
    """A ``multipart/form-data`` body of ``files`` under the field ``files`` (as the page sends them),
    generated while it is sent; ``counter[0]`` counts the file bytes handed to the socket."""
    for name, pieces in files:
        yield (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
               f"Content-Type: application/octet-stream\r\n\r\n").encode()
        for piece in pieces:
            counter[0] += len(piece)
            yield piece
        yield b"\r\n"
    yield f"--{BOUNDARY}--\r\n".encode()


def _upload(live_app, email: str, files: list[tuple[str, Iterator[bytes]]]) -> dict[str, Any]:
    """Sign ``email`` in on an event socket (a tab of the documents page) and stream ``files`` to the
    upload endpoint under that tab's token. Returns the HTTP outcome, the file bytes sent, the toasts
    and the documents list the tab was shown afterwards."""
    import httpx

    from assistant.ui.state.documents import DocumentsState

    state_names()  # import the states here, not in the socket's thread
    handler = f"{DocumentsState.get_full_name()}.upload"
    live_app.register(email)
    tokens = live_app.login(email)

    async def go() -> dict[str, Any]:
        counter = [0]
        async with event_socket(live_app.url) as sock:
            await sock.sign_in(tokens["access_token"], tokens["refresh_token"], path="/documents")
            async with httpx.AsyncClient(timeout=120) as client:
                try:
                    response = await client.post(
                        f"{live_app.url}/_upload", content=_multipart(files, counter),
                        headers={"reflex-client-token": sock.token, "reflex-event-handler": handler,
                                 "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
                    outcome: Any = response.status_code
                except httpx.TransportError as exc:  # the server stopped reading and closed the connection
                    outcome = type(exc).__name__
            updates = await sock.updates(quiet=3)
        toasts = [e["payload"]["function"] for u in updates for e in u.get("events", [])
                  if "__toast" in str(e.get("payload", {}).get("function", ""))]
        shown = None
        for update in updates:
            for values in update.get("delta", {}).values():
                if "documents_rx_state_" in values:
                    shown = values["documents_rx_state_"]
        return {"outcome": outcome, "sent": counter[0], "toasts": toasts, "shown": shown}

    return run(go())


def test_a_2_gb_body_to_the_running_app_is_refused_at_the_limit_with_memory_bounded(live_app):
    pids = _web_processes(live_app.port)
    folder = _data_dir(pids[0]) / "documents"
    trackers = [_peak_tracker(pid) for pid in pids]
    limit = 100 * MB  # the default largest upload
    started = time.monotonic()

    result = _upload(live_app, "two-gigabytes@example.org", [("big.txt", _two_gigabytes(b"a" * 65536))])

    growth = max(peak() - base for base, peak in trackers)
    assert result["sent"] < limit + 32 * MB, f"{result['sent'] / MB:.0f} MB were taken before the refusal"
    assert growth < MEMORY_BUDGET, f"the web process grew by {growth / MB:.0f} MB"
    assert any("big.txt: The file is too large: at most 100 MB." in toast for toast in result["toasts"]), result
    assert result["shown"] == [], result["shown"]
    assert not [path.name for path in folder.iterdir() if path.name.startswith(".incoming")]
    print(f"refused after {result['sent'] / MB:.0f} MB in {time.monotonic() - started:.1f} s "
          f"({result['outcome']}), web process peak growth {growth / MB:.1f} MB")


def test_hostile_names_and_disguised_markup_through_the_running_apps_upload_endpoint(live_app, tmp_path):
    pids = _web_processes(live_app.port)
    data_dir = _data_dir(pids[0])
    before = _files_under(data_dir)
    pdf = _pdf(tmp_path)
    files = [(name, iter([pdf])) for name in NAMES] + [("scan.pdf", iter([SVG])), ("results.pdf", iter([HTML]))]

    result = _upload(live_app, "hostile-names@example.org", files)

    assert result["outcome"] == 202, result
    shown = sorted(row["filename"] for row in result["shown"])
    assert shown == sorted(NAMES.values()), shown  # three files end up named x.pdf: three documents
    mismatch = "The file is named .pdf but its content is something else, so it was not stored."
    assert sum(mismatch in toast for toast in result["toasts"]) == 2, result["toasts"]
    new = {path for path in _files_under(data_dir) - before if path.parent.name == "documents"}
    assert len(new) == len(NAMES) and all(SERVER_NAME.fullmatch(path.name) for path in new), new
    assert all(path.parent == data_dir / "documents" for path in new)
    others = {path for path in _files_under(data_dir) - before if path.parent.name != "documents"}
    assert not [path for path in others if path.suffix in (".pdf", ".exe") or path.name in ("x.pdf", "y.pdf")]
    for outside in (data_dir.parent / "x.pdf", Path("/etc/cron.d/x.pdf"), Path.cwd() / "x.pdf"):
        assert not outside.exists()


# ----- crafted PDFs against a real worker --------------------------------------------------------------


def _bomb(path: Path) -> Path:
    """20 million glyphs on one page: 45 kB whose text layout needs about 1.3 GB."""
    line = b"1 0 0 1 10 400 Tm (" + b"A" * 1000 + b") Tj\n"
    return crafted_pdf(path, b"BT /F1 0.5 Tf\n" + line * 20_000 + b"ET\n")


#: name -> (how to write it, the code it fails with)
CRAFTED = {
    "nested-a-million-deep": (lambda p: crafted_pdf(p, HELLO + b"\n" + b"[" * 1_000_000 + b"]" * 1_000_000),
                              "documents.error.corrupt"),
    "declares-two-billion-pages": (lambda p: crafted_pdf(p, HELLO, count=2_000_000_000), "documents.error.corrupt"),
    "six-thousand-pages": (lambda p: crafted_pdf(p, HELLO, pages=6000), "documents.error.too_large"),
    "memory-bomb": (_bomb, "documents.error.too_large"),
}


@pytest.fixture
def worker(database, tmp_path) -> Iterator[Worker]:
    started = Worker("worker", tmp_path, worker_environment(database.url, database.data_dir))
    yield started
    started.stop()


def _load(document_id: uuid.UUID) -> Document:
    with session_scope() as session:
        return session.get(Document, document_id)


def test_crafted_pdfs_fail_alone_and_the_worker_goes_on(db, make_user, tmp_path, worker):
    owner = make_user()
    bad = {name: queue_document(owner, write(tmp_path / f"{name}.pdf").read_bytes(), "application/pdf", f"{name}.pdf")
           for name, (write, _) in CRAFTED.items()}
    note = tmp_path / "note.txt"
    note.write_text("The blood pressure was 120 over 80 and the pulse was regular.")
    good = queue_document(owner, note.read_bytes(), "text/plain", note.name)
    wait_for(lambda: LISTENING in worker.output(), 60, "the worker to listen for jobs", [worker])

    wait_for(lambda: _load(good).status in ("completed", "failed"), 300, "the text file's job to end", [worker])

    outcomes = {name: (_load(document_id).status, _load(document_id).error_code) for name, document_id in bad.items()}
    assert outcomes == {name: ("failed", code) for name, (_, code) in CRAFTED.items()}, json.dumps(outcomes)
    assert (_load(good).status, _load(good).chunk_count) == ("completed", 1)
    assert worker.process.poll() is None, worker.output()[-4000:]

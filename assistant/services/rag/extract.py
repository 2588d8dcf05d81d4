"""Text extraction, page by page, from untrusted uploads, in a sandboxed subprocess.

:func:`iter_pages` starts ``python -m assistant.services.rag.extract`` on one file. The child lowers its
own limits first (address space :data:`MEMORY_LIMIT_BYTES`, CPU time, no file writes, no core dumps),
then parses the file and streams one JSON line per page back over a pipe; the parent enforces a
wall-clock limit (:data:`TIMEOUT_SECONDS`) and kills the child when it runs over. So a crafted file
(a decompression bomb, pathological nesting, millions of glyphs, a huge page count) fails alone, with a
clear code, and never takes the worker with it.

The formats (PDF and EPUB, plain text, Markdown, CSV, HTML, DOCX) are read by the parsers described in
:mod:`assistant.services.rag.parsers`, which also defines :class:`Page`, :class:`ExtractionError` and the
``documents.error.*`` codes re-exported here.

Errors are :class:`ExtractionError` with an i18n key in ``code`` (``documents.error.*``) and an English
``detail``.
"""

from __future__ import annotations

import csv
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO, Any

from assistant.services.rag.docx_parser import docx_pages
from assistant.services.rag.parsers import (
    CORRUPT,
    DOCX_TYPE,
    ENCRYPTED,
    NO_TEXT,
    PYMUPDF_TYPES,
    SUPPORTED_TYPES,
    TEXT_TYPES,
    TIMEOUT,
    TOO_LARGE,
    UNSUPPORTED,
    ExtractionError,
    HeadingPath,
    Page,
)
from assistant.services.rag.pdf_parser import RUNNING_MARGIN, pymupdf_pages
from assistant.services.rag.text_parsers import text_pages

__all__ = [
    "CORRUPT", "DOCX_TYPE", "ENCRYPTED", "MAX_PAGES", "MAX_TEXT_CHARS", "MEMORY_LIMIT_BYTES", "NO_TEXT",
    "PYMUPDF_TYPES", "RUNNING_MARGIN", "SUPPORTED_TYPES", "TEXT_TYPES", "TIMEOUT", "TIMEOUT_SECONDS",
    "TOO_LARGE", "UNSUPPORTED", "ExtractionError", "HeadingPath", "Page", "iter_pages",
]

#: Wall-clock seconds one file may take to extract, from starting the child to its last page.
TIMEOUT_SECONDS = 60.0
#: Address-space limit of the child (RLIMIT_AS), bytes. Python with PyMuPDF needs about 150 MB.
MEMORY_LIMIT_BYTES = 1 << 30
#: Documents with more pages are refused (``too_large``) before any page is read.
MAX_PAGES = 5000
#: Documents whose extracted text is longer (characters, all pages) are refused (``too_large``).
MAX_TEXT_CHARS = 20_000_000


def iter_pages(
    path: Path,
    media_type: str,
    *,
    timeout: float | None = None,
    memory_bytes: int | None = None,
    max_pages: int | None = None,
    max_chars: int | None = None,
) -> Generator[tuple[Page, int], None, None]:
    """Extract ``path`` in a limited subprocess, yielding ``(page, page_count)`` as each page arrives.

    Limits default to the module constants (read at call time). Closing the generator early kills the
    child.

    Raises:
        ExtractionError: unsupported type, corrupt, encrypted, no text, timeout or too large.
    """
    if media_type not in SUPPORTED_TYPES:
        raise ExtractionError(UNSUPPORTED, f"media type {media_type!r} is not supported")
    timeout = TIMEOUT_SECONDS if timeout is None else timeout
    memory_bytes = MEMORY_LIMIT_BYTES if memory_bytes is None else memory_bytes
    max_pages = MAX_PAGES if max_pages is None else max_pages
    max_chars = MAX_TEXT_CHARS if max_chars is None else max_chars

    package_root = str(Path(__file__).resolve().parents[3])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p))
    args = [str(path), media_type, str(max_pages), str(max_chars), str(memory_bytes), str(int(timeout) + 5)]
    child = subprocess.Popen(
        [sys.executable, "-m", "assistant.services.rag.extract", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    stdout, stderr = child.stdout, child.stderr
    assert stdout is not None and stderr is not None  # both are pipes
    lines: queue.Queue[bytes | None] = queue.Queue()
    stderr_tail = bytearray()
    threading.Thread(target=_pump_lines, args=(stdout, lines), daemon=True).start()
    stderr_pump = threading.Thread(target=_pump_tail, args=(stderr, stderr_tail), daemon=True)
    stderr_pump.start()
    deadline = time.monotonic() + timeout
    page_count = 0
    try:
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise ExtractionError(TIMEOUT, f"extraction took longer than {timeout:g} s") from None
            if line is None:
                break
            message = json.loads(line)
            if "error" in message:
                raise ExtractionError(message["error"], message["detail"])
            if "page_count" in message:
                page_count = message["page_count"]
            elif "text" in message:
                headings = tuple((offset, tuple(titles)) for offset, titles in message["headings"])
                yield Page(message["number"], message["text"], headings), page_count
            elif message.get("end"):
                return
        returncode = child.wait(timeout=max(0.1, deadline - time.monotonic()))
        stderr_pump.join(timeout=1)
        raise _crash_error(returncode, stderr_tail.decode(errors="replace"), timeout)
    except subprocess.TimeoutExpired:
        raise ExtractionError(TIMEOUT, f"extraction took longer than {timeout:g} s") from None
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        stdout.close()
        stderr.close()


def _pump_lines(stream: IO[bytes], lines: queue.Queue[bytes | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _pump_tail(stream: IO[bytes], tail: bytearray, keep: int = 4000) -> None:
    for chunk in iter(lambda: stream.read(4096), b""):
        tail += chunk
        del tail[:-keep]


def _crash_error(returncode: int, stderr: str, timeout: float) -> ExtractionError:
    """Map a child that ended without a result to a code (its exit status and the end of its stderr)."""
    last = stderr.strip().splitlines()[-1:] or [""]
    if returncode == -signal.SIGXCPU:
        return ExtractionError(TIMEOUT, f"extraction used more than {timeout:g} s of CPU time")
    if returncode in (-signal.SIGKILL, -signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS) or "MemoryError" in stderr:
        return ExtractionError(TOO_LARGE, f"the parser died (exit {returncode}) near its memory limit: {last[0]}")
    return ExtractionError(CORRUPT, f"the parser failed (exit {returncode}): {last[0]}")


# ---------------------------------------------------------------------------------------------------
# The child: everything below runs inside the limited subprocess.


def confine_child(memory_bytes: int) -> int:
    """The limits of a child that reads an untrusted file (called first thing in the child): its address space
    (RLIMIT_AS, ``memory_bytes``), no file written (RLIMIT_FSIZE 0), no core dump; stdout moved away so that
    anything a library prints goes to stderr. Returns a private copy of the original stdout for the protocol."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    protocol = os.dup(1)
    os.dup2(2, 1)
    return protocol


def _child_main(argv: list[str]) -> int:
    import resource

    path, media_type, max_pages, max_chars, memory_bytes, cpu_seconds = argv
    memory, cpu = int(memory_bytes), int(cpu_seconds)
    out = os.fdopen(confine_child(memory), "w", encoding="utf-8", buffering=1 << 16)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))

    def send(message: dict[str, Any]) -> None:
        out.write(json.dumps(message, ensure_ascii=False) + "\n")
        out.flush()

    try:
        for message in _messages(Path(path), media_type, int(max_pages), int(max_chars)):
            send(message)
        send({"end": True})
    except ExtractionError as exc:
        send({"error": exc.code, "detail": exc.detail[:900]})
    except MemoryError:
        send({"error": TOO_LARGE, "detail": f"parsing needs more than {memory >> 20} MiB of memory"})
    except RuntimeError as exc:  # MuPDF's errors; its failed allocations read "malloc (...) failed"
        text = str(exc)
        code = TOO_LARGE if "alloc" in text else CORRUPT
        send({"error": code, "detail": f"the file could not be parsed: {text}"[:900]})
    except (ValueError, UnicodeError, csv.Error) as exc:
        send({"error": CORRUPT, "detail": f"the file could not be parsed: {exc}"[:900]})
    return 0


def _messages(path: Path, media_type: str, max_pages: int, max_chars: int) -> Iterator[dict[str, Any]]:
    """The child's output: ``{"page_count": n}``, then one ``{"number", "text", "headings"}`` per page.

    Raises:
        ExtractionError: as for :func:`iter_pages`.
    """
    if media_type in PYMUPDF_TYPES:
        pages = pymupdf_pages(path, PYMUPDF_TYPES[media_type], max_pages)
    elif media_type in TEXT_TYPES:
        pages = text_pages(path, media_type)
    elif media_type == DOCX_TYPE:
        pages = docx_pages(path, max_chars)
    else:
        raise ExtractionError(UNSUPPORTED, f"media type {media_type!r} is not supported")
    total = 0
    word_chars = 0
    for item in pages:
        if isinstance(item, int):
            yield {"page_count": item}
            continue
        total += len(item.text)
        if total > max_chars:
            raise ExtractionError(TOO_LARGE, f"more than {max_chars} characters of text")
        word_chars += sum(ch.isalnum() for ch in item.text)
        yield {"number": item.number, "text": item.text, "headings": [[o, list(p)] for o, p in item.headings]}
    if word_chars == 0:
        raise ExtractionError(NO_TEXT, "no text found (a scan or images only?); OCR is not available")


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))

"""Text extraction, page by page, from untrusted uploads, in a sandboxed subprocess.

:func:`iter_pages` starts ``python -m assistant.services.rag.extract`` on one file. The child lowers its
own limits first (address space :data:`MEMORY_LIMIT_BYTES`, CPU time, no file writes, no core dumps),
then parses the file and streams one JSON line per page back over a pipe; the parent enforces a
wall-clock limit (:data:`TIMEOUT_SECONDS`) and kills the child when it runs over. So a crafted file
(a decompression bomb, pathological nesting, millions of glyphs, a huge page count) fails alone, with a
clear code, and never takes the worker with it.

Formats (by the media type the upload service sniffed from the magic bytes):

* PDF and EPUB with PyMuPDF (https://pymupdf.readthedocs.io): pages numbered from 1 (EPUB pages are
  PyMuPDF's own layout of the book); text blocks become paragraphs, lines within a block are joined with
  spaces and hyphenated line ends rejoined (``TEXT_DEHYPHENATE``); running headers and footers (page
  numbers included) are dropped. Headings come from the outline (the
  bookmarks) when it has at least two entries, otherwise from the fonts: a short block set in a clearly
  larger (or bold, at least body-size) font than the body text.
* Plain text, Markdown (ATX ``#`` and setext headings, not inside code fences), CSV (each row becomes a
  ``column: value; ...`` paragraph so a passage carries its column names) and HTML (stdlib
  :mod:`html.parser`: text without ``script``/``style``/``template``/``noscript``/``head``, ``h1``-``h6``
  as headings): one page whose number is None.
* DOCX is not supported: no well-kept DOCX reader is a dependency of the project.

Errors are :class:`ExtractionError` with an i18n key in ``code`` (``documents.error.*``) and an English
``detail``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import NamedTuple

#: Wall-clock seconds one file may take to extract, from starting the child to its last page.
TIMEOUT_SECONDS = 60.0
#: Address-space limit of the child (RLIMIT_AS), bytes. Python with PyMuPDF needs about 150 MB.
MEMORY_LIMIT_BYTES = 1 << 30
#: Documents with more pages are refused (``too_large``) before any page is read.
MAX_PAGES = 5000
#: Running headers and footers are looked for in this fraction of the page height at its top and bottom.
RUNNING_MARGIN = 0.12
#: Documents whose extracted text is longer (characters, all pages) are refused (``too_large``).
MAX_TEXT_CHARS = 20_000_000

CORRUPT = "documents.error.corrupt"
ENCRYPTED = "documents.error.encrypted"
NO_TEXT = "documents.error.no_text"
TIMEOUT = "documents.error.timeout"
TOO_LARGE = "documents.error.too_large"
UNSUPPORTED = "documents.error.unsupported"

#: Media types this module reads, and how.
PYMUPDF_TYPES = {"application/pdf": "pdf", "application/epub+zip": "epub"}
TEXT_TYPES = ("text/plain", "text/markdown", "text/csv", "text/html")
SUPPORTED_TYPES = frozenset(PYMUPDF_TYPES) | frozenset(TEXT_TYPES)

#: A heading path: the titles from the outermost heading down, e.g. ("Book One", "Chapter Two").
HeadingPath = tuple[str, ...]


class Page(NamedTuple):
    """One page of extracted text.

    ``number`` counts from 1 (None for formats without pages). ``text`` is paragraphs separated by blank
    lines. ``headings`` marks where the heading path changes: ``(offset, path)`` pairs in increasing
    character offset into ``text``; the first is always at offset 0 and carries the path in force where
    the page begins (inherited from earlier pages).
    """

    number: int | None
    text: str
    headings: tuple[tuple[int, HeadingPath], ...]


class ExtractionError(Exception):
    """The file cannot be read. ``code`` is a ``documents.error.*`` i18n key; ``detail`` says why, in
    English, for logs and admins."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def iter_pages(
    path: Path,
    media_type: str,
    *,
    timeout: float | None = None,
    memory_bytes: int | None = None,
    max_pages: int | None = None,
    max_chars: int | None = None,
) -> Iterator[tuple[Page, int]]:
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
    lines: queue.Queue[bytes | None] = queue.Queue()
    stderr_tail = bytearray()
    threading.Thread(target=_pump_lines, args=(child.stdout, lines), daemon=True).start()
    stderr_pump = threading.Thread(target=_pump_tail, args=(child.stderr, stderr_tail), daemon=True)
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
        child.stdout.close()
        child.stderr.close()


def _pump_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _pump_tail(stream, tail: bytearray, keep: int = 4000) -> None:
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

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\u00a0]+")


def _clean(text: str) -> str:
    """Drop control characters (PostgreSQL text cannot hold NUL) and collapse runs of spaces."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()


def _normalise_title(title: str) -> str:
    return " ".join(_CONTROL.sub(" ", title).split()).casefold()


def _child_main(argv: list[str]) -> int:
    import resource

    path, media_type, max_pages, max_chars, memory_bytes, cpu_seconds = argv
    memory, cpu = int(memory_bytes), int(cpu_seconds)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # The protocol gets a private copy of stdout; anything a library prints goes to stderr instead.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1 << 16)
    os.dup2(2, 1)

    def send(message: dict) -> None:
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


def _messages(path: Path, media_type: str, max_pages: int, max_chars: int) -> Iterator[dict]:
    """The child's output: ``{"page_count": n}``, then one ``{"number", "text", "headings"}`` per page.

    Raises:
        ExtractionError: as for :func:`iter_pages`.
    """
    if media_type in PYMUPDF_TYPES:
        pages = _pymupdf_pages(path, PYMUPDF_TYPES[media_type], max_pages)
    else:
        pages = _text_pages(path, media_type)
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


def _pymupdf_pages(path: Path, filetype: str, max_pages: int) -> Iterator[int | Page]:
    import pymupdf

    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    with path.open("rb") as handle:
        head = handle.read(1024)
    if not head:
        raise ExtractionError(CORRUPT, "the file is empty")
    if filetype == "pdf" and b"%PDF-" not in head:
        raise ExtractionError(CORRUPT, "no PDF header in the first 1024 bytes")
    try:
        doc = pymupdf.open(path, filetype=filetype)
    except (pymupdf.FileDataError, RuntimeError) as exc:
        raise ExtractionError(CORRUPT, f"cannot open as {filetype}: {exc}") from None
    with doc:
        if doc.needs_pass:
            raise ExtractionError(ENCRYPTED, "the document needs a password")
        count = doc.page_count
        if count == 0:
            raise ExtractionError(CORRUPT, "no readable pages (damaged or truncated file)")
        if count > max_pages:
            raise ExtractionError(TOO_LARGE, f"{count} pages, more than {max_pages}")
        yield count
        toc = [(level, _normalise_title(title), " ".join(title.split()), page)
               for level, title, page in doc.get_toc(simple=True) if title.strip()]
        use_toc = len(toc) >= 2
        body_size = None if use_toc else _body_font_size(doc, pymupdf)
        stack: list[tuple[float, str]] = []  # (level or -font size, title), outermost first
        flags = pymupdf.TEXTFLAGS_TEXT | pymupdf.TEXT_DEHYPHENATE
        running = _running_blocks(doc, flags)
        for index in range(count):
            number = index + 1
            blocks = [(text, size, bold) for text, size, bold, margin in _blocks_of_page(doc, index, flags)
                      if not (margin and _running_key(text) in running)]
            starting = [(level, key, title) for level, key, title, page in toc if page == number] if use_toc else []
            marks: list[tuple[int, HeadingPath]] = [(0, tuple(t for _, t in stack))]
            parts: list[str] = []
            offset = 0
            for text, size, bold in blocks:
                rank = None
                if use_toc:
                    key = _normalise_title(text)
                    for i, (level, title_key, title) in enumerate(starting):
                        if key.startswith(title_key) or (
                            title_key.startswith(key) and len(key) >= min(len(title_key), 8)
                        ):
                            rank = float(level)
                            text_title = title
                            del starting[: i + 1]
                            break
                elif _looks_like_heading(text, size, bold, body_size):
                    rank, text_title = -size, text
                if rank is not None:
                    while stack and stack[-1][0] >= rank:
                        stack.pop()
                    stack.append((rank, text_title))
                    path_now = tuple(t for _, t in stack)
                    if marks[-1][0] == offset:
                        marks[-1] = (offset, path_now)
                    else:
                        marks.append((offset, path_now))
                parts.append(text)
                offset += len(text) + 2
            for level, _, title in starting:  # outline entries not found in the text: from the page end
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((float(level), title))
            yield Page(number, "\n\n".join(parts), tuple(marks))


def _blocks_of_page(doc, index: int, flags: int) -> list[tuple[str, float, bool, bool]]:
    """The non-empty text blocks of page ``index`` in content order: :func:`_block_of`'s tuple plus
    whether the block lies wholly in the top or bottom :data:`RUNNING_MARGIN` of the page."""
    page = doc.load_page(index)
    top, bottom = page.rect.y0 + RUNNING_MARGIN * page.rect.height, page.rect.y1 - RUNNING_MARGIN * page.rect.height
    blocks = []
    for block in page.get_text("dict", flags=flags)["blocks"]:
        text, size, bold = _block_of(block)
        if text:
            blocks.append((text, size, bold, block["bbox"][3] <= top or block["bbox"][1] >= bottom))
    return blocks


def _running_key(text: str) -> str:
    """A block's text with digits and case ignored: "7 of 293" and "8 of 293" are the same footer."""
    return re.sub(r"\d+", "#", _normalise_title(text))


def _running_blocks(doc, flags: int) -> set[str]:
    """Keys (:func:`_running_key`) of running headers and footers: blocks in the top or bottom margin
    of at least half of up to 60 evenly spread pages (documents of 4 pages or more). They are dropped
    from the text: noise in every chunk, for both search legs."""
    count = doc.page_count
    if count < 4:
        return set()
    size = min(count, 60)
    sample = sorted({round(i * (count - 1) / (size - 1)) for i in range(size)})
    seen: Counter[str] = Counter()
    for index in sample:
        seen.update({_running_key(text) for text, _, _, margin in _blocks_of_page(doc, index, flags) if margin})
    return {key for key, pages in seen.items() if pages >= max(3, len(sample) / 2)}


def _block_of(block: dict) -> tuple[str, float, bool]:
    """A text block as ``(text, largest font size in points, all spans bold)``; lines joined by spaces."""
    lines = []
    size = 0.0
    bold = True
    for line in block.get("lines", ()):
        spans = [s for s in line["spans"] if s["text"].strip()]
        lines.append("".join(s["text"] for s in line["spans"]))
        for span in spans:
            size = max(size, span["size"])
            bold = bold and bool(span["flags"] & 16)
    return _clean(" ".join(lines)), size, bold


def _body_font_size(doc, pymupdf) -> float:
    """The font size (points, rounded to 0.5) that carries most characters, over at most 50 pages."""
    sizes: Counter[float] = Counter()
    for index in range(min(doc.page_count, 50)):
        for block in doc.load_page(index).get_text("dict", flags=pymupdf.TEXTFLAGS_TEXT)["blocks"]:
            for line in block.get("lines", ()):
                for span in line["spans"]:
                    sizes[round(span["size"] * 2) / 2] += len(span["text"].strip())
    return sizes.most_common(1)[0][0] if sizes else 0.0


_BULLETS = ("•", "●", "○", "▪", "■", "◦", "-", "–", "—", "*", "·")


def _looks_like_heading(text: str, size: float, bold: bool, body_size: float | None) -> bool:
    """A heading: at most 12 words with a letter, not ending a sentence, and set at least 20 % larger
    than the body, or bold at body size or larger."""
    if not body_size or len(text) > 120 or len(text.split()) > 12 or not any(c.isalpha() for c in text):
        return False
    if text.endswith((".", ",", ";")) or text.startswith(_BULLETS):
        return False
    return size >= body_size * 1.2 or (bold and size >= body_size - 0.25)


def _read_text(path: Path) -> str:
    """Decode a text file: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1251.

    Raises:
        ExtractionError: ``corrupt`` when it holds NUL bytes outside UTF-16 (a binary file).
    """
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data[:65536]:
        raise ExtractionError(CORRUPT, "binary data in a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace")


def _text_pages(path: Path, media_type: str) -> Iterator[int | Page]:
    raw = _read_text(path)
    yield 1
    if media_type == "text/html":
        parser = _HTMLText()
        parser.feed(raw)
        parser.close()
        blocks = parser.blocks()
    elif media_type == "text/markdown":
        blocks = _markdown_blocks(raw)
    elif media_type == "text/csv":
        blocks = _csv_blocks(raw)
    else:
        blocks = [(None, p) for p in re.split(r"\n\s*\n", raw)]
    yield _page_from_blocks(blocks)


def _page_from_blocks(blocks: list[tuple[int | None, str]]) -> Page:
    """One page from ``(heading level or None, text)`` blocks; a heading starts a new heading path."""
    parts: list[str] = []
    marks: list[tuple[int, HeadingPath]] = [(0, ())]
    stack: list[tuple[int, str]] = []
    offset = 0
    for level, raw in blocks:
        text = "\n".join(_clean(line) for line in raw.splitlines() if line.strip())
        if not text:
            continue
        if level is not None:
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, " ".join(text.split())))
            path_now = tuple(t for _, t in stack)
            marks[-1:] = [(offset, path_now)] if marks[-1][0] == offset else [marks[-1], (offset, path_now)]
        parts.append(text)
        offset += len(text) + 2
    return Page(None, "\n\n".join(parts), tuple(marks))


_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def _markdown_blocks(raw: str) -> list[tuple[int | None, str]]:
    """Markdown as blocks: ATX and setext headings with their level, paragraphs split on blank lines;
    fenced code stays one block (a ``#`` inside it is no heading)."""
    blocks: list[tuple[int | None, str]] = []
    paragraph: list[str] = []
    fence: str | None = None

    def flush() -> None:
        if paragraph:
            blocks.append((None, "\n".join(paragraph)))
            paragraph.clear()

    for line in raw.splitlines():
        opener = _FENCE.match(line)
        if fence is not None:
            paragraph.append(line)
            if opener and opener.group(1) == fence:
                fence = None
                flush()
            continue
        if opener:
            flush()
            fence = opener.group(1)
            paragraph.append(line)
        elif match := _ATX.match(line):
            flush()
            blocks.append((len(match.group(1)), match.group(2)))
        elif (match := _SETEXT.match(line)) and len(paragraph) == 1:
            blocks.append((1 if match.group(1)[0] == "=" else 2, paragraph.pop()))
        elif not line.strip():
            flush()
        else:
            paragraph.append(line)
    flush()
    return blocks


def _csv_blocks(raw: str) -> list[tuple[int | None, str]]:
    """CSV rows as ``header: value; ...`` blocks, one per row (the header names each value)."""
    try:
        dialect = csv.Sniffer().sniff(raw[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(io.StringIO(raw), dialect)
    header = next(rows, [])
    blocks: list[tuple[int | None, str]] = []
    for row in rows:
        cells = [f"{name.strip()}: {value.strip()}" for name, value in zip(header, row, strict=False) if value.strip()]
        if cells:
            blocks.append((None, "; ".join(cells)))
    return blocks or [(None, "; ".join(header))]


class _HTMLText(HTMLParser):
    """Visible text of an HTML page as blocks; ``h1``-``h6`` become headings."""

    SKIP = frozenset({"script", "style", "template", "noscript", "head", "svg", "iframe", "object"})
    BLOCK = frozenset({
        "address", "article", "aside", "blockquote", "br", "dd", "details", "div", "dl", "dt", "fieldset",
        "figcaption", "figure", "footer", "form", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
        "section", "summary", "table", "td", "th", "tr", "ul",
    })
    HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._skip_depth = 0
        self._blocks: list[tuple[int | None, str]] = []
        self._text: list[str] = []
        self._level: int | None = None

    def _flush(self) -> None:
        text = " ".join("".join(self._text).split())
        if text:
            self._blocks.append((self._level, text))
        self._text = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "body":  # a <head> left open (its end tag is optional) ends here
            self._skip_depth = 0
        elif tag in self.SKIP:
            self._skip_depth += 1
        elif tag in self.HEADINGS:
            self._flush()
            self._level = self.HEADINGS[tag]
        elif tag in self.BLOCK:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in self.HEADINGS:
            self._flush()
            self._level = None
        elif tag in self.BLOCK:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self._text.append(data)

    def blocks(self) -> list[tuple[int | None, str]]:
        self._flush()
        return self._blocks


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))

"""Plain text, Markdown, CSV and HTML as one page (number None), in the extraction child.

Markdown headings are ATX ``#`` and setext lines, not inside code fences; each CSV row becomes a
``column: value; ...`` paragraph so a passage carries its column names; HTML is read with the stdlib
:mod:`html.parser`: text without ``script``/``style``/``template``/``noscript``/``head``, ``h1``-``h6``
as headings.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from assistant.services.rag.parsers import CORRUPT, ExtractionError, Page, page_from_blocks


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


def text_pages(path: Path, media_type: str) -> Iterator[int | Page]:
    """The page count (1), then the one :class:`Page` of a text, Markdown, CSV or HTML file.

    Raises:
        ExtractionError: ``corrupt`` for binary data (see :func:`_read_text`).
    """
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
    yield page_from_blocks(blocks)


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

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
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

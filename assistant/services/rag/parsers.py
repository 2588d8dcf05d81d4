"""What the format parsers share: the page they produce, their error, its codes, and the media types.

The parsers run only inside the limited child process that
:func:`assistant.services.rag.extract.iter_pages` starts (never in the web or worker process), so they
rely on its limits on memory and CPU time and simply raise. One module per family, chosen by the media
type the upload service sniffed from the content:

* :mod:`~assistant.services.rag.pdf_parser`: PDF and EPUB with PyMuPDF, pages numbered from 1, headings
  from the outline or the fonts, running headers and footers dropped.
* :mod:`~assistant.services.rag.text_parsers`: plain text, Markdown, CSV and HTML, one page whose number
  is None, headings from ``#`` lines and ``h1``-``h6``.
* :mod:`~assistant.services.rag.docx_parser`: DOCX with python-docx, one page whose number is None,
  paragraphs and table rows in body order, headings from the ``Title`` and ``Heading n`` styles.

:mod:`~assistant.services.rag.extract` re-exports :class:`Page`, :class:`ExtractionError` and the codes.
"""

from __future__ import annotations

import re
from typing import NamedTuple

CORRUPT = "documents.error.corrupt"
ENCRYPTED = "documents.error.encrypted"
NO_TEXT = "documents.error.no_text"
TIMEOUT = "documents.error.timeout"
TOO_LARGE = "documents.error.too_large"
UNSUPPORTED = "documents.error.unsupported"

#: Media types the parsers read, by family.
PYMUPDF_TYPES = {"application/pdf": "pdf", "application/epub+zip": "epub"}
TEXT_TYPES = ("text/plain", "text/markdown", "text/csv", "text/html")
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SUPPORTED_TYPES = frozenset(PYMUPDF_TYPES) | frozenset(TEXT_TYPES) | {DOCX_TYPE}

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


CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\u00a0]+")


def clean(text: str) -> str:
    """Drop control characters (PostgreSQL text cannot hold NUL) and collapse runs of spaces."""
    return _SPACES.sub(" ", CONTROL_CHARS.sub(" ", text)).strip()


def page_from_blocks(blocks: list[tuple[int | None, str]]) -> Page:
    """One page (number None) from ``(heading level or None, text)`` blocks in reading order.

    A heading ends every open heading of its level or deeper and starts a new heading path; levels are
    small integers, lower is outer (Markdown's ``#`` is 1). Lines are :func:`clean`-ed, blank blocks
    dropped, and blocks joined by blank lines.
    """
    parts: list[str] = []
    marks: list[tuple[int, HeadingPath]] = [(0, ())]
    stack: list[tuple[int, str]] = []
    offset = 0
    for level, raw in blocks:
        text = "\n".join(clean(line) for line in raw.splitlines() if line.strip())
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

"""PDF and EPUB, page by page, with PyMuPDF (https://pymupdf.readthedocs.io), in the extraction child.

Pages are numbered from 1 (EPUB pages are PyMuPDF's own layout of the book); text blocks become
paragraphs, lines within a block are joined with spaces and hyphenated line ends rejoined
(``TEXT_DEHYPHENATE``); running headers and footers (page numbers included) are dropped. Headings come
from the outline (the bookmarks) when it has at least two entries, otherwise from the fonts: a short
block set in a clearly larger (or bold, at least body-size) font than the body text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.services.rag.parsers import (
    CONTROL_CHARS,
    CORRUPT,
    ENCRYPTED,
    TOO_LARGE,
    ExtractionError,
    HeadingPath,
    Page,
    clean,
)

if TYPE_CHECKING:
    import pymupdf

#: Running headers and footers are looked for in this fraction of the page height at its top and bottom.
RUNNING_MARGIN = 0.12


def normalise_title(title: str) -> str:
    """A title compared loosely: control characters and runs of white space as one space, case folded."""
    return " ".join(CONTROL_CHARS.sub(" ", title).split()).casefold()


def pymupdf_pages(path: Path, filetype: str, max_pages: int) -> Iterator[int | Page]:
    """The page count, then each :class:`Page` of a PDF (``filetype`` "pdf") or EPUB ("epub").

    Raises:
        ExtractionError: ``corrupt`` (empty, no PDF header, unreadable, no pages), ``encrypted``,
            ``too_large`` (more than ``max_pages`` pages). MuPDF's ``RuntimeError`` may escape.
    """
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
        toc = [(level, normalise_title(title), " ".join(title.split()), page)
               for level, title, page in doc.get_toc(simple=True) if title.strip()]
        use_toc = len(toc) >= 2
        body_size = None if use_toc else _body_font_size(doc, pymupdf.TEXTFLAGS_TEXT)
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
                    key = normalise_title(text)
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


def _blocks_of_page(doc: pymupdf.Document, index: int, flags: int) -> list[tuple[str, float, bool, bool]]:
    """The non-empty text blocks of page ``index`` in content order: :func:`_block_of`'s tuple plus
    whether the block lies wholly in the top or bottom :data:`RUNNING_MARGIN` of the page."""
    page = doc.load_page(index)
    top, bottom = page.rect.y0 + RUNNING_MARGIN * page.rect.height, page.rect.y1 - RUNNING_MARGIN * page.rect.height
    blocks: list[tuple[str, float, bool, bool]] = []
    for block in page.get_text("dict", flags=flags)["blocks"]:
        text, size, bold = _block_of(block)
        if text:
            blocks.append((text, size, bold, block["bbox"][3] <= top or block["bbox"][1] >= bottom))
    return blocks


def _running_key(text: str) -> str:
    """A block's text with digits and case ignored: "7 of 293" and "8 of 293" are the same footer."""
    return re.sub(r"\d+", "#", normalise_title(text))


def _running_blocks(doc: pymupdf.Document, flags: int) -> set[str]:
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


def _block_of(block: dict[str, Any]) -> tuple[str, float, bool]:
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
    return clean(" ".join(lines)), size, bold


def _body_font_size(doc: pymupdf.Document, flags: int) -> float:
    """The font size (points, rounded to 0.5) that carries most characters, over at most 50 pages read with
    the text ``flags``."""
    sizes: Counter[float] = Counter()
    for index in range(min(doc.page_count, 50)):
        for block in doc.load_page(index).get_text("dict", flags=flags)["blocks"]:
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

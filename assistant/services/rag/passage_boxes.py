"""Where a cited passage lies on a PDF page: the page's words aligned with the passage's, one box per line.

Runs inside the page renderer's limited child (:mod:`assistant.services.rag.page_images`), on a page it opened.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pymupdf

#: Matched runs shorter than this many words (or the passage's length, when shorter) are ignored.
MIN_RUN_WORDS = 3


@dataclass(frozen=True)
class Box:
    """A rectangle on the page in fractions of its width (``x0``, ``x1``) and height (``y0``, ``y1``), 0-1,
    from the top left corner: one line of the cited passage."""

    x0: float
    y0: float
    x1: float
    y1: float


def _token(word: str) -> str:
    """A word compared loosely: compatibility-normalised, case folded, letters and digits only."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", word).casefold() if ch.isalnum())


def passage_boxes(page: pymupdf.Page, passage: str) -> list[Box]:
    """Where ``passage`` (a chunk's text) lies on ``page``: one :class:`Box` per line it covers, in reading
    order (down one column, then the next); empty when it is not there.

    The page's words (read as extraction reads them: hyphenated line ends rejoined) are aligned with the
    passage's words (:func:`_token`); runs of at least :data:`MIN_RUN_WORDS` matching words are kept, and
    of those the densest cluster (gaps on the page no wider than in the passage, plus a line's worth) is
    the passage.
    """
    import pymupdf

    flags = pymupdf.TEXTFLAGS_TEXT | pymupdf.TEXT_DEHYPHENATE
    words = [(word, token) for word in page.get_text("words", flags=flags) if (token := _token(word[4]))]
    wanted = [token for token in map(_token, passage.split()) if token]
    if not words or not wanted:
        return []
    matcher = SequenceMatcher(None, [token for _, token in words], wanted, autojunk=False)
    runs = [run for run in matcher.get_matching_blocks() if run.size >= min(MIN_RUN_WORDS, len(wanted))]
    if not runs:
        return []
    best = max(_clusters(runs), key=lambda cluster: sum(run.size for run in cluster))
    chosen = [word for word, _ in words[best[0].a: best[-1].a + best[-1].size]]
    width, height = page.rect.width, page.rect.height
    boxes: list[Box] = []
    for _, line in _lines(chosen):
        rect = pymupdf.Rect(min(w[0] for w in line), min(w[1] for w in line), max(w[2] for w in line),
                            max(w[3] for w in line))
        if page.rotation:
            rect = rect * page.rotation_matrix
        rect &= page.rect
        if not rect.is_empty:
            boxes.append(Box(rect.x0 / width, rect.y0 / height, rect.x1 / width, rect.y1 / height))
    return boxes


def _clusters(runs: list[Any]) -> Iterator[list[Any]]:
    """Matching runs (``a``: page word index, ``b``: passage word index, ``size``) split where the page skips
    more words than the passage does, plus 12."""
    cluster = [runs[0]]
    for run in runs[1:]:
        previous = cluster[-1]
        if (run.a - previous.a - previous.size) > (run.b - previous.b - previous.size) + 12:
            yield cluster
            cluster = []
        cluster.append(run)
    yield cluster


def _lines(words: list[Any]) -> Iterator[tuple[tuple[int, int], list[Any]]]:
    """``words`` (PyMuPDF word tuples) grouped by consecutive (block, line)."""
    group: list[Any] = []
    key: tuple[int, int] | None = None
    for word in words:
        if (word[5], word[6]) != key and group:
            yield key or (0, 0), group
            group = []
        key = (word[5], word[6])
        group.append(word)
    if group:
        yield key or (0, 0), group

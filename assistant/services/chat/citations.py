"""The passages one answer may cite, numbered the way the model and the reader see them.

Within one turn every passage gets one number, from 1, in the order it was offered: first the excerpts
put into the system prompt, then whatever ``search_documents`` calls return (a passage found twice keeps
its first number). The model cites a passage by writing ``[n]``; the answer stores the passages its text
cites, or, when a model used the tool but wrote no marker, every passage the tool gave it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from assistant.services.chat.context import Excerpt

#: ``[3]``, ``[1, 4]`` and ``[2][5]`` in an answer's text.
_MARKER = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")


def cited_numbers(text: str) -> set[int]:
    """The citation numbers written in ``text`` as ``[n]`` or ``[n, m]``."""
    return {int(number) for group in _MARKER.findall(text) for number in group.split(",")}


class SourceLedger:
    """The numbered passages of one turn. Not thread-safe; one per turn."""

    def __init__(self, excerpts: Iterable[Excerpt] = ()) -> None:
        self._excerpts: list[Excerpt] = []
        self._numbers: dict[str, int] = {}
        self._from_tools: set[int] = set()
        for excerpt in excerpts:
            self.add(excerpt)

    def add(self, excerpt: Excerpt, *, from_tool: bool = False) -> int:
        """Number ``excerpt`` (its earlier number when the same chunk was offered before) and return it.
        ``from_tool``: a tool call returned it to the model."""
        number = self._numbers.get(excerpt.chunk_id)
        if number is None:
            self._excerpts.append(excerpt)
            number = self._numbers[excerpt.chunk_id] = len(self._excerpts)
        if from_tool:
            self._from_tools.add(number)
        return number

    def excerpt(self, number: int) -> Excerpt | None:
        """The passage numbered ``number`` in this turn, None when no passage has that number."""
        return self._excerpts[number - 1] if 1 <= number <= len(self._excerpts) else None

    def citations(self, numbers: Iterable[int] | None = None) -> list[dict[str, Any]]:
        """The stored form of the passages ``numbers`` (all when None), by number: ``[{"number": 1,
        "document_id": "…", "title": "lab.pdf", "page": 3 or None, "chunk_id": "…", "score": 0.03}]``
        (``score``: the retrieval score, RRF). Numbers never offered are skipped."""
        wanted = sorted(set(range(1, len(self._excerpts) + 1) if numbers is None else numbers))
        out = []
        for number in wanted:
            if 1 <= number <= len(self._excerpts):
                excerpt = self._excerpts[number - 1]
                out.append({"number": number, "document_id": excerpt.document_id, "title": excerpt.title,
                            "page": excerpt.page, "chunk_id": excerpt.chunk_id, "score": excerpt.score})
        return out

    def cited_by(self, text: str) -> list[dict[str, Any]]:
        """The citations an answer stores: the passages ``text`` cites as ``[n]``; if it cites none,
        the passages tool calls returned (the model read them to answer); else none."""
        numbers = {n for n in cited_numbers(text) if 1 <= n <= len(self._excerpts)}
        return self.citations(numbers or self._from_tools)

"""Token-aware chunking of extracted pages into passages for all-MiniLM-L6-v2.

The model reads at most :data:`~assistant.services.rag.embeddings.MAX_TOKENS` (256) WordPiece tokens,
``[CLS]`` and ``[SEP]`` included, and silently drops the rest (Reimers & Gurevych 2019; the model card of
sentence-transformers/all-MiniLM-L6-v2), so every passage is measured with the model's own tokenizer:

1. A page is cut into sections where its heading path changes (a chunk carries one page and one heading
   path, so a citation names the exact page), and a section into paragraphs (blank lines). A paragraph
   that does not end a sentence and is followed by one starting in lower case is the same sentence
   broken over two text blocks, and is rejoined.
2. Paragraphs are split into sentences: after ``.``, ``!``, ``?`` or ``…`` (and closing quotes or
   brackets) followed by a capital, a digit, a quote or a bullet, except after common abbreviations
   (``Dr.``, ``e.g.``, ``т.е.``, ...) and single-letter initials; a line that starts with a list
   marker starts a sentence. A sentence longer than the window is cut between words (between word
   pieces only when a single word is longer than the window).
3. Whole sentences are packed greedily up to :data:`MAX_CONTENT_TOKENS` (254 word pieces of content,
   256 with the special tokens), so chunks are about 200-254 word pieces except at the end of a section.
   Each next chunk of the same section starts with the last whole sentences of the previous one, up to
   :data:`OVERLAP_TOKENS` word pieces, so a fact cut by a boundary is still whole in one chunk.

Concatenating words with whitespace adds their WordPiece counts (BERT's pre-tokenizer splits on
whitespace and punctuation first), which is why a chunk's token count is the sum of its sentences' and
``token_count`` is exact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.services.rag.embeddings import MAX_TOKENS
from assistant.services.rag.extract import Page

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

#: Word pieces of text per chunk: the window less ``[CLS]`` and ``[SEP]``.
MAX_CONTENT_TOKENS = MAX_TOKENS - 2
#: Word pieces of whole sentences repeated from the end of one chunk at the start of the next.
OVERLAP_TOKENS = 40
#: What joins heading titles in a chunk's ``heading_path``.
HEADING_SEPARATOR = " > "

_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "vs", "e.g", "i.e", "fig", "figs", "no", "nos", "vol",
    "approx", "dept", "inc", "ltd", "co", "ca", "cf", "al", "p", "pp", "ed", "eds", "est", "min", "max",
    "т", "т.е", "т.к", "т.д", "т.п", "др", "им", "ул", "стр", "рис", "см", "г", "гг", "д", "напр",
})
_BOUNDARY = re.compile(r"[.!?…]+[\"'»”’)\]]*\s+(?=[\"'«“‘(\[•●▪■◦\-–—*\d]|[^\W\d_])")
_LIST_LINE = re.compile(r"\n(?=\s*(?:[•●○▪■◦*·\-–—]|\d{1,3}[.)])\s)")
_ENDS_SENTENCE = re.compile(r"[.!?…:;][\"'»”’)\]]*$")


@dataclass(frozen=True)
class ChunkText:
    """A passage ready to embed: ``page`` (from 1, None for page-less formats), ``heading_path``
    ("Chapter > Section", "" when none), ``text``, and ``token_count`` (word pieces, special tokens
    included, at most :data:`MAX_TOKENS`)."""

    page: int | None
    heading_path: str
    text: str
    token_count: int


def chunk_pages(pages: Sequence[Page], tokenizer: PreTrainedTokenizerBase) -> list[ChunkText]:
    """Cut extracted pages into chunks, in reading order.

    Args:
        pages: from :func:`assistant.services.rag.extract.iter_pages`.
        tokenizer: the embedding model's fast tokenizer
            (:func:`assistant.services.rag.embeddings.tokenizer`).

    Returns:
        The chunks of every page in page order; none for pages without text.
    """
    sections: list[tuple[int | None, str, list[str]]] = []
    for page in pages:
        bounds = [offset for offset, _ in page.headings[1:]] + [len(page.text)]
        for (offset, path), end in zip(page.headings, bounds, strict=True):
            sentences = split_sentences(page.text[offset:end])
            if sentences:
                sections.append((page.number, HEADING_SEPARATOR.join(path), sentences))
    flat = [sentence for _, _, sentences in sections for sentence in sentences]
    counted = iter(_measure(flat, tokenizer))
    chunks: list[ChunkText] = []
    for number, heading, sentences in sections:
        units = [piece for _ in sentences for piece in next(counted)]
        chunks.extend(ChunkText(number, heading, text, tokens + 2) for text, tokens in _pack(units))
    return chunks


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (paragraphs separated by blank lines), whitespace-normalised, in order."""
    paragraphs: list[str] = []
    for raw in re.split(r"\n\s*\n", text):
        paragraph = raw.strip()
        if not paragraph:
            continue
        if (paragraphs and not _ENDS_SENTENCE.search(paragraphs[-1]) and paragraph[0].islower()):
            paragraphs[-1] = f"{paragraphs[-1]} {paragraph}"
        else:
            paragraphs.append(paragraph)
    sentences: list[str] = []
    for paragraph in paragraphs:
        for line_group in _LIST_LINE.split(paragraph):
            sentences.extend(_sentences_of(" ".join(line_group.split())))
    return sentences


def _sentences_of(text: str) -> list[str]:
    out: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        following = text[match.end()]
        if following.isalpha() and not following.isupper():
            continue
        before = text[start : match.start()].rsplit(" ", 1)[-1].lstrip("\"'«“‘([").casefold()
        if text[match.start()] == "." and (before in _ABBREVIATIONS or (len(before) == 1 and before.isalpha())):
            continue
        out.append(text[start : match.end()].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def _measure(sentences: list[str], tokenizer: PreTrainedTokenizerBase) -> list[list[tuple[str, int]]]:
    """Each sentence as ``[(text, word pieces)]``: one item, or several when it exceeds the window."""
    if not sentences:
        return []
    encoded = tokenizer(
        sentences,
        add_special_tokens=False,
        return_offsets_mapping=True,
        return_attention_mask=False,
        return_token_type_ids=False,
        verbose=False,
    )
    out = []
    for index, sentence in enumerate(sentences):
        ids = encoded["input_ids"][index]
        if len(ids) <= MAX_CONTENT_TOKENS:
            out.append([(sentence, len(ids))])
        else:
            out.append(_split_long(sentence, encoded.tokens(index), encoded["offset_mapping"][index], tokenizer))
    return out


def _split_long(
    sentence: str, tokens: list[str], offsets: list[tuple[int, int]], tokenizer: PreTrainedTokenizerBase
) -> list[tuple[str, int]]:
    """Cut an over-long sentence into pieces of at most :data:`MAX_CONTENT_TOKENS` word pieces, at the
    last word start that fits (a word longer than that is cut between its word pieces)."""
    pieces: list[tuple[str, int]] = []
    start = 0
    while start < len(tokens):
        end = min(start + MAX_CONTENT_TOKENS, len(tokens))
        if end < len(tokens):
            word_starts = [j for j in range(start + 1, end + 1) if not tokens[j].startswith("##")]
            if word_starts:
                end = word_starts[-1]
        text = sentence[offsets[start][0] : offsets[end - 1][1]].strip()
        count = end - start
        if tokens[start].startswith("##") or (end < len(tokens) and tokens[end].startswith("##")):
            # Cut inside a word: the fragments tokenize differently, so measure them again.
            while len(tokenizer.tokenize(text)) > MAX_CONTENT_TOKENS:
                end -= max(1, (end - start) // 10)
                text = sentence[offsets[start][0] : offsets[end - 1][1]].strip()
            count = len(tokenizer.tokenize(text))
        if text:
            pieces.append((text, count))
        start = end
    return pieces


def _pack(units: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Greedy packing of ``(sentence, word pieces)`` into ``(chunk text, word pieces)`` with overlap."""
    chunks: list[tuple[str, int]] = []
    current: list[tuple[str, int]] = []  # always ends with a sentence no emitted chunk holds yet
    size = 0
    for unit in units:
        if current and size + unit[1] > MAX_CONTENT_TOKENS:
            chunks.append((" ".join(text for text, _ in current), size))
            overlap: list[tuple[str, int]] = []
            kept = 0
            for sentence in reversed(current):
                if kept + sentence[1] > OVERLAP_TOKENS or kept + sentence[1] + unit[1] > MAX_CONTENT_TOKENS:
                    break
                overlap.insert(0, sentence)
                kept += sentence[1]
            current, size = overlap, kept
        current.append(unit)
        size += unit[1]
    if current:
        chunks.append((" ".join(text for text, _ in current), size))
    return chunks

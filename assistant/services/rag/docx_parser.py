"""DOCX as one page (number None), with python-docx (https://python-docx.readthedocs.io), in the
extraction child.

python-docx opens the package (refusing anything whose main part is not a Word document, parsing the
XML without resolving entities) and reads the styles. The body is walked over python-docx's own element
tree, because its ``Paragraph`` and ``Table`` objects skip content controls and tracked insertions:
paragraphs and tables in document order, content controls included; text boxes, headers, footers,
footnotes, deleted revisions and tables of contents left out. A table row becomes one paragraph of its
cells' text joined by ``" | "``. Paragraphs styled ``Title`` or ``Heading 1``-``Heading 9`` (or a style
based on one, or with an outline level) are headings, ``Title`` above ``Heading 1``, feeding the heading
path as Markdown's ``#`` lines do.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.services.rag.parsers import CORRUPT, TOO_LARGE, ExtractionError, Page, page_from_blocks

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.oxml.xmlchemy import BaseOxmlElement
    from docx.styles.style import BaseStyle

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
#: Inline elements that give text, and what the others that stand for a character give.
_TEXT_TAGS = frozenset({_W + "t", _M + "t"})
_CHARACTERS = {_W + "tab": "\t", _W + "br": "\n", _W + "cr": "\n", _W + "noBreakHyphen": "-"}
#: Inline subtrees left out: properties, deleted or moved-away text, field codes, and drawings, whose
#: text boxes hold paragraphs of their own (an ``mc:Fallback`` repeats its ``mc:Choice``).
_SKIPPED = frozenset({_W + "pPr", _W + "rPr", _W + "del", _W + "moveFrom", _W + "instrText", _W + "drawing",
                      _W + "pict", _W + "object", _MC + "Fallback"})
_HEADING_STYLE = re.compile(r"heading ([1-9])")
#: What :func:`_style_level` says of a style that is explicitly body text (outline level 9).
_BODY = -1


def docx_pages(path: Path, max_chars: int) -> Iterator[int | Page]:
    """The page count (1), then the one :class:`Page` of a DOCX file.

    Raises:
        ExtractionError: as :func:`_docx_blocks`.
    """
    blocks = _docx_blocks(path, max_chars)
    yield 1
    yield page_from_blocks(blocks)


def _docx_blocks(path: Path, max_chars: int) -> list[tuple[int | None, str]]:
    """The body of a DOCX as ``(heading level or None, text)`` blocks, ``Title`` at level 0.

    Raises:
        ExtractionError: ``corrupt`` when python-docx cannot open it as a Word document; ``too_large``
            past ``max_chars`` characters.
    """
    import docx

    try:
        document = docx.Document(str(path))
    except MemoryError:
        raise
    except Exception as exc:  # zipfile, lxml and python-docx each raise their own kinds for a damaged file
        raise ExtractionError(CORRUPT, f"cannot open as DOCX: {type(exc).__name__}: {exc}") from None
    levels = _docx_style_levels(document)
    blocks: list[tuple[int | None, str]] = []
    total = 0
    for level, text in _docx_block_items(document.element.body, levels):
        total += len(text)
        if total > max_chars:
            raise ExtractionError(TOO_LARGE, f"more than {max_chars} characters of text")
        blocks.append((level, text))
    return blocks


def _docx_style_levels(document: DocxDocument) -> dict[str, int]:
    """Heading level by paragraph style id: 0 for ``Title``, n for ``Heading n``; a style that is
    neither takes its outline level, else its base style's level (at most 10 styles up)."""
    from docx.enum.style import WD_STYLE_TYPE

    levels: dict[str, int] = {}
    for style in document.styles:
        if style.type != WD_STYLE_TYPE.PARAGRAPH:
            continue
        current, level = style, None
        for _ in range(10):
            level = _style_level(current)
            current = current.base_style if level is None else None
            if current is None:
                break
        if level is not None and level != _BODY:
            levels[style.style_id] = level
    return levels


def _style_level(style: BaseStyle) -> int | None:
    name = (style.name or "").strip().casefold()  # python-docx gives built-in styles their English names
    if name == "title":
        return 0
    if match := _HEADING_STYLE.fullmatch(name):
        return int(match.group(1))
    return _outline_level(style.element)


def _outline_level(element: BaseOxmlElement) -> int | None:
    """``w:pPr/w:outlineLvl`` of a style or paragraph: 0-8 are heading levels 1-9, 9 is :data:`_BODY`."""
    node = element.find(f"{_W}pPr/{_W}outlineLvl")
    value = node.get(f"{_W}val", "") if node is not None else ""
    if not value.isdigit() or int(value) > 9:
        return None
    return _BODY if int(value) == 9 else int(value) + 1


def _docx_block_items(container: BaseOxmlElement, levels: dict[str, int] | None) -> Iterator[tuple[int | None, str]]:
    """Paragraphs and table rows of a body, cell or content control in document order; a heading's level
    comes from its paragraph's own outline level, else its style (no headings when ``levels`` is None).
    Tables of contents are skipped: they repeat the headings."""
    for child in container:
        if child.tag == _W + "p":
            text = _docx_text(child)
            if text.strip():
                yield (_paragraph_level(child, levels) if levels is not None else None), text
        elif child.tag == _W + "tbl":
            for row in _docx_rows(child):
                yield None, row
        elif child.tag == _W + "sdt" and not _is_table_of_contents(child):
            content = child.find(_W + "sdtContent")
            if content is not None:
                yield from _docx_block_items(content, levels)
        elif child.tag == _W + "customXml":
            yield from _docx_block_items(child, levels)


def _paragraph_level(paragraph: BaseOxmlElement, levels: dict[str, int]) -> int | None:
    own = _outline_level(paragraph)
    if own is not None:
        return None if own == _BODY else own
    style = paragraph.find(f"{_W}pPr/{_W}pStyle")
    return levels.get(style.get(f"{_W}val", "")) if style is not None else None


def _is_table_of_contents(sdt: BaseOxmlElement) -> bool:
    gallery = sdt.find(f"{_W}sdtPr/{_W}docPartObj/{_W}docPartGallery")
    return gallery is not None and gallery.get(f"{_W}val", "").casefold() == "table of contents"


def _docx_text(element: BaseOxmlElement) -> str:
    """The text of a paragraph: runs, hyperlinks, fields' results, tracked insertions, inline content
    controls; tabs and line breaks as ``\\t`` and ``\\n``."""
    parts: list[str] = []

    def walk(node: BaseOxmlElement) -> None:
        for child in node:
            if child.tag in _TEXT_TAGS:
                parts.append(child.text or "")
            elif child.tag in _CHARACTERS:
                parts.append(_CHARACTERS[child.tag])
            elif child.tag not in _SKIPPED:
                walk(child)

    walk(element)
    return "".join(parts)


def _docx_rows(table: BaseOxmlElement) -> Iterator[str]:
    """Each row of a table with text, its cells' text joined by ``" | "``. A cell spanning columns is
    one cell; the continuation of a vertically merged cell is empty and left out."""
    for row in _docx_children(table, _W + "tr"):
        cells = [" ".join(text.split()) for tc in _docx_children(row, _W + "tc")
                 if (text := " ".join(t for _, t in _docx_block_items(tc, None))).strip()]
        if cells:
            yield " | ".join(cells)


def _docx_children(element: BaseOxmlElement, tag: str) -> Iterator[BaseOxmlElement]:
    """The ``tag`` children of ``element``, looking through content controls and custom XML."""
    for child in element:
        if child.tag == tag:
            yield child
        elif child.tag == _W + "sdt":
            content = child.find(_W + "sdtContent")
            if content is not None:
                yield from _docx_children(content, tag)
        elif child.tag == _W + "customXml":
            yield from _docx_children(child, tag)

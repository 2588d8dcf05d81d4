"""Reading a document the way a citation points into it: one page of its extracted text with the cited
passage marked, for PDFs the page as an image with the passage's boxes
(:mod:`assistant.services.rag.page_images`), and the original file. Access is
:func:`assistant.services.rag.documents.get_document`'s: a document the user may not read is "not
found", exactly like a missing one.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, col, select

from assistant.core.config import Settings, get_settings
from assistant.core.errors import InvalidInput, NotFound
from assistant.core.security import create_download_ticket
from assistant.models import Chunk, Document, DocumentPage, User
from assistant.services.rag.documents import get_document
from assistant.services.rag.page_images import PageImage, page_image
from assistant.services.rag.parsers import ExtractionError
from assistant.services.rag.passage_boxes import Box
from assistant.services.rag.paths import document_path

#: The media type whose pages are shown as images.
PDF_TYPE = "application/pdf"


@dataclass(frozen=True)
class Segment:
    """A run of page text; ``marked``: part of the cited passage."""

    text: str
    marked: bool = False


@dataclass(frozen=True)
class PageView:
    """One page as the viewer shows it.

    Attributes:
        document_id, title, media_type, status: the document (``title`` is the uploaded file name).
        number: the page number from 1 (None for formats without pages).
        position, pages: the page's place among the stored pages (from 1) and how many there are (0
            when no text is stored: the document is not ingested, or was before pages were kept).
        previous_number, next_number: the neighbouring pages' numbers, None at either end.
        segments: the page text, the cited passage marked (none for a page without text, e.g. a
            picture, or when no page is stored).
        passage_found: the cited chunk was found and marked on this page.
        image: the page can be shown as an image (a PDF page with stored text; see :func:`page_picture`).
        boxes: the cited passage's lines on that image (page fractions), empty when it is not on the page.
        image_error: why the image could not be drawn (a ``documents.error.*`` key), else None.
    """

    document_id: uuid.UUID
    title: str
    media_type: str
    status: str
    number: int | None
    position: int
    pages: int
    previous_number: int | None
    next_number: int | None
    segments: list[Segment]
    passage_found: bool
    image: bool = False
    boxes: list[Box] = field(default_factory=list)
    image_error: str | None = None


def mark_passage(page_text: str, passage: str) -> list[Segment] | None:
    """``page_text`` cut into segments with ``passage`` marked, or None when it is not on the page.

    The passage is matched word by word with any whitespace between words: chunking joins a page's
    lines and paragraphs with single spaces (:mod:`assistant.services.rag.chunking`).
    """
    words = passage.split()
    if not words:
        return None
    match = re.search(r"\s+".join(map(re.escape, words)), page_text)
    if match is None:
        return None
    segments = [
        Segment(page_text[: match.start()]),
        Segment(match.group(), marked=True),
        Segment(page_text[match.end():]),
    ]
    return [segment for segment in segments if segment.text]


def read_page(*, session: Session, user: User, document_id: uuid.UUID, number: int | None = None,
              chunk_id: uuid.UUID | None = None, settings: Settings | None = None) -> PageView:
    """The page ``number`` of the document (else the cited chunk's page, else the first) with the chunk
    ``chunk_id`` marked when it lies on that page. For a PDF the page image is drawn into the cache (in a
    limited child process, :func:`assistant.services.rag.page_images.page_image`; ``settings`` default to
    the app's) and the passage's boxes found on it; a failed drawing leaves ``image`` false with the
    reason in ``image_error``, the text still shown.

    Raises:
        NotFound: ``documents.not_found`` for a missing document or one the user may not read;
            ``documents.page_not_found`` for a page number the document does not have.
    """
    document = get_document(session=session, user=user, document_id=document_id)
    cited = session.exec(select(Chunk.page, Chunk.text).where(Chunk.id == chunk_id, Chunk.document_id == document.id)
                         ).first() if chunk_id is not None else None
    if number is None and cited is not None:
        number = cited[0]
    # (ord, page number) of every kept page, in order
    stored = session.exec(select(DocumentPage.ord, DocumentPage.number).where(DocumentPage.document_id == document.id)
                          .order_by(col(DocumentPage.ord))).all()
    numbers = [page_number for _, page_number in stored]
    if number is None:
        index = 0
    else:
        index = next((i for i, page_number in enumerate(numbers) if page_number == number), -1)
        if index < 0 and stored:
            raise NotFound("documents.page_not_found", page=number)
    segments: list[Segment] = []
    found = False
    if stored:
        text = session.exec(select(DocumentPage.text).where(DocumentPage.document_id == document.id,
                                                            DocumentPage.ord == stored[index][0])).one()
        marked = mark_passage(text, cited[1]) if cited is not None and cited[0] == numbers[index] else None
        found = marked is not None
        segments = marked or ([Segment(text)] if text.strip() else [])
    elif cited is not None:  # pages not kept (ingested before they were): the passage alone
        segments, found = [Segment(cited[1], marked=True)], True
    picture: PageImage | None = None
    image_error = None
    page_number = numbers[index] if stored else None
    if page_number is not None and document.media_type == PDF_TYPE:
        try:
            picture = _draw(document, page_number, settings or get_settings(),
                            (chunk_id, cited[1]) if found and cited is not None and chunk_id is not None else None)
        except ExtractionError as exc:
            image_error = exc.code
    return PageView(
        document_id=document.id, title=document.filename, media_type=document.media_type, status=document.status,
        number=numbers[index] if stored else number, position=index + 1 if stored else 0, pages=len(stored),
        previous_number=numbers[index - 1] if stored and index > 0 else None,
        next_number=numbers[index + 1] if index + 1 < len(stored) else None,
        segments=segments, passage_found=found, image=picture is not None,
        boxes=picture.boxes if picture is not None else [], image_error=image_error,
    )


def _draw(document: Document, number: int, settings: Settings,
          passage: tuple[uuid.UUID, str] | None) -> PageImage | None:
    """The cached image of page ``number`` of a PDF ``document`` and the boxes of ``(chunk id, text)``; None
    when the stored file is gone.

    Raises:
        ExtractionError: the page cannot be drawn (:func:`assistant.services.rag.page_images.page_image`).
    """
    source = document_path(settings, document.storage_name)
    if not source.is_file():
        return None
    return page_image(settings, document_id=document.id, source=source, number=number,
                      passage=passage[1] if passage else None, passage_key=passage[0] if passage else None)


def page_picture(*, session: Session, user: User, document_id: uuid.UUID, number: int,
                 settings: Settings) -> PageImage:
    """Page ``number`` of a PDF document as a cached image (drawn on first use), for
    ``GET /api/v1/documents/{id}/pages/{number}/image``; no boxes.

    Raises:
        NotFound: ``documents.not_found`` (missing, not readable by the user, or its file is gone);
            ``viewer.no_image`` (not a PDF); ``documents.page_not_found`` (no stored page ``number``: the
            document has no such page or is not ingested).
        InvalidInput: a ``documents.error.*`` key: the page cannot be drawn (corrupt, encrypted, too large
            or over the time limit).
    """
    document = get_document(session=session, user=user, document_id=document_id)
    if document.media_type != PDF_TYPE:
        raise NotFound("viewer.no_image")
    if session.exec(select(DocumentPage.ord).where(DocumentPage.document_id == document.id,
                                                   DocumentPage.number == number)).first() is None:
        raise NotFound("documents.page_not_found", page=number)
    try:
        picture = _draw(document, number, settings, None)
    except ExtractionError as exc:
        raise InvalidInput(exc.code) from None
    if picture is None:
        raise NotFound("documents.not_found")
    return picture


def download_ticket(*, session: Session, user: User, document_id: uuid.UUID, login_session_id: uuid.UUID) -> str:
    """A one-minute ticket for the browser to fetch the document's original
    (``GET /api/v1/documents/{id}/file?ticket=…``), bound to ``user`` and their login session
    ``login_session_id`` (see :func:`assistant.core.security.create_download_ticket`).

    Raises:
        NotFound: ``documents.not_found`` (missing, or not readable by the user).
    """
    get_document(session=session, user=user, document_id=document_id)
    return create_download_ticket(user_id=user.id, session_id=login_session_id, resource_id=document_id)


def original_file(*, session: Session, user: User, document_id: uuid.UUID, settings: Settings) -> tuple[Path, str, str]:
    """The stored original: ``(path, file name as uploaded, media type)``.

    Raises:
        NotFound: ``documents.not_found`` (missing, not readable by the user, or its file is gone).
    """
    document = get_document(session=session, user=user, document_id=document_id)
    path = document_path(settings, document.storage_name)
    if not path.is_file():
        raise NotFound("documents.not_found")
    return path, document.filename, document.media_type

"""A citation of a PDF opens the page as printed: drawn once into the cache in a limited child, with the
cited passage's lines boxed where PyMuPDF's own search finds its words; other formats have no image; a
damaged or pathological PDF fails with its reason, in time, and the text view still works."""

from __future__ import annotations

import time

import pymupdf
import pytest
from sqlmodel import select
from support.data import SHARED_DATA

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.core.errors import InvalidInput, NotFound
from assistant.models import Chunk, DocumentPage
from assistant.services.rag import ingest, page_images
from assistant.services.rag.documents import delete_document
from assistant.services.rag.page_images import cache_dir
from assistant.services.rag.parsers import CORRUPT, TIMEOUT, ExtractionError
from assistant.services.rag.passage_boxes import Box
from assistant.services.rag.viewer import page_picture, read_page

WHO_PDF = SHARED_DATA / "pdfs/health/WHO_EMRO_Healthy-diet_2019.pdf"
CDC_PDF = SHARED_DATA / "pdfs/health/CDC_Outpatient-Guide-508.pdf"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def call(fn, **kwargs):
    with session_scope() as session:
        return fn(session=session, **kwargs)


def fractions(rect: pymupdf.Rect, page: pymupdf.Page) -> Box:
    return Box(rect.x0 / page.rect.width, rect.y0 / page.rect.height, rect.x1 / page.rect.width,
               rect.y1 / page.rect.height)


def intersects(a: Box, b: Box) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_a_cited_pdf_page_is_drawn_once_with_boxes_on_the_passage(make_user, make_document):
    owner = make_user()
    document = make_document(owner, status="pending", filename="Healthy diet.pdf", content=WHO_PDF,
                             media_type="application/pdf")
    assert ingest.run_job(document.id) == "completed"
    with session_scope() as session:
        chunk = session.exec(select(Chunk).where(Chunk.document_id == document.id,
                                                 Chunk.text.contains("Limiting intake of free sugars"))).one()
    assert chunk.page == 9

    view = call(read_page, user=owner, document_id=document.id, chunk_id=chunk.id)

    assert (view.number, view.image, view.image_error, view.passage_found) == (9, True, None, True)
    image = cache_dir(get_settings(), document.id) / "9.png"
    assert image.read_bytes()[:8] == PNG_SIGNATURE
    with pymupdf.open(WHO_PDF) as pdf:
        page = pdf[8]
        drawn = pymupdf.Pixmap(str(image))
        assert drawn.width == page_images.WIDTH_PX
        assert abs(drawn.height - page.rect.height * page_images.WIDTH_PX / page.rect.width) <= 1
        # every box lies on words of the passage as PyMuPDF's search finds them, and the first and last
        # words of the passage are boxed
        words = chunk.text.split()
        phrases = [" ".join(words[i:i + 3]) for i in range(len(words) - 2)]
        hits = [fractions(rect, page) for phrase in phrases for rect in page.search_for(phrase)]
        first = [fractions(rect, page) for rect in page.search_for(phrases[0])]
        last = [fractions(rect, page) for rect in page.search_for(phrases[-1])]
    assert len(view.boxes) >= 5  # one per line of the passage
    assert all(0 <= box.x0 < box.x1 <= 1 and 0 <= box.y0 < box.y1 <= 1 for box in view.boxes)
    assert all(any(intersects(box, hit) for hit in hits) for box in view.boxes)
    assert any(intersects(box, hit) for box in view.boxes for hit in first)
    assert any(intersects(box, hit) for box in view.boxes for hit in last)

    # the second time everything comes from the cache: no file is written again
    written = {path.name: path.stat().st_mtime_ns for path in image.parent.iterdir()}
    assert call(read_page, user=owner, document_id=document.id, chunk_id=chunk.id).boxes == view.boxes
    assert call(page_picture, user=owner, document_id=document.id, number=9, settings=get_settings()).path == image
    assert {path.name: path.stat().st_mtime_ns for path in image.parent.iterdir()} == written

    # another page of the same document: its image, no boxes
    other = call(read_page, user=owner, document_id=document.id, number=10, chunk_id=chunk.id)
    assert (other.image, other.boxes) == (True, [])
    assert (image.parent / "10.png").read_bytes()[:8] == PNG_SIGNATURE

    # a text document keeps the text view only
    note = make_document(owner, content=b"Blood pressure 120/80 on Monday morning.")
    with session_scope() as session:
        session.add(DocumentPage(document_id=note.id, ord=0, number=1, text="Blood pressure 120/80 on Monday morning."))
    text_view = call(read_page, user=owner, document_id=note.id)
    assert (text_view.image, text_view.boxes, text_view.image_error) == (False, [], None)
    assert text_view.segments
    with pytest.raises(NotFound) as no_image:
        call(page_picture, user=owner, document_id=note.id, number=1, settings=get_settings())
    assert no_image.value.code == "viewer.no_image"

    # deleting the document deletes its cached pages
    call(delete_document, user=owner, document_id=document.id, settings=get_settings())
    assert not image.parent.exists()


def test_a_passage_over_two_columns_is_boxed_line_by_line_in_both():
    # page 6 of the CDC guide: two columns; the passage starts mid-line near the end of the left column
    # and ends mid-line in the right one (a rejoined hyphen-free text, as extraction gives it)
    passage = ("contract) to manage the facility's infection prevention program. This individual should be "
               "involved in the development of written infection prevention policies and have regular "
               "communication with HCP to address specific issues or concerns related to infection prevention. "
               "The development and ongoing refinement of infection prevention policies and procedures should "
               "be based on evidence-based guidelines, regulations, or standards. These policies and procedures "
               "should be tailored to the facility and re-assessed on a regular basis (e.g., annually), taking "
               "into consideration the types of services provided by the facility and the patient population "
               "that is served. This process (referred to as risk assessment by the Infection Prevention "
               "profession) will allow facilities to better prioritize resources and focus extra attention on "
               "those areas that are determined to pose greater risk to their patients.")
    with pymupdf.open(CDC_PDF) as pdf:
        page = pdf[5]
        boxes = page_images.passage_boxes(page, passage)
        starts = [fractions(rect, page) for rect in page.search_for("contract) to manage")]
        ends = [fractions(rect, page) for rect in page.search_for("greater risk to their patients")]
        words = passage.split()
        hits = [fractions(rect, page) for i in range(len(words) - 2)
                for rect in page.search_for(" ".join(words[i:i + 3]))]

    assert len(boxes) == 20  # 16 lines in the left column, 4 in the right
    assert all(any(intersects(box, hit) for hit in hits) for box in boxes)
    assert intersects(boxes[0], starts[0]) and boxes[0].x0 > 0.25  # from the middle of its line
    assert intersects(boxes[-1], ends[0])
    assert [box.x0 < 0.5 for box in boxes] == [True] * 16 + [False] * 4


def test_a_damaged_or_slow_pdf_fails_with_its_reason_in_time(make_user, make_document, crafted_pdf, tmp_path):
    owner = make_user()
    damaged = make_document(owner, filename="damaged.pdf", content=b"%PDF-1.4\n1 0 obj << /Type /Catalog",
                            media_type="application/pdf")
    with session_scope() as session:
        session.add(DocumentPage(document_id=damaged.id, ord=0, number=1, text="Glucose 5.4 mmol/L"))

    view = call(read_page, user=owner, document_id=damaged.id)

    assert (view.image, view.image_error) == (False, CORRUPT)
    assert [segment.text for segment in view.segments] == ["Glucose 5.4 mmol/L"]  # the text is still shown
    with pytest.raises(InvalidInput) as refused:
        call(page_picture, user=owner, document_id=damaged.id, number=1, settings=get_settings())
    assert refused.value.code == CORRUPT

    # a page drawing 20 million glyphs outside itself: stopped at the time limit, the next page is drawn
    line = b"1 0 0 1 10 -400 Tm (" + b"A" * 1000 + b") Tj\n"
    slow = crafted_pdf(tmp_path / "slow.pdf", b"BT /F1 10 Tf\n" + line * 20_000 + b"ET\n")
    started = time.monotonic()
    with pytest.raises(ExtractionError) as stopped:
        page_images.render(slow, 1, passage="any passage at all", timeout=1)
    assert stopped.value.code == TIMEOUT
    assert time.monotonic() - started < 3
    data, boxes = page_images.render(WHO_PDF, 3)
    assert data[:8] == PNG_SIGNATURE and boxes is None

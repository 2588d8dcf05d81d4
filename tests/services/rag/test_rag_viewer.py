"""The citation viewer: ingestion keeps each page's text, a citation opens its page with the passage
marked, pages can be walked, and nobody else can open the document or its file."""

from __future__ import annotations

import pytest
from sqlmodel import select
from support.data import SHARED_DATA

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.core.errors import NotFound
from assistant.models import Chunk, DocumentPage
from assistant.services.rag import ingest
from assistant.services.rag.viewer import Segment, mark_passage, original_file, read_page

WHO_PDF = SHARED_DATA / "pdfs/health/WHO_EMRO_Healthy-diet_2019.pdf"


def call(fn, **kwargs):
    with session_scope() as session:
        return fn(session=session, **kwargs)


@pytest.fixture
def who_report(make_user, make_document):
    """A user and their ingested 20-page WHO report."""
    owner = make_user()
    document = make_document(owner, status="pending", filename="Healthy diet.pdf", content=WHO_PDF,
                             media_type="application/pdf")
    assert ingest.run_job(document.id) == "completed"
    return owner, document


def test_a_citation_opens_its_page_with_the_passage_marked(who_report):
    owner, document = who_report
    with session_scope() as session:
        pages = session.exec(select(DocumentPage).where(DocumentPage.document_id == document.id)
                             .order_by(DocumentPage.ord)).all()
        assert [p.number for p in pages] == list(range(1, 21))
        chunk = session.exec(select(Chunk).where(Chunk.document_id == document.id,
                                                 Chunk.text.contains("Energy intake (calories) should be in balance"))
                             ).one()

    view = call(read_page, user=owner, document_id=document.id, chunk_id=chunk.id)

    assert (view.title, view.number, view.position, view.pages) == ("Healthy diet.pdf", 9, 9, 20)
    assert (view.previous_number, view.next_number) == (8, 10)
    assert view.passage_found
    [marked] = [s for s in view.segments if s.marked]
    assert " ".join(marked.text.split()) == chunk.text
    assert "".join(s.text for s in view.segments) == pages[8].text

    other_page = call(read_page, user=owner, document_id=document.id, number=10, chunk_id=chunk.id)
    assert other_page.number == 10 and not other_page.passage_found
    assert not any(s.marked for s in other_page.segments)
    first = call(read_page, user=owner, document_id=document.id)
    assert (first.number, first.previous_number, first.next_number) == (1, None, 2)
    with pytest.raises(NotFound) as missing:
        call(read_page, user=owner, document_id=document.id, number=21)
    assert missing.value.code == "documents.page_not_found"

    # reindexing replaces the page texts instead of adding to them
    with session_scope() as session:
        session.get(type(document), document.id).status = "pending"
    assert ingest.run_job(document.id) == "completed"
    assert call(read_page, user=owner, document_id=document.id, number=20).pages == 20


def test_another_user_gets_not_found_for_the_page_the_passage_and_the_file(who_report, make_user, make_document):
    owner, document = who_report
    stranger = make_user()
    with session_scope() as session:
        chunk_id = session.exec(select(Chunk.id).where(Chunk.document_id == document.id)).first()

    for attempt in (lambda: call(read_page, user=stranger, document_id=document.id),
                    lambda: call(read_page, user=stranger, document_id=document.id, chunk_id=chunk_id, number=1),
                    lambda: call(original_file, user=stranger, document_id=document.id, settings=get_settings())):
        with pytest.raises(NotFound) as refused:
            attempt()
        assert refused.value.code == "documents.not_found"

    path, filename, media_type = call(original_file, user=owner, document_id=document.id, settings=get_settings())
    assert path.read_bytes() == WHO_PDF.read_bytes()
    assert (filename, media_type) == ("Healthy diet.pdf", "application/pdf")

    # the owner's chunk named with another of their documents marks nothing there
    view = call(read_page, user=owner, document_id=make_document(owner).id, chunk_id=chunk_id)
    assert (view.pages, view.segments, view.passage_found) == (0, [], False)


def test_the_passage_is_found_across_line_breaks_and_paragraphs():
    page = "Results\n\nLDL cholesterol 4.2\nmmol/L, flagged high.\n\nHDL 1.1 mmol/L."

    assert mark_passage(page, "LDL cholesterol 4.2 mmol/L, flagged high. HDL 1.1") == [
        Segment("Results\n\n"),
        Segment("LDL cholesterol 4.2\nmmol/L, flagged high.\n\nHDL 1.1", marked=True),
        Segment(" mmol/L."),
    ]
    assert mark_passage(page, "Not on this page") is None
    assert mark_passage(page, "") is None

"""Extraction in the sandboxed subprocess: formats, page numbers, headings, and every kind of bad file
ending in its own error code (no database needed)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from support.data import SHARED_DATA

from assistant.services.rag import extract
from assistant.services.rag.extract import ExtractionError, iter_pages

DATA = SHARED_DATA
WHO_PDF = DATA / "pdfs/health/WHO_EMRO_Healthy-diet_2019.pdf"
NIDDK_PDF = DATA / "pdfs/health/NIDDK_Eating_Diabetes_508.pdf"
SCANNED_PDF = DATA / "pdfs/scanned/sample-4page-issue.pdf"


def pages_of(path: Path, media_type: str = "application/pdf", **limits) -> list[extract.Page]:
    return [page for page, _count in iter_pages(path, media_type, **limits)]


def error_of(path: Path, media_type: str = "application/pdf", **limits) -> ExtractionError:
    with pytest.raises(ExtractionError) as caught:
        pages_of(path, media_type, **limits)
    return caught.value


def test_pdf_pages_keep_their_numbers_and_headings():
    pages = pages_of(WHO_PDF)
    assert [p.number for p in pages] == list(range(1, 21))
    [page9] = [p for p in pages if "Energy intake (calories) should be in balance with energy expenditure" in p.text]
    assert page9.number == 9
    assert all(p.headings[0][0] == 0 for p in pages)

    niddk = pages_of(NIDDK_PDF)
    assert "Physical activity is an important part of staying healthy" in " ".join(niddk[11].text.split())
    assert niddk[11].number == 12
    # The outline (bookmarks) gives the heading path: page 8 starts "Blood Glucose Levels".
    assert niddk[7].headings[-1][1] == ("Blood Glucose Levels",)


def test_plain_text_markdown_csv_and_html(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_bytes("First paragraph.\n\nSecond one, in Windows-1251: приём.".encode("cp1251"))
    [page] = pages_of(text, "text/plain")
    assert page.number is None and "приём" in page.text and page.headings == ((0, ()),)

    markdown = tmp_path / "notes.md"
    markdown.write_text("# Results\n\nGlucose was fine.\n\n## Lipids\n\nLDL 2.1 mmol/L.\n\n```\n# not a heading\n```\n")
    [page] = pages_of(markdown, "text/markdown")
    paths = [path for _, path in page.headings]
    assert paths == [("Results",), ("Results", "Lipids")]
    assert page.text[page.headings[1][0]:].startswith("Lipids")
    assert "# not a heading" in page.text

    table = tmp_path / "labs.csv"
    table.write_text("test,value,unit\nGlucose,5.4,mmol/L\nHbA1c,6.1,%\n")
    [page] = pages_of(table, "text/csv")
    assert page.text.split("\n\n") == ["test: Glucose; value: 5.4; unit: mmol/L", "test: HbA1c; value: 6.1; unit: %"]

    html = tmp_path / "page.html"
    html.write_text("<html><head><title>T</title><style>p{color:red}</style></head><body>"
                    "<h1>Letter</h1><p>Dear patient,&nbsp;take <b>one</b> tablet.</p>"
                    "<script>alert('x')</script><h2>Follow-up</h2><p>In two weeks.</p></body></html>")
    [page] = pages_of(html, "text/html")
    assert "alert" not in page.text and "color" not in page.text
    assert "Dear patient, take one tablet." in page.text
    assert [path for _, path in page.headings] == [("Letter",), ("Letter", "Follow-up")]


def test_epub_through_pymupdf(tmp_path):
    book = tmp_path / "book.epub"
    with zipfile.ZipFile(book, "w") as epub:
        epub.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        epub.writestr("META-INF/container.xml",
                      '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:'
                      'container"><rootfiles><rootfile full-path="content.opf" media-type="application/oebps-package'
                      '+xml"/></rootfiles></container>')
        epub.writestr("content.opf",
                      '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" '
                      'unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier '
                      'id="id">x</dc:identifier><dc:title>Book</dc:title></metadata><manifest><item id="c1" '
                      'href="c1.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c1"/>'
                      '</spine></package>')
        epub.writestr("c1.xhtml", '<html xmlns="http://www.w3.org/1999/xhtml"><body><h1>Chapter</h1>'
                                  "<p>The Martians landed near Woking.</p></body></html>")
    pages = pages_of(book, "application/epub+zip")
    assert pages[0].number == 1
    assert "The Martians landed near Woking." in pages[0].text


def test_docx_paragraphs_tables_and_headings_in_body_order(tmp_path, medical_docx):
    [page] = pages_of(medical_docx(tmp_path / "letter.docx"), extract.DOCX_TYPE)
    assert page.number is None
    assert page.text.split("\n\n") == [
        "Выписка из истории болезни",
        "Пациентка: Анна Петрова, 54 года.",
        "Анализы крови",
        "Кровь взята натощак.",
        "Показатель | Значение | Единицы",
        "Глюкоза | 5,4 | ммоль/л",
        "HbA1c | 6,1 | %",
        "Комментарий: | без особенностей",  # a cell spanning two columns is one cell
        "Липидный профиль",
        "LDL cholesterol 2.1 mmol/L is within the target range.",
        "Рекомендации",
        "Меньше сахара, больше овощей.",
    ]
    title = "Выписка из истории болезни"
    assert [path for _, path in page.headings] == [
        (title,), (title, "Анализы крови"), (title, "Анализы крови", "Липидный профиль"), (title, "Рекомендации"),
    ]
    for offset, path in page.headings:  # each change of path starts at its heading's text
        assert page.text[offset:].startswith(path[-1])
    # The table sits under "Анализы крови" (from its offset up to the next heading).
    table_at = page.text.index("Глюкоза | 5,4")
    assert max((o, p) for o, p in page.headings if o <= table_at)[1] == (title, "Анализы крови")


def test_docx_reads_content_controls_and_revisions_but_not_deleted_text_or_drawings(tmp_path):
    import docx
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    mc = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    document = docx.Document()
    document.add_paragraph("Before.")
    body = document.element.body
    sect = body[-1]  # the section properties stay last
    for xml in (
        # a table of contents (repeats the headings) and a content control around a paragraph
        f'<w:sdt {w}><w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents"/></w:docPartObj>'
        '</w:sdtPr><w:sdtContent><w:p><w:r><w:t>Contents 1</w:t></w:r></w:p></w:sdtContent></w:sdt>',
        f'<w:sdt {w}><w:sdtContent><w:p><w:r><w:t>Inside a content control.</w:t></w:r></w:p></w:sdtContent></w:sdt>',
        # tracked changes: the inserted words count, the deleted ones do not
        f'<w:p {w}><w:r><w:t xml:space="preserve">Dose </w:t></w:r><w:del w:id="1" w:author="a"><w:r>'
        '<w:delText>10 mg</w:delText></w:r></w:del><w:ins w:id="2" w:author="a"><w:r><w:t>20 mg</w:t></w:r>'
        '</w:ins><w:r><w:tab/><w:t>daily</w:t></w:r></w:p>',
        # a text box drawn in a paragraph, with its VML fallback: neither is body text
        f'<w:p {w} {mc}><w:r><w:t>Around a box.</w:t></w:r><w:r><mc:AlternateContent><mc:Choice Requires="wps">'
        '<w:drawing><w:txbxContent><w:p><w:r><w:t>BOXED</w:t></w:r></w:p></w:txbxContent></w:drawing>'
        '</mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>BOXED</w:t></w:r></w:p></w:txbxContent>'
        '</w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>',
        # a paragraph made a heading by its own outline level
        f'<w:p {w}><w:pPr><w:outlineLvl w:val="0"/></w:pPr><w:r><w:t>Outlined heading</w:t></w:r></w:p>',
        f'<w:p {w}><w:r><w:t>After.</w:t></w:r></w:p>',
    ):
        sect.addprevious(parse_xml(xml))
    document.save(str(tmp_path / "revised.docx"))

    [page] = pages_of(tmp_path / "revised.docx", extract.DOCX_TYPE)
    assert page.text.split("\n\n") == [
        "Before.", "Inside a content control.", "Dose 20 mg daily", "Around a box.", "Outlined heading", "After.",
    ]
    assert [path for _, path in page.headings] == [(), ("Outlined heading",)]


def test_docx_text_limit(tmp_path, medical_docx):
    error = error_of(medical_docx(tmp_path / "letter.docx"), extract.DOCX_TYPE, max_chars=100)
    assert error.code == extract.TOO_LARGE and "100 characters" in error.detail


def written(name: str, data: bytes):
    """A builder of a bad input: ``data`` written to ``name`` in the test's folder."""

    def build(folder: Path) -> Path:
        (folder / name).write_bytes(data)
        return folder / name

    return build


def zipped(name: str, members: dict[str, str]):
    """A builder of a ZIP named ``name`` holding ``members`` (name -> text)."""

    def build(folder: Path) -> Path:
        with zipfile.ZipFile(folder / name, "w") as archive:
            for member, text in members.items():
                archive.writestr(member, text)
        return folder / name

    return build


BAD_FILES = {
    "zero-byte-pdf": (written("empty.pdf", b""), "application/pdf", extract.CORRUPT),
    "zero-byte-text": (written("empty.txt", b""), "text/plain", extract.NO_TEXT),
    "text-as-pdf": (written("t.pdf", b"just some words, not a PDF\n"), "application/pdf", extract.CORRUPT),
    "html-as-pdf": (written("h.pdf", b"<html><body>hi</body></html>"), "application/pdf", extract.CORRUPT),
    "binary-as-text": (written("b.txt", b"\x00\x01\x02" * 100), "text/plain", extract.CORRUPT),
    "truncated-docx": (written("d.docx", b"PK\x03\x04"), extract.DOCX_TYPE, extract.CORRUPT),
    "zip-as-docx": (zipped("z.docx", {"notes.txt": "not a Word document"}), extract.DOCX_TYPE, extract.CORRUPT),
    "docm-as-docx": (zipped("m.docx", {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                               '<Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.'
                               'document.macroEnabled.main+xml"/></Types>',
        "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                       '<Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                       'relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        "word/document.xml": "<w:document/>"}), extract.DOCX_TYPE, extract.CORRUPT),
    "msword": (written("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512), "application/msword",
               extract.UNSUPPORTED),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_files_fail_with_their_code(tmp_path, kind):
    build, media_type, code = BAD_FILES[kind]
    assert error_of(build(tmp_path), media_type).code == code


def test_truncated_and_scanned_pdfs(tmp_path):
    truncated = tmp_path / "cut.pdf"
    truncated.write_bytes(WHO_PDF.read_bytes()[:700_000])
    assert error_of(truncated).code == extract.CORRUPT
    error = error_of(SCANNED_PDF)
    assert error.code == extract.NO_TEXT and "OCR" in error.detail


def test_encrypted_pdf(tmp_path):
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Confidential lab results")
    doc.save(tmp_path / "locked.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    error = error_of(tmp_path / "locked.pdf")
    assert error.code == extract.ENCRYPTED


def test_too_many_pages_refused_before_reading():
    error = error_of(WHO_PDF, max_pages=19)
    assert error.code == extract.TOO_LARGE and "20 pages" in error.detail
    assert len(pages_of(WHO_PDF, max_pages=20)) == 20


def test_running_headers_and_footers_are_dropped(tmp_path):
    import pymupdf

    doc = pymupdf.open()
    for number in range(1, 7):
        page = doc.new_page()
        page.insert_text((72, 40), "Clinic report - confidential")
        page.insert_text((72, 300), f"Finding number {number} is written on this page.")
        page.insert_text((72, 800), f"Page {number} of 6")
    doc.save(tmp_path / "report.pdf")
    pages = pages_of(tmp_path / "report.pdf")
    assert [p.text for p in pages] == [f"Finding number {n} is written on this page." for n in range(1, 7)]


def test_memory_bomb_dies_alone_within_the_memory_limit(tmp_path, crafted_pdf):
    # 20 million glyphs on one page: a 45 kB file whose text layout needs about 1.3 GB.
    line = b"1 0 0 1 10 400 Tm (" + b"A" * 1000 + b") Tj\n"
    pdf = crafted_pdf(tmp_path / "bomb.pdf", b"BT /F1 0.5 Tf\n" + line * 20_000 + b"ET\n")
    assert pdf.stat().st_size < 100_000
    error = error_of(pdf)
    assert error.code == extract.TOO_LARGE, error.detail


def test_slow_pdf_is_stopped_at_the_time_limit(tmp_path, crafted_pdf):
    # 100 pages that each draw 20 million glyphs outside the page: little memory, seconds per page.
    line = b"1 0 0 1 10 -400 Tm (" + b"A" * 1000 + b") Tj\n"
    pdf = crafted_pdf(tmp_path / "slow.pdf", b"BT /F1 10 Tf\n" + line * 20_000 + b"ET\n", pages=100)
    error = error_of(pdf, timeout=3)
    assert error.code == extract.TIMEOUT, error.detail

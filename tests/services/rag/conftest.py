"""Fixtures of the document and retrieval tests."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def crafted_pdf() -> Callable[..., Path]:
    """``crafted_pdf(path, content, pages=1)`` writes a hand-made PDF whose ``pages`` pages all draw the
    same deflated content stream ``content`` (Helvetica as /F1), e.g. millions of glyphs in a few kB."""

    def _write(path: Path, content: bytes, *, pages: int = 1) -> Path:
        stream = zlib.compress(content, 9)
        kids = " ".join(f"{5 + i} 0 R" for i in range(pages))
        objects = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ] + [
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
            b"/Contents 3 0 R >>"
        ] * pages
        out = b"%PDF-1.4\n"
        offsets = []
        for number, body in enumerate(objects, 1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
        path.write_bytes(out)
        return path

    return _write


@pytest.fixture
def medical_docx() -> Callable[[Path], Path]:
    """``medical_docx(path)`` writes a real Word document made with python-docx: a ``Title``, body
    paragraphs in Russian and English, ``Heading 1``/``Heading 2`` sections, and a results table (a
    header row, two rows of values, a cell spanning two columns)::

        Title      Выписка из истории болезни
        body       Пациентка: Анна Петрова, 54 года.
        Heading 1  Анализы крови
        body       Кровь взята натощак.
        table      Показатель | Значение | Единицы
                   Глюкоза | 5,4 | ммоль/л
                   HbA1c | 6,1 | %
                   Комментарий: без особенностей      (spans the last two columns)
        Heading 2  Липидный профиль
        body       LDL cholesterol 2.1 mmol/L is within the target range.
        Heading 1  Рекомендации
        body       Меньше сахара, больше овощей.
    """

    def _write(path: Path) -> Path:
        import docx

        document = docx.Document()
        document.add_heading("Выписка из истории болезни", 0)
        document.add_paragraph("Пациентка: Анна Петрова, 54 года.")
        document.add_heading("Анализы крови", 1)
        document.add_paragraph("Кровь взята натощак.")
        table = document.add_table(rows=4, cols=3)
        for row, values in enumerate([("Показатель", "Значение", "Единицы"), ("Глюкоза", "5,4", "ммоль/л"),
                                      ("HbA1c", "6,1", "%")]):
            for column, value in enumerate(values):
                table.cell(row, column).text = value
        table.cell(3, 0).text = "Комментарий:"
        table.cell(3, 1).merge(table.cell(3, 2)).text = "без особенностей"
        document.add_heading("Липидный профиль", 2)
        document.add_paragraph("LDL cholesterol 2.1 mmol/L is within the target range.")
        document.add_heading("Рекомендации", 1)
        document.add_paragraph("Меньше сахара, больше овощей.")
        document.save(str(path))
        return path

    return _write

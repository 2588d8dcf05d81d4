"""Fixtures of the document and retrieval tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support.crafted_pdf import crafted_pdf as write_crafted_pdf


@pytest.fixture
def crafted_pdf() -> Callable[..., Path]:
    """``crafted_pdf(path, content, pages=1, count=None)`` writes a hand-made PDF whose ``pages`` pages all
    draw the same deflated content stream ``content`` (see :func:`support.crafted_pdf.crafted_pdf`)."""
    return write_crafted_pdf


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

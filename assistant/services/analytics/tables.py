"""The shape every analytics query returns: a named table of plain values, and its CSV form."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

#: A cell: a day, a count, milliseconds or a label.
Cell = date | int | float | str

#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Table:
    """``key``: the table's name (an i18n suffix, a CSV file name); ``columns``: column keys; ``rows``: one
    tuple of cells per row, in the columns' order."""

    key: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]


def cell(value: Any) -> Cell:
    """A database value as a table cell: None -> ``""``, Decimal -> float (rounded to 0.1), else as it is."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return round(float(value), 1)
    if isinstance(value, date | int | float | str):
        return value
    return str(value)


def safe_cell(value: Cell) -> str:
    """``value`` as CSV text a spreadsheet never runs: text starting with ``= + - @`` (or a tab or carriage
    return) gets a leading ``'``; numbers and days are written as they are."""
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_csv(table: Table, header: list[str] | None = None) -> str:
    """``table`` as CSV (RFC 4180, ``\\r\\n`` line ends): a header row (``header``, or the column keys) and the
    rows, every cell through :func:`safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(name) for name in (header or list(table.columns))])
    writer.writerows([safe_cell(value) for value in row] for row in table.rows)
    return out.getvalue()

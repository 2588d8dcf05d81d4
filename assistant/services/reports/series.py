"""Vitals and lab values of a health summary as series: facts such as ``"HbA1c 6.1 % on 2026-03-02"`` or
``"Давление 135/85 мм рт. ст."`` parsed into ``(name, value, unit, day)`` and grouped by name and unit, each
series drawn as a small inline SVG chart (numbers only: no text of the user's reaches the SVG).

Parsing is deliberately narrow: a fact must start with a name (letters first, at most :data:`MAX_NAME_WORDS`
words), then a number (``6.1``, ``6,1``, or a pair ``120/80``), then optionally a unit; a date in the text
(``2026-03-02`` or ``02.03.2026``) is the day of the value, else the fact's ``valid_from``, else the day it was
stored. Anything else is returned unparsed and listed as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup

#: A series' name has at most this many words (a longer text is a sentence, not a measurement).
MAX_NAME_WORDS = 6
#: The chart's size in CSS millimetres and the most points drawn (the latest ones).
CHART_WIDTH_MM, CHART_HEIGHT_MM = 80, 22
MAX_CHART_POINTS = 60

_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DOTTED_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_NUMBER = r"[-+]?\d+(?:[.,]\d+)?"
_MEASUREMENT = re.compile(
    rf"^\s*(?P<name>[^\W\d_][^:=]*?)\s*[:=]?\s+"
    rf"(?P<value>{_NUMBER}(?:\s*/\s*{_NUMBER})?)\s*"
    r"(?P<unit>%|°\s?[CF]|[^\W\d_][^\s,;()]*(?:\s(?:рт\.|ст\.)+)*)?")


@dataclass(frozen=True)
class Reading:
    """One parsed value: ``values`` (one number, or two for a pair such as blood pressure), ``text`` as the
    fact wrote it (``"120/80"``), ``day``."""

    name: str
    unit: str
    values: tuple[float, ...]
    text: str
    day: date


@dataclass
class Series:
    """The readings of one measurement (same name, case-insensitively, and unit), oldest first; ``refs``:
    the footnote number of each reading."""

    name: str
    unit: str
    readings: list[Reading] = field(default_factory=list)
    refs: list[int] = field(default_factory=list)


def _day_in_text(text: str) -> tuple[date | None, str]:
    """The first date written in ``text`` and the text without it."""
    for pattern, order in ((_ISO_DATE, (0, 1, 2)), (_DOTTED_DATE, (2, 1, 0))):
        match = pattern.search(text)
        if match is None:
            continue
        parts = [int(part) for part in match.groups()]
        try:
            found = date(parts[order[0]], parts[order[1]], parts[order[2]])
        except ValueError:
            continue
        return found, (text[:match.start()] + text[match.end():]).strip()
    return None, text


def _number(text: str) -> float:
    return float(text.replace(",", ".").replace(" ", ""))


def parse_reading(text: str, fallback_day: date) -> Reading | None:
    """``text`` as a reading, or None when it is not "name value [unit]" (see the module docstring).
    ``fallback_day``: the day when the text names none."""
    day, rest = _day_in_text(text)
    match = _MEASUREMENT.match(rest)
    if match is None:
        return None
    name = " ".join(match["name"].split()).strip(" -–:")
    if not name or len(name.split()) > MAX_NAME_WORDS or len(name) > 80:
        return None
    raw = re.sub(r"\s+", "", match["value"])
    values = tuple(_number(part) for part in raw.split("/"))
    unit = " ".join((match["unit"] or "").split()).rstrip(",;")
    unit = unit if " " in unit else unit.rstrip(".")
    return Reading(name=name, unit=unit, values=values, text=raw.replace(",", "."), day=day or fallback_day)


def group_series(readings: Iterable[tuple[Reading, int]]) -> list[Series]:
    """``(reading, footnote)`` pairs grouped into series by name (ignoring case) and unit, each oldest first;
    series in the order of their names."""
    grouped: dict[tuple[str, str], Series] = {}
    for reading, ref in readings:
        key = (reading.name.casefold(), reading.unit.casefold())
        series = grouped.setdefault(key, Series(name=reading.name, unit=reading.unit))
        series.readings.append(reading)
        series.refs.append(ref)
    for series in grouped.values():
        order = sorted(range(len(series.readings)), key=lambda i: series.readings[i].day)
        series.readings = [series.readings[i] for i in order]
        series.refs = [series.refs[i] for i in order]
    return sorted(grouped.values(), key=lambda series: (series.name.casefold(), series.unit.casefold()))


def chart_svg(series: Series) -> Markup:
    """A small line chart of ``series`` as inline SVG (one line per component of the values, its points
    marked; time on the x axis by day, the y axis from the lowest to the highest value); an empty string for
    fewer than two readings. Only numbers are written into it."""
    readings = series.readings[-MAX_CHART_POINTS:]
    if len(readings) < 2:
        return Markup("")
    width, height, pad = 400.0, 110.0, 8.0
    first, last = readings[0].day.toordinal(), readings[-1].day.toordinal()
    span_x = max(last - first, 1)
    numbers = [value for reading in readings for value in reading.values]
    low, high = min(numbers), max(numbers)
    span_y = (high - low) or 1.0

    def x(reading: Reading, index: int) -> float:
        if last == first:
            return pad + (width - 2 * pad) * index / (len(readings) - 1)
        return pad + (width - 2 * pad) * (reading.day.toordinal() - first) / span_x

    def y(value: float) -> float:
        return height - pad - (height - 2 * pad) * (value - low) / span_y

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
             f'width="{CHART_WIDTH_MM}mm" height="{CHART_HEIGHT_MM}mm" class="chart">',
             f'<rect x="0.5" y="0.5" width="{width - 1:.0f}" height="{height - 1:.0f}" fill="none" '
             'stroke="#bbb" stroke-width="1"/>']
    components = min(len(reading.values) for reading in readings)
    for component, color in zip(range(components), ("#1f5fa8", "#b5472b"), strict=False):
        points = [(x(reading, index), y(reading.values[component])) for index, reading in enumerate(readings)]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts.extend(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{color}"/>' for px, py in points)
    parts.append("</svg>")
    return Markup("".join(parts))

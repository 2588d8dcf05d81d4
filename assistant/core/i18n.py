"""The message catalogue (``assistant/i18n/{en,ru}.json``), lookup with placeholders and plural forms, and
numbers, file sizes, dates and times in the user's language and time zone (through Babel, CLDR data).

Keys are dotted (``auth.invalid_credentials``). A value is either

- a plain string, which may hold ``{name}`` placeholders filled with :meth:`str.format_map`, or
- a plural message: an object naming its count parameter and one text per CLDR plural category the
  language needs (English ``one``, ``other``; Russian ``one``, ``few``, ``many``, ``other``; ``other`` also
  covers fractions)::

      "documents.too_many": {"count": "limit",
                             "one": "You have reached the limit of {limit} document.",
                             "other": "You have reached the limit of {limit} documents."}

  :func:`translate` picks the text by the value of the parameter named in ``count``.

Numbers among the parameters are written the language's way (``1,000`` / ``1 000``). A key missing from a
language falls back to English, then to the key itself. The frontend only receives the plain strings
(:func:`catalogue`); plural messages are resolved on the server.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeGuard, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, dates, numbers, units

LANGUAGES = ("en", "ru")
#: Each language's English name (told to the model, which answers in the user's language).
LANGUAGE_NAMES = {"en": "English", "ru": "Russian"}
DEFAULT_LANGUAGE = "en"
#: The key of a plural message that names its count parameter.
COUNT_FIELD = "count"
_CATALOGUE_DIR = Path(__file__).resolve().parents[1] / "i18n"
#: CLDR units of :func:`format_size`, each 1024 times the one before.
_SIZE_UNITS = ("digital-byte", "digital-kilobyte", "digital-megabyte", "digital-gigabyte", "digital-terabyte")

Message = str | dict[str, str]
Number = int | float | Decimal
#: A CLDR date or time length.
Length = Literal["short", "medium", "long", "full"]


def _language(language: str) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(_language(language))


@cache
def messages(language: str) -> dict[str, Message]:
    """Every message of ``language`` (unknown languages: English) as stored: key -> plain string, or key ->
    plural message ``{"count": <parameter name>, "<category>": <text>, ...}``."""
    text = (_CATALOGUE_DIR / f"{_language(language)}.json").read_text(encoding="utf-8")
    return cast(dict[str, Message], json.loads(text))


@cache
def catalogue(language: str) -> dict[str, str]:
    """The plain-string messages of ``language`` (``en`` or ``ru``; others: English) as a flat key -> text
    mapping, as the pages get it. Plural messages are left out: build those with :func:`translate`."""
    return {key: text for key, text in messages(language).items() if isinstance(text, str)}


def plural_categories(language: str) -> frozenset[str]:
    """The CLDR plural categories ``language`` distinguishes, ``other`` included (en: one, other;
    ru: one, few, many, other)."""
    return _locale(language).plural_form.tags | {"other"}


def plural_category(count: Number, language: str) -> str:
    """The CLDR plural category of ``count`` in ``language``: ru 1, 21 -> ``one``; 2, 22 -> ``few``;
    5, 11, 0 -> ``many``; 1.5 -> ``other``. Negative counts take the category of their absolute value."""
    return _locale(language).plural_form(-count if count < 0 else count)


class _Defaulting(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _is_number(value: object) -> TypeGuard[Number]:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def translate(key: str, language: str = DEFAULT_LANGUAGE, **params: Any) -> str:
    """The message for ``key`` in ``language`` with ``params`` filled in.

    For a plural message the text is chosen by the parameter its ``count`` field names (a missing or
    non-numeric count takes the ``other`` text). Numeric parameters (not booleans) are written with
    :func:`format_number`; a placeholder without a parameter stays as ``{name}``. Never raises for an
    unknown key or language: English, then the key itself, stand in.
    """
    language = _language(language)
    entry = messages(language).get(key)
    if not entry:
        language, entry = DEFAULT_LANGUAGE, messages(DEFAULT_LANGUAGE).get(key) or key
    if isinstance(entry, dict):
        count = params.get(entry[COUNT_FIELD])
        category = plural_category(count, language) if _is_number(count) else "other"
        text = entry.get(category) or entry["other"]
    else:
        text = entry
    if not params:
        return text
    shown = {name: format_number(value, language) if _is_number(value) else value for name, value in params.items()}
    return text.format_map(_Defaulting(shown))


def format_number(value: Number, language: str, *, digits: int | None = None) -> str:
    """``value`` written the way ``language`` writes numbers: en ``1,234.5``, ru ``1 234,5`` (grouping with a
    no-break space). ``digits``: round to at most that many fraction digits (default: up to three);
    trailing zeros are dropped (``1.0`` -> ``1``)."""
    if digits is not None:
        value = round(value, digits) if isinstance(value, Decimal) else round(float(value), digits)
    return numbers.format_decimal(value, locale=_locale(language))


def format_size(size_bytes: int, language: str) -> str:
    """A file size for people: ``512 bytes``, ``1.5 kB``, ``2.3 MB`` (ru ``512 байт``, ``1,5 кБ``, ``2,3 МБ``).

    Units step by 1024 (as file managers count), up to TB; one fraction digit from kB on.

    Raises:
        ValueError: ``size_bytes`` is negative.
    """
    if size_bytes < 0:
        raise ValueError(f"a size cannot be negative: {size_bytes}")
    locale = _locale(language)
    if size_bytes < 1024:
        return units.format_unit(size_bytes, _SIZE_UNITS[0], length="long", locale=locale)
    value, unit = size_bytes / 1024, 1
    while round(value, 1) >= 1024 and unit < len(_SIZE_UNITS) - 1:
        value, unit = value / 1024, unit + 1
    return units.format_unit(round(value, 1), _SIZE_UNITS[unit], length="short", locale=locale)


def _zone(tz: str | dt.tzinfo | None) -> dt.tzinfo:
    if isinstance(tz, dt.tzinfo):
        return tz
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _local(value: dt.datetime, tz: str | dt.tzinfo | None) -> dt.datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(_zone(tz))


def format_datetime(value: dt.datetime, language: str, tz: str | dt.tzinfo | None, *, date: Length = "medium",
                    time: Length = "short") -> str:
    """The moment ``value`` as a local date and time in the IANA zone ``tz`` (``Europe/Berlin``), written in
    ``language``: en ``Mar 30, 2025, 3:30 AM``, ru ``30 мар. 2025 г., 03:30`` (defaults).

    ``date`` and ``time`` are CLDR lengths (``short``, ``medium``, ``long``, ``full``). A naive ``value`` is
    taken as UTC; an unknown or empty ``tz`` shows UTC rather than failing a page.
    """
    local = _local(value, tz)
    locale = _locale(language)
    return (str(dates.get_datetime_format(date, locale=locale)).replace("'", "")
            .replace("{0}", dates.format_time(local, time, tzinfo=None, locale=locale))
            .replace("{1}", dates.format_date(local, date, locale=locale)))


def format_date(value: dt.date | dt.datetime, language: str, tz: str | dt.tzinfo | None = None, *,
                format: Length = "medium") -> str:
    """A calendar date in ``language`` (en ``Mar 30, 2025``, ru ``30 мар. 2025 г.`` for ``medium``).

    A datetime is first moved into the zone ``tz`` (naive: UTC; unknown zone: UTC), so the day is the
    user's local day; a plain date is shown as it is. ``format``: ``short``, ``medium``, ``long`` or ``full``.
    """
    if isinstance(value, dt.datetime):
        value = _local(value, tz).date()
    return dates.format_date(value, format, locale=_locale(language))


def format_time(value: dt.datetime, language: str, tz: str | dt.tzinfo | None, *, format: Length = "short") -> str:
    """The local time of day of ``value`` in the zone ``tz`` (naive: UTC; unknown zone: UTC), in ``language``:
    en ``3:30 PM``, ru ``15:30`` for ``short``."""
    return dates.format_time(_local(value, tz), format, tzinfo=None, locale=_locale(language))

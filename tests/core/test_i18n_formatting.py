"""Plural forms, numbers, file sizes, dates and times in the user's language and time zone (Babel, CLDR)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from assistant.core.i18n import (
    format_date,
    format_datetime,
    format_number,
    format_size,
    format_time,
    plural_category,
    translate,
)

NBSP = "\u00a0"  # what Babel puts between a number and its unit, and between digit groups in Russian


def plain(text: str) -> str:
    """``text`` with no-break spaces written as spaces, to compare with readable literals."""
    return text.replace(NBSP, " ").replace("\u202f", " ")


@pytest.mark.parametrize(("count", "category"), [
    (1, "one"), (21, "one"), (101, "one"), (2, "few"), (4, "few"), (22, "few"),
    (5, "many"), (11, "many"), (12, "many"), (14, "many"), (0, "many"), (111, "many"), (1.5, "other"),
])
def test_russian_plural_categories(count, category):
    assert plural_category(count, "ru") == category


def test_english_plural_categories():
    assert [plural_category(n, "en") for n in (1, 0, 2, 5, 21, 1.5)] == ["one"] + ["other"] * 5


@pytest.mark.parametrize(("seconds", "word"), [
    (1, "секунду"), (2, "секунды"), (5, "секунд"), (11, "секунд"), (21, "секунду"), (22, "секунды"), (1.5, "секунды"),
])
def test_translate_picks_the_russian_form_by_the_count(seconds, word):
    text = translate("auth.too_many_attempts", "ru", seconds=seconds)
    assert text.endswith(f"через {format_number(seconds, 'ru')} {word}.")


@pytest.mark.parametrize(("limit", "word"), [(1, "документ"), (3, "документа"), (11, "документов"), (21, "документ")])
def test_translate_picks_the_form_for_documents(limit, word):
    assert translate("documents.too_many", "ru", limit=limit) == f"Достигнут предел в {limit} {word}."


def test_translate_picks_the_english_form_by_the_count():
    assert translate("auth.too_many_attempts", "en", seconds=1).endswith("Try again in 1 second.")
    assert translate("auth.too_many_attempts", "en", seconds=15).endswith("Try again in 15 seconds.")
    assert translate("chat.context.history_count", "en", count=1) == "1 earlier message of this chat"
    assert translate("chat.context.history_count", "en", count=21) == "21 earlier messages of this chat"


def test_a_plural_message_without_its_count_takes_the_other_form():
    assert translate("documents.too_many", "ru") == "Достигнут предел в {limit} документа."
    assert translate("documents.too_many", "en", limit="many") == "You have reached the limit of many documents."


def test_translate_writes_numbers_the_languages_way():
    assert translate("chat.message_too_long", "en", limit=32_000).startswith(
        "The message is too long: at most 32,000 characters.")
    assert plain(translate("chat.message_too_long", "ru", limit=32_000)).startswith(
        "Сообщение слишком длинное: не больше 32 000 символов.")
    assert translate("context.restored", "en", old=True, version=2) == "Version True restored as version 2."


def test_format_number():
    assert format_number(1234567.891, "en") == "1,234,567.891"
    assert plain(format_number(1234567.891, "ru")) == "1 234 567,891"
    assert format_number(2.25, "ru", digits=1) == "2,2"
    assert format_number(1.0, "en", digits=1) == "1"
    assert format_number(0, "ru") == "0"


@pytest.mark.parametrize(("size", "en", "ru"), [
    (0, "0 bytes", "0 байт"),
    (1, "1 byte", "1 байт"),
    (3, "3 bytes", "3 байта"),
    (512, "512 bytes", "512 байт"),
    (1023, "1,023 bytes", "1 023 байта"),
    (1024, "1 kB", "1 кБ"),
    (1536, "1.5 kB", "1,5 кБ"),
    (1024 * 1024 - 1, "1 MB", "1 МБ"),  # 1023.999 kB rounds up into the next unit, never "1,024 kB"
    (int(1.5 * 1024 ** 2), "1.5 MB", "1,5 МБ"),
    (int(2.34 * 1024 ** 3), "2.3 GB", "2,3 ГБ"),
    (5 * 1024 ** 4, "5 TB", "5 ТБ"),
])
def test_format_size(size, en, ru):
    assert plain(format_size(size, "en")) == en
    assert plain(format_size(size, "ru")) == ru


def test_format_size_refuses_a_negative_size():
    with pytest.raises(ValueError):
        format_size(-1, "en")


def test_a_date_across_the_spring_dst_change_in_berlin():
    """Berlin moves from UTC+1 to UTC+2 at 01:00 UTC on 30 March 2025: two instants an hour apart read two
    hours apart on the local clock."""
    before = dt.datetime(2025, 3, 30, 0, 30, tzinfo=dt.UTC)
    after = before + dt.timedelta(hours=1)
    assert plain(format_datetime(before, "en", "Europe/Berlin")) == "Mar 30, 2025, 1:30 AM"
    assert plain(format_datetime(after, "en", "Europe/Berlin")) == "Mar 30, 2025, 3:30 AM"
    assert plain(format_datetime(before, "ru", "Europe/Berlin")) == "30 мар. 2025 г., 01:30"
    assert plain(format_datetime(after, "ru", "Europe/Berlin")) == "30 мар. 2025 г., 03:30"


def test_a_date_across_the_autumn_dst_change_in_berlin():
    """On 26 October 2025 Berlin's clock shows 02:30 twice (UTC+2, then UTC+1)."""
    first = dt.datetime(2025, 10, 26, 0, 30, tzinfo=dt.UTC)
    second = first + dt.timedelta(hours=1)
    assert format_time(first, "ru", "Europe/Berlin") == format_time(second, "ru", "Europe/Berlin") == "02:30"
    assert format_datetime(first, "ru", "Europe/Berlin", time="full").endswith("Центральная Европа, летнее время")
    assert format_datetime(second, "ru", "Europe/Berlin", time="full").endswith("Центральная Европа, стандартное время")


def test_the_local_day_follows_the_time_zone():
    late = dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC)
    assert format_date(late, "en", "UTC") == "Dec 31, 2025"
    assert format_date(late, "en", "Europe/Berlin") == "Jan 1, 2026"
    assert plain(format_date(late, "ru", ZoneInfo("America/New_York"), format="long")) == "31 декабря 2025 г."
    assert plain(format_date(dt.date(2025, 5, 9), "ru", format="full")) == "пятница, 9 мая 2025 г."


def test_naive_times_are_utc_and_unknown_zones_show_utc():
    naive = dt.datetime(2025, 7, 1, 12, 0)
    assert plain(format_time(naive, "en", "Europe/Berlin")) == "2:00 PM"
    assert format_time(naive, "ru", "No/Such_Zone") == format_time(naive, "ru", None) == "12:00"


def test_unknown_languages_format_as_english():
    assert format_number(1234.5, "de") == "1,234.5"
    assert plain(format_size(1536, "xx")) == "1.5 kB"

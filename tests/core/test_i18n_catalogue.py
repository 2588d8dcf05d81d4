"""The message catalogues: same keys and placeholders in every language, every plural message with the forms its
language needs, every error code translated."""

from __future__ import annotations

import ast
import inspect
import re
import string
from pathlib import Path

import pytest

from assistant.core import errors
from assistant.core.i18n import COUNT_FIELD, LANGUAGES, catalogue, messages, plural_categories, translate

PACKAGE = Path(__file__).resolve().parents[2] / "assistant"
ERROR_CLASSES = sorted(
    name for name, obj in vars(errors).items() if inspect.isclass(obj) and issubclass(obj, errors.AppError)
)
# `raise Forbidden("errors.forbidden")`, `Unauthorized(\n "auth.x", ...)`, also when built before raising.
CODE_PATTERN = re.compile(r"\b(?:" + "|".join(ERROR_CLASSES) + r")\(\s*[\"']([^\"']+)[\"']")


def texts(entry: str | dict[str, str]) -> list[str]:
    """The texts of a catalogue entry: a plain message, or every form of a plural one."""
    return [entry] if isinstance(entry, str) else [text for form, text in entry.items() if form != COUNT_FIELD]


def placeholders(entry: str | dict[str, str]) -> set[str]:
    """The ``{name}`` fields of a message, over all forms of a plural one (its count parameter included)."""
    fields = {field for text in texts(entry) for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    return fields | ({entry[COUNT_FIELD]} if isinstance(entry, dict) else set())


def plural_keys(language: str) -> dict[str, dict[str, str]]:
    return {key: entry for key, entry in messages(language).items() if isinstance(entry, dict)}


def error_codes_in_source() -> dict[str, list[str]]:
    """Every literal error code passed to an AppError class anywhere in the package -> where."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for match in CODE_PATTERN.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.setdefault(match.group(1), []).append(f"{path.relative_to(PACKAGE.parent)}:{line}")
    return found


def test_both_languages_are_shipped():
    assert set(LANGUAGES) == {"en", "ru"}
    for language in LANGUAGES:
        assert (PACKAGE / "i18n" / f"{language}.json").is_file()


def test_languages_have_exactly_the_same_keys():
    en, ru = set(messages("en")), set(messages("ru"))
    assert sorted(en - ru) == [], "missing in ru.json"
    assert sorted(ru - en) == [], "missing in en.json"


def test_no_message_is_empty():
    for language in LANGUAGES:
        empty = [key for key, entry in messages(language).items()
                 if not all(isinstance(text, str) and text.strip() for text in texts(entry))]
        assert empty == [], f"empty messages in {language}.json"


def test_placeholders_are_identical_between_languages():
    en, ru = messages("en"), messages("ru")
    differing = {key: (placeholders(en[key]), placeholders(ru[key])) for key in en.keys() & ru.keys()
                 if placeholders(en[key]) != placeholders(ru[key])}
    assert differing == {}


def test_placeholders_are_plain_names():
    for language in LANGUAGES:
        for key, entry in messages(language).items():
            for name in placeholders(entry):
                assert name.isidentifier(), f"{language}.json {key}: bad placeholder {{{name}}}"


def test_russian_messages_are_actually_russian():
    en, ru = messages("en"), messages("ru")
    cyrillic = re.compile("[А-Яа-яЁё]")
    for key in ("auth.invalid_credentials", "auth.email_taken", "auth.password_too_long", "errors.forbidden"):
        for text in texts(ru[key]):
            assert cyrillic.search(text) and text not in texts(en[key]), key


def test_plural_messages_have_exactly_the_forms_their_language_needs():
    """ru: one, few, many, other; en: one, other; plus the name of the count parameter, which every form shows."""
    assert plural_categories("ru") == {"one", "few", "many", "other"}
    assert plural_categories("en") == {"one", "other"}
    for language in LANGUAGES:
        for key, entry in plural_keys(language).items():
            assert set(entry) == plural_categories(language) | {COUNT_FIELD}, f"{language}.json {key}"
            count = "{" + entry[COUNT_FIELD] + "}"
            assert all(count in entry[form] for form in plural_categories(language)), f"{language}.json {key}"


def test_plural_messages_count_the_same_parameter_in_every_language():
    en, ru = plural_keys("en"), plural_keys("ru")
    assert set(en) == set(ru)
    counted = {key: entry[COUNT_FIELD] for key, entry in en.items()}
    assert counted == {key: entry[COUNT_FIELD] for key, entry in ru.items()}


def test_the_known_plural_strings_are_plural_messages():
    for key in ("auth.too_many_attempts", "documents.too_many", "chat.limit_reached", "chat.message_too_long",
                "chat.context.history_count", "chat.context.tokens", "auth.password_weak"):
        assert key in plural_keys("en") and key in plural_keys("ru"), key


def test_the_pages_catalogue_holds_only_plain_strings():
    """``AuthState.tr`` sends :func:`catalogue` to the browser as ``dict[str, str]``: plural messages stay out."""
    for language in LANGUAGES:
        shown = catalogue(language)
        assert all(isinstance(text, str) for text in shown.values())
        assert set(shown) == set(messages(language)) - set(plural_keys(language))


def test_the_scan_finds_the_known_error_codes():
    """Guard for the test below: the regex really sees the codes raised in the services."""
    found = error_codes_in_source()
    for code in ("auth.invalid_credentials", "auth.email_taken", "auth.password_too_long",
                 "auth.too_many_attempts", "auth.token_reused", "errors.forbidden"):
        assert code in found, code


def test_every_error_code_raised_in_the_code_is_in_the_catalogue():
    en = messages("en")
    missing = {code: where for code, where in error_codes_in_source().items() if code not in en}
    assert missing == {}


def test_every_default_error_code_is_in_the_catalogue():
    for name in ERROR_CLASSES:
        cls = getattr(errors, name)
        assert cls.default_code in messages("en"), name


def test_every_error_parameter_used_in_the_code_fills_a_placeholder():
    """``InvalidInput("auth.password_too_long", max_bytes=72)``: every placeholder of the message gets a
    value, or the user would read a raw ``{max_bytes}`` (a plural message also needs its count)."""
    en = messages("en")
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ERROR_CLASSES):
                continue
            if not node.args or not isinstance(node.args[0], ast.Constant) or node.args[0].value not in en:
                continue
            code = node.args[0].value
            given = {kw.arg for kw in node.keywords if kw.arg}
            if not placeholders(en[code]) <= given:
                problems.append(f"{path.name}:{node.lineno} {code} gets {sorted(given)}, "
                                f"message wants {sorted(placeholders(en[code]))}")
    assert problems == []


@pytest.mark.parametrize("language", ["en", "ru"])
def test_translate_fills_placeholders(language):
    text = translate("auth.too_many_attempts", language, seconds=15)
    assert "15" in text and "{" not in text


def test_translate_falls_back_to_english_then_to_the_key():
    assert translate("auth.email_taken", "de") == catalogue("en")["auth.email_taken"]
    assert translate("no.such.key", "ru") == "no.such.key"
    assert translate("auth.email_taken", "en") == catalogue("en")["auth.email_taken"]
    assert translate("auth.too_many_attempts", "en") == messages("en")["auth.too_many_attempts"]["other"]

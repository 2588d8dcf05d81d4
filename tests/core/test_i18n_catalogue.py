"""The message catalogues: same keys and placeholders in every language, every error code translated."""

from __future__ import annotations

import ast
import inspect
import re
import string
from pathlib import Path

import pytest

from assistant.core import errors
from assistant.core.i18n import LANGUAGES, catalogue, translate

PACKAGE = Path(__file__).resolve().parents[2] / "assistant"
ERROR_CLASSES = sorted(
    name for name, obj in vars(errors).items() if inspect.isclass(obj) and issubclass(obj, errors.AppError)
)
# `raise Forbidden("errors.forbidden")`, `Unauthorized(\n "auth.x", ...)`, also when built before raising.
CODE_PATTERN = re.compile(r"\b(?:%s)\(\s*[\"']([^\"']+)[\"']" % "|".join(ERROR_CLASSES))


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


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
    en, ru = set(catalogue("en")), set(catalogue("ru"))
    assert sorted(en - ru) == [], "missing in ru.json"
    assert sorted(ru - en) == [], "missing in en.json"


def test_no_message_is_empty():
    for language in LANGUAGES:
        empty = [key for key, text in catalogue(language).items() if not isinstance(text, str) or not text.strip()]
        assert empty == [], f"empty messages in {language}.json"


def test_placeholders_are_identical_between_languages():
    en, ru = catalogue("en"), catalogue("ru")
    differing = {key: (placeholders(en[key]), placeholders(ru[key])) for key in en.keys() & ru.keys()
                 if placeholders(en[key]) != placeholders(ru[key])}
    assert differing == {}


def test_placeholders_are_plain_names():
    for language in LANGUAGES:
        for key, text in catalogue(language).items():
            for name in placeholders(text):
                assert name.isidentifier(), f"{language}.json {key}: bad placeholder {{{name}}}"


def test_russian_messages_are_actually_russian():
    en, ru = catalogue("en"), catalogue("ru")
    cyrillic = re.compile("[А-Яа-яЁё]")
    for key in ("auth.invalid_credentials", "auth.email_taken", "auth.password_too_long", "errors.forbidden"):
        assert cyrillic.search(ru[key]) and ru[key] != en[key], key


def test_the_scan_finds_the_known_error_codes():
    """Guard for the test below: the regex really sees the codes raised in the services."""
    found = error_codes_in_source()
    for code in ("auth.invalid_credentials", "auth.email_taken", "auth.password_too_long",
                 "auth.too_many_attempts", "auth.token_reused", "errors.forbidden"):
        assert code in found, code


def test_every_error_code_raised_in_the_code_is_in_the_catalogue():
    en = catalogue("en")
    missing = {code: where for code, where in error_codes_in_source().items() if code not in en}
    assert missing == {}


def test_every_default_error_code_is_in_the_catalogue():
    for name in ERROR_CLASSES:
        cls = getattr(errors, name)
        assert cls.default_code in catalogue("en"), name


def test_every_error_parameter_used_in_the_code_fills_a_placeholder():
    """``InvalidInput("auth.password_too_long", max_bytes=72)``: every placeholder of the message gets a
    value, or the user would read a raw ``{max_bytes}``."""
    en = catalogue("en")
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
    text = translate("auth.too_many_attempts", language, minutes=15)
    assert "15" in text and "{" not in text


def test_translate_falls_back_to_english_then_to_the_key():
    assert translate("auth.email_taken", "de") == catalogue("en")["auth.email_taken"]
    assert translate("no.such.key", "ru") == "no.such.key"
    assert translate("auth.too_many_attempts", "en") == catalogue("en")["auth.too_many_attempts"]

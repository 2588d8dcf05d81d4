"""The message catalogue (``assistant/i18n/{en,ru}.json``) and lookup with placeholders.

Keys are dotted (``auth.invalid_credentials``); values may hold ``{name}`` placeholders filled with
:meth:`str.format_map`. A key missing from a language falls back to English, then to the key itself.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "ru")
#: Each language's English name (told to the model, which answers in the user's language).
LANGUAGE_NAMES = {"en": "English", "ru": "Russian"}
DEFAULT_LANGUAGE = "en"
_CATALOGUE_DIR = Path(__file__).resolve().parents[1] / "i18n"


@cache
def catalogue(language: str) -> dict[str, str]:
    """All messages of ``language`` (``en`` or ``ru``) as a flat key -> text mapping."""
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    return json.loads((_CATALOGUE_DIR / f"{language}.json").read_text(encoding="utf-8"))


class _Defaulting(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def translate(key: str, language: str = DEFAULT_LANGUAGE, **params: Any) -> str:
    """The message for ``key`` in ``language`` with ``params`` filled in."""
    text = catalogue(language).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    return text.format_map(_Defaulting(params)) if params else text

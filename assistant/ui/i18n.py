"""``t(key)``: a translated string in the page, following the tab's language."""

from __future__ import annotations

import reflex as rx

from assistant.core.i18n import catalogue
from assistant.ui.state.auth import AuthState


def t(key: str) -> rx.Var:
    """The message ``key`` of the current language as a Var.

    Raises:
        KeyError: at compile time, when ``key`` is not in the English catalogue.
    """
    if key not in catalogue("en"):
        raise KeyError(f"missing i18n key: {key}")
    return AuthState.tr[key]

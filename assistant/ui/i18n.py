"""``t(key)``: a translated string in the page, following the tab's language."""

from __future__ import annotations

import reflex as rx

from assistant.core.i18n import catalogue, messages
from assistant.ui.state.auth import AuthState


def t(key: str) -> rx.Var[str]:
    """The plain message ``key`` of the current language as a Var.

    Plural messages (and numbers, sizes, dates) are not in the page's catalogue: build them on the server with
    :func:`assistant.core.i18n.translate` and the ``format_*`` functions, and put the text in state.

    Raises:
        KeyError: at compile time, when ``key`` is not in the English catalogue or is a plural message.
    """
    if key not in catalogue("en"):
        if key in messages("en"):
            raise KeyError(f"plural i18n key {key}: translate it on the server with its count")
        raise KeyError(f"missing i18n key: {key}")
    return AuthState.tr[key]

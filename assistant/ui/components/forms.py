"""Small pieces shared by forms."""

from __future__ import annotations

import reflex as rx

from assistant.ui.i18n import t


def field_label(key: str, html_for: str) -> rx.Component:
    """The translated label ``key`` of the control whose id is ``html_for`` (a real ``<label for>``)."""
    return rx.el.label(rx.text(t(key), as_="span", size="2", weight="medium"), html_for=html_for)

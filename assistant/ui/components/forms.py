"""Small pieces shared by forms."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui.i18n import t


def field_label(key: str, html_for: str) -> rx.Component:
    """The translated label ``key`` of the control whose id is ``html_for`` (a real ``<label for>``)."""
    return rx.el.label(rx.text(t(key), as_="span", size="2", weight="medium"), html_for=html_for)


def labelled(key: str, html_for: str, control: rx.Component, **props: Any) -> rx.Component:
    """``control`` under its label ``key`` (see :func:`field_label`); ``props`` go to the column holding both."""
    return rx.vstack(field_label(key, html_for), control, spacing="1", **props)

"""The Settings page's "My usage" card (``#my-usage``): the last 30 days' messages and tokens in
``#my-usage-summary``, and a table per model (``#my-usage-models``) or ``#my-usage-none``."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui.i18n import t
from assistant.ui.state.usage import UsageState

_COLUMNS = ("model", "answers", "input_tokens", "output_tokens")


def _row(row: rx.Var[Any]) -> rx.Component:
    return rx.table.row(*[rx.table.cell(row[name]) for name in _COLUMNS])


def usage_card() -> rx.Component:
    """The card (it loads the user's usage when it mounts)."""
    return rx.card(
        rx.vstack(
            rx.heading(t("usage.title"), size="4"),
            rx.text(UsageState.usage_summary, size="2", id="my-usage-summary"),
            rx.cond(
                UsageState.usage_models.length() > 0,
                rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(t(f"analytics.col.{name}"))
                                                   for name in _COLUMNS])),
                    rx.table.body(rx.foreach(UsageState.usage_models, _row)),
                    size="1",
                    width="100%",
                    id="my-usage-models",
                ),
                rx.text(t("usage.none"), size="2", color_scheme="gray", id="my-usage-none"),
            ),
            spacing="2",
            width="100%",
        ),
        id="my-usage",
        width="100%",
        on_mount=UsageState.load_usage,
    )

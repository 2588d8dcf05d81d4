"""A context file's editor card: the text, Save, the current version and the history with Restore.

Element ids derive from ``prefix`` (``personal-context`` or ``primary-context``): ``#<prefix>`` (the text),
``#<prefix>-save``, ``#<prefix>-current``, ``#<prefix>-version-<n>`` and ``#<prefix>-restore-<n>``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.services.chat.context_files import MAX_CONTEXT_CHARS
from assistant.ui.i18n import t
from assistant.ui.state.context import ContextEditorState


def _version_row(state: type[ContextEditorState], prefix: str, entry: rx.Var[Any], index: rx.Var[Any]) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.hstack(
                rx.text(t("context.version"), " ", entry["version"], weight="medium", size="2"),
                rx.text(entry["author"], size="2", color_scheme="gray"),
                rx.text(entry["created"], size="2", color_scheme="gray"),
                spacing="2",
                wrap="wrap",
            ),
            rx.text(
                rx.cond(entry["preview"] == "", t("context.empty_text"), entry["preview"]),
                size="1",
                color_scheme="gray",
                trim="both",
            ),
            spacing="1",
            min_width="0",
            flex="1",
        ),
        rx.cond(
            index > 0,
            rx.button(
                rx.icon("history", size=14),
                t("context.restore"),
                size="1",
                variant="soft",
                on_click=state.restore(entry["version"]),
                id=f"{prefix}-restore-{entry['version']}",
            ),
            rx.fragment(),
        ),
        id=f"{prefix}-version-{entry['version']}",
        align="center",
        width="100%",
        padding_y="0.4em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def context_editor(state: type[ContextEditorState], prefix: str, title_key: str, hint_key: str) -> rx.Component:
    """The editor card of the context file behind ``state``."""
    return rx.card(
        rx.vstack(
            rx.heading(t(title_key), size="4"),
            rx.text(t(hint_key), size="2", color_scheme="gray"),
            rx.form(
                rx.vstack(
                    rx.text_area(
                        name="content",
                        id=prefix,
                        default_value=state.content,
                        key=state.version,
                        max_length=MAX_CONTEXT_CHARS,
                        rows="10",
                        resize="vertical",
                        aria_label=t(title_key),
                        width="100%",
                    ),
                    rx.hstack(
                        rx.button(t("common.save"), type="submit", id=f"{prefix}-save"),
                        rx.text(
                            rx.cond(
                                state.version > 0,
                                rx.fragment(t("context.current_version"), " ", state.version),
                                t("context.not_saved"),
                            ),
                            size="2",
                            color_scheme="gray",
                            id=f"{prefix}-current",
                        ),
                        align="center",
                        spacing="3",
                    ),
                    spacing="2",
                    width="100%",
                ),
                on_submit=state.save,
                width="100%",
            ),
            rx.heading(t("context.history"), size="3", margin_top="0.5em"),
            rx.cond(
                state.versions.length() > 0,
                rx.box(
                    rx.foreach(state.versions, lambda entry, index: _version_row(state, prefix, entry, index)),
                    max_height="20em",
                    overflow_y="auto",
                    width="100%",
                    id=f"{prefix}-history",
                ),
                rx.text(t("context.no_history"), size="2", color_scheme="gray"),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )

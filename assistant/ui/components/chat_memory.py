"""Memory in the chat: the card of a memory change the assistant made or proposed, and the "Remember this"
dialog of a message.

A card is ``.memory-card`` with ``data-state`` (applied, confirmed, pending, undone, rejected), its text in
``.memory-card-title`` and ``.memory-card-detail`` and its buttons ``.memory-card-undo``,
``.memory-card-confirm`` and ``.memory-card-reject``. The dialog is ``#remember-dialog`` with the fields
``#remember-content``, ``#remember-category`` and ``#remember-importance`` (items ``#<select id>-<value>``),
``#remember-error`` and ``#remember-save``; a message's button that opens it is ``.remember-message``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.models import MemoryCategory
from assistant.ui.components.forms import field_label
from assistant.ui.i18n import t
from assistant.ui.state.chat import ChatState
from assistant.ui.state.memory import AUTO_IMPORTANCE, CATEGORIES, IMPORTANCES

#: Card colour by the change's state.
STATE_COLORS = {"applied": "grass", "confirmed": "grass", "pending": "amber", "undone": "gray", "rejected": "gray"}


def memory_card(card: rx.Var[Any]) -> rx.Component:
    """The card of one memory change (``card``: :func:`assistant.ui.state.chat_view.memory_card`)."""
    change_id = card["change_id"].to(str)
    state = card["state"].to(str)
    color = rx.match(state, *[(name, rx.color(scheme, 9)) for name, scheme in STATE_COLORS.items()],
                     rx.color("gray", 9))
    return rx.card(
        rx.hstack(
            rx.icon("brain", size=16, color=color, flex_shrink="0"),
            rx.vstack(
                rx.text(card["title"].to(str), size="2", weight="medium", class_name="memory-card-title",
                        word_break="break-word"),
                rx.cond(card["detail"].to(str) != "",
                        rx.text(card["detail"].to(str), size="2", color_scheme="gray", class_name="memory-card-detail",
                                word_break="break-word")),
                spacing="0",
                flex="1",
                min_width="0",
            ),
            rx.cond(
                card["pending"].to(bool),
                rx.hstack(
                    rx.button(rx.icon("check", size=14), t("memory.page.pending.confirm"), size="1",
                              on_click=ChatState.confirm_memory_change(change_id), class_name="memory-card-confirm"),
                    rx.button(rx.icon("x", size=14), t("memory.page.pending.reject"), size="1", variant="soft",
                              color_scheme="gray", on_click=ChatState.reject_memory_change(change_id),
                              class_name="memory-card-reject"),
                    spacing="2",
                ),
            ),
            rx.cond(card["can_undo"].to(bool),
                    rx.button(rx.icon("undo-2", size=14), t("chat.memory.undo"), size="1", variant="soft",
                              color_scheme="gray", on_click=ChatState.undo_memory_change(change_id),
                              class_name="memory-card-undo")),
            align="center",
            spacing="3",
            width="100%",
            wrap="wrap",
        ),
        size="1",
        width="100%",
        class_name="memory-card",
        custom_attrs={"data-state": state},
    )


def remember_button(message_id: rx.Var[Any]) -> rx.Component:
    """The icon button beside a message's actions that opens "Remember this" on it."""
    return rx.icon_button(rx.icon("bookmark-plus", size=14), variant="ghost", size="1",
                          on_click=ChatState.open_remember(message_id), aria_label=t("chat.remember"),
                          title=t("chat.remember"), class_name="remember-message")


def _select(id_: str, name: str, default: str, options: list[tuple[str, str]], label_key: str) -> rx.Component:
    """A form select of ``options`` (value, i18n key), its items ``#<id_>-<value>``."""
    return rx.select.root(
        rx.select.trigger(id=id_, aria_label=t(label_key), min_width="12em"),
        rx.select.content(*[rx.select.item(t(key), value=value, id=f"{id_}-{value}") for value, key in options]),
        name=name,
        default_value=default,
    )


def remember_dialog() -> rx.Component:
    """"Remember this": the message's text to edit into one fact, its category and importance (or the
    category's usual one); a refused fact is explained here and stays as typed."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("chat.remember")),
            rx.dialog.description(t("chat.remember.hint"), size="2", color_scheme="gray"),
            rx.form(
                rx.vstack(
                    field_label("memory.page.add.content", "remember-content"),
                    rx.text_area(name="content", id="remember-content", default_value=ChatState.remember_text,
                                 rows="4", resize="vertical", width="100%"),
                    rx.hstack(
                        rx.vstack(field_label("memory.page.field.category", "remember-category"),
                                  _select("remember-category", "category", MemoryCategory.OTHER.value,
                                          [(category, f"memory.category.{category}") for category in CATEGORIES],
                                          "memory.page.field.category"),
                                  spacing="1"),
                        rx.vstack(field_label("memory.page.field.importance", "remember-importance"),
                                  _select("remember-importance", "importance", AUTO_IMPORTANCE,
                                          [(AUTO_IMPORTANCE, "memory.page.importance_auto"),
                                           *[(value, f"memory.importance.{value}") for value in IMPORTANCES]],
                                          "memory.page.field.importance"),
                                  spacing="1"),
                        spacing="4",
                        wrap="wrap",
                    ),
                    rx.cond(ChatState.remember_error != "",
                            rx.callout(ChatState.remember_error, color_scheme="red", icon="triangle-alert",
                                       id="remember-error", width="100%")),
                    rx.hstack(
                        rx.dialog.close(rx.button(t("common.cancel"), type="button", variant="soft",
                                                  color_scheme="gray", id="remember-cancel")),
                        rx.button(rx.icon("bookmark-plus", size=16), t("common.save"), type="submit",
                                  id="remember-save"),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="2",
                    width="100%",
                ),
                on_submit=ChatState.save_remembered,
                key=ChatState.remember_key.to(str),
            ),
            max_width="36em",
            id="remember-dialog",
        ),
        open=ChatState.remember_open,
        on_open_change=ChatState.set_remember_open,
    )

"""The bell in the header of every signed-in page: the number of notifications that need attention
(``#bell-count``, absent at zero) and, on a click, the latest of them (``.bell-item``) with Done/Taken
(``.bell-ack``), Snooze 10 min / 1 h (``.bell-snooze-10``, ``.bell-snooze-60``) or Mark read (``.bell-read``),
and a link to the notifications page (``#bell-all``). It loads when the page mounts and follows the bus
(:class:`~assistant.ui.state.notifications.BellState`)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui import routes
from assistant.ui.i18n import t
from assistant.ui.state.notifications import BellState

#: One line, cut with an ellipsis.
_ONE_LINE = {"white_space": "nowrap", "overflow": "hidden", "text_overflow": "ellipsis", "max_width": "100%"}


def _answers(item: rx.Var[Any]) -> rx.Component:
    ident = item["id"].to(str)
    return rx.cond(
        item["can_ack"].to(bool),
        rx.hstack(
            rx.popover.close(rx.button(rx.icon("check", size=14), item["ack_text"].to(str), size="1",
                                       on_click=BellState.acknowledge(ident), class_name="bell-ack")),
            rx.button(rx.icon("alarm-clock", size=14), t("notifications.snooze.10"), size="1", variant="soft",
                      color_scheme="gray", on_click=BellState.snooze(ident, 10), class_name="bell-snooze-10"),
            rx.button(t("notifications.snooze.60"), size="1", variant="soft", color_scheme="gray",
                      on_click=BellState.snooze(ident, 60), class_name="bell-snooze-60"),
            spacing="2",
        ),
        rx.button(t("notifications.mark_read"), size="1", variant="soft", color_scheme="gray",
                  on_click=BellState.mark_read(ident), class_name="bell-read"),
    )


def _item(item: rx.Var[Any]) -> rx.Component:
    return rx.vstack(
        rx.text(item["title"].to(str), size="2", weight="medium", style=_ONE_LINE, class_name="bell-item-title"),
        rx.cond(item["body"].to(str) != "",
                rx.text(item["body"].to(str), size="1", color_scheme="gray", style=_ONE_LINE)),
        rx.text(item["when"].to(str), size="1", color_scheme="gray", title=item["when_full"].to(str)),
        _answers(item),
        spacing="1",
        width="100%",
        padding_y="0.5em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        class_name="bell-item",
    )


def _badge() -> rx.Component:
    return rx.cond(
        BellState.count > 0,
        rx.badge(BellState.count_text, color_scheme="red", variant="solid", radius="full", size="1",
                 position="absolute", top="-0.5em", right="-0.7em", pointer_events="none", id="bell-count"),
    )


def bell() -> rx.Component:
    """The bell button with its badge and its dropdown list."""
    return rx.box(
        rx.popover.root(
            rx.popover.trigger(
                rx.box(
                    rx.icon_button(rx.icon("bell", size=18), variant="ghost", aria_label=BellState.label,
                                   title=BellState.label, id="bell-button"),
                    _badge(),
                    position="relative",
                ),
            ),
            rx.popover.content(
                rx.vstack(
                    rx.heading(t("notifications.page.title"), size="3"),
                    rx.cond(
                        BellState.items.length() > 0,
                        rx.vstack(rx.foreach(BellState.items, _item), spacing="0", width="100%"),
                        rx.text(t("notifications.bell.empty"), size="2", color_scheme="gray", id="bell-empty"),
                    ),
                    rx.popover.close(rx.link(t("notifications.bell.all"), href=routes.NOTIFICATIONS, size="2",
                                             id="bell-all")),
                    spacing="2",
                    width="100%",
                ),
                width="22em",
                max_width="90vw",
                id="bell-list",
            ),
        ),
        on_mount=BellState.load,
        id="bell",
    )

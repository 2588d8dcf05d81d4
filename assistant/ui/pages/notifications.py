"""The notifications page (``/notifications``): a filter (``#notifications-filter``: all, needs attention,
reminders, missed), Mark all read (``#notifications-mark-all``) and the notifications, latest first
(``.notification-item`` with ``.notification-unread``, ``.notification-title``, ``.notification-channel`` (in the
app, e-mail, Telegram: an e-mail or Telegram row is listed when it failed), ``.notification-status``,
``.notification-reason`` (why a send failed), ``.notification-body``, ``.notification-when``,
``.notification-link`` (its task's or reminder's page), and the buttons ``.notification-ack`` (Done/Taken),
``.notification-read`` and ``.notification-snooze``, which opens 10 min / 1 h (``.notification-snooze-10``,
``.notification-snooze-60``) and a custom length form (``.notification-snooze-form``)); ``#notifications-more``
shows more."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui.components.snooze import snooze_menu
from assistant.ui.i18n import t
from assistant.ui.layouts.shell import app_shell
from assistant.ui.state.notifications import FILTERS, BellState, NotificationsState

STATUS_COLORS = {"pending": "blue", "sent": "amber", "delivered": "amber", "read": "gray", "acknowledged": "green",
                 "missed": "red", "failed": "red"}


def _row(item: rx.Var[Any]) -> rx.Component:
    ident = item["id"].to(str)
    return rx.vstack(
        rx.hstack(
            rx.cond(item["unread"].to(bool),
                    rx.box(width="0.5em", height="0.5em", border_radius="50%", background=rx.color("accent", 9),
                           flex_shrink="0", class_name="notification-unread")),
            rx.text(item["title"].to(str), weight="medium", class_name="notification-title"),
            rx.badge(item["type_text"].to(str), variant="outline", color_scheme="gray"),
            rx.badge(item["channel_text"].to(str), variant="outline", color_scheme="gray",
                     class_name="notification-channel"),
            rx.badge(item["status_text"].to(str), variant="soft",
                     color_scheme=rx.match(item["status"].to(str), *STATUS_COLORS.items(), "gray"),
                     class_name="notification-status"),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.cond(item["reason"].to(str) != "",
                rx.text(item["reason"].to(str), size="2", color_scheme="red", class_name="notification-reason")),
        rx.cond(item["body"].to(str) != "",
                rx.text(item["body"].to(str), size="2", white_space="pre-wrap", class_name="notification-body")),
        rx.text(item["when"].to(str), size="1", color_scheme="gray", title=item["when_full"].to(str),
                class_name="notification-when"),
        rx.hstack(
            rx.cond(item["href"].to(str) != "",
                    rx.link(item["link_text"].to(str), href=item["href"].to(str), size="2",
                            class_name="notification-link")),
            rx.cond(item["can_ack"].to(bool),
                    rx.button(rx.icon("check", size=14), item["ack_text"].to(str), size="1",
                              on_click=BellState.acknowledge(ident), class_name="notification-ack")),
            rx.cond(item["can_snooze"].to(bool),
                    snooze_menu("notification", ident, snooze=BellState.snooze,
                                snooze_custom=BellState.snooze_custom, variant="soft")),
            rx.cond(item["unread"].to(bool),
                    rx.button(t("notifications.mark_read"), size="1", variant="ghost",
                              on_click=BellState.mark_read(ident), class_name="notification-read")),
            spacing="2",
            align="center",
        ),
        spacing="1",
        width="100%",
        padding_y="0.75em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        class_name="notification-item",
        custom_attrs={"data-id": ident},
    )


def notifications_page() -> rx.Component:
    return app_shell(
        "notifications.page.title",
        rx.vstack(
            rx.hstack(
                rx.segmented_control.root(
                    *[rx.segmented_control.item(t(f"notifications.filter.{value}"), value=value,
                                                id=f"notifications-filter-{value}") for value in FILTERS],
                    value=NotificationsState.show,
                    on_change=NotificationsState.set_show,
                    id="notifications-filter",
                ),
                rx.spacer(),
                rx.button(rx.icon("check-check", size=16), t("notifications.mark_all_read"), variant="soft",
                          on_click=BellState.mark_all_read, id="notifications-mark-all"),
                width="100%",
                align="center",
                wrap="wrap",
                spacing="3",
            ),
            rx.cond(
                NotificationsState.items.length() > 0,
                rx.vstack(rx.foreach(NotificationsState.items, _row), spacing="0", width="100%",
                          id="notifications-list"),
                rx.text(t("notifications.page.empty"), color_scheme="gray", id="notifications-empty"),
            ),
            rx.cond(NotificationsState.has_more,
                    rx.button(t("notifications.page.more"), variant="soft", on_click=NotificationsState.show_more,
                              id="notifications-more")),
            spacing="3",
            width="100%",
        ),
    )

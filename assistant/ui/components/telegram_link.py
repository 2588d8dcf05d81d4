"""The Settings page's "Telegram" card: "Link Telegram" shows a deep link (opened in a new tab) while it is valid,
then the linked chat's @username and Unlink; without a bot the card says why linking is not offered."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui.i18n import t
from assistant.ui.state.telegram import TelegramLinkState


def _message(text: rx.Var[Any], scheme: str, id_: str) -> rx.Component:
    return rx.cond(text != "", rx.callout(text, color_scheme=scheme, id=id_, width="100%", role="status"),
                   rx.fragment())


def _linked() -> rx.Component:
    state = TelegramLinkState
    return rx.hstack(
        rx.badge(t("telegram.linked_badge"), color_scheme="green", id="telegram-linked"),
        rx.text(rx.cond(state.tg_username != "", "@" + state.tg_username, t("telegram.no_username")),
                id="telegram-linked-chat", weight="medium"),
        rx.button(t("telegram.unlink"), type="button", variant="soft", color_scheme="red",
                  on_click=state.unlink_telegram, id="telegram-unlink"),
        align="center",
        spacing="3",
        wrap="wrap",
    )


def _link() -> rx.Component:
    state = TelegramLinkState
    return rx.cond(
        state.tg_link_url != "",
        rx.vstack(
            rx.text(t("telegram.link_instructions"), size="2"),
            rx.link(state.tg_link_url, href=state.tg_link_url, is_external=True, id="telegram-link-url",
                    weight="medium"),
            rx.text(state.tg_link_until, size="1", color_scheme="gray", id="telegram-link-until"),
            spacing="1",
            width="100%",
        ),
        rx.button(t("telegram.link_button"), type="button", variant="soft", loading=state.tg_busy,
                  on_click=state.start_telegram_link, id="telegram-link-start"),
    )


def telegram_link_card() -> rx.Component:
    """The card; it loads its state when it appears (``TelegramLinkState.load_telegram``)."""
    state = TelegramLinkState
    return rx.card(
        rx.vstack(
            rx.heading(t("telegram.section_title"), size="4"),
            rx.text(t("telegram.section_hint"), size="2", color_scheme="gray"),
            rx.cond(
                state.tg_available,
                rx.cond(state.tg_linked,
                        rx.vstack(_linked(), rx.text(t("telegram.relink_hint"), size="1", color_scheme="gray"),
                                  _link(), spacing="2", width="100%"),
                        _link()),
                rx.vstack(
                    rx.cond(state.tg_linked, _linked(), rx.fragment()),
                    rx.text(state.tg_reason, size="2", color_scheme="gray", id="telegram-unavailable"),
                    spacing="2",
                    width="100%",
                ),
            ),
            _message(state.tg_error, "red", "telegram-link-error"),
            _message(state.tg_message, "green", "telegram-link-message"),
            spacing="2",
            width="100%",
        ),
        id="telegram-link-section",
        on_mount=TelegramLinkState.load_telegram,
        width="100%",
    )

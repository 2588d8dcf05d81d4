"""The admin page's "Telegram bot" card: the token (never shown, only "set"; typing replaces it, Remove deletes
it), Save, and "Check the bot" with the bot's @username or Telegram's exact refusal."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui.components.forms import field_label
from assistant.ui.i18n import t
from assistant.ui.state.telegram_admin import TelegramBotState


def _message(text: rx.Var[Any], scheme: str, id_: str) -> rx.Component:
    return rx.cond(text != "", rx.callout(text, color_scheme=scheme, id=id_, width="100%", role="status"),
                   rx.fragment())


def telegram_settings_card() -> rx.Component:
    """The card; it loads its state when it appears (``TelegramBotState.load_bot``)."""
    state = TelegramBotState
    return rx.card(
        rx.vstack(
            rx.heading(t("telegram.bot_title"), size="4"),
            rx.text(t("telegram.bot_hint"), size="2", color_scheme="gray"),
            rx.form(
                rx.vstack(
                    rx.hstack(
                        field_label("telegram.bot_token", "bot-token"),
                        rx.cond(state.bot_token_set,
                                rx.badge(t("telegram.token_set"), color_scheme="green", id="bot-token-set"),
                                rx.badge(t("telegram.token_not_set"), color_scheme="gray", id="bot-token-not-set")),
                        rx.cond(state.bot_username != "",
                                rx.text("@" + state.bot_username, size="2", id="bot-username"), rx.fragment()),
                        align="center",
                        spacing="2",
                        wrap="wrap",
                    ),
                    rx.hstack(
                        rx.input(name="bot_token", id="bot-token", type="password", auto_complete="off",
                                 placeholder=rx.cond(state.bot_token_set, t("telegram.token_replace"),
                                                     "123456789:AA..."),
                                 width="100%"),
                        rx.button(t("common.save"), type="submit", id="bot-token-save"),
                        rx.cond(state.bot_token_set,
                                rx.button(t("telegram.token_remove"), type="button", variant="soft",
                                          color_scheme="red", on_click=state.remove_bot_token,
                                          id="bot-token-remove"),
                                rx.fragment()),
                        width="100%",
                        spacing="2",
                    ),
                    _message(state.bot_error, "red", "bot-error"),
                    _message(state.bot_message, "green", "bot-message"),
                    spacing="2",
                    width="100%",
                ),
                on_submit=state.save_bot_token,
                reset_on_submit=True,
                key=state.bot_form_key,
                width="100%",
            ),
            rx.divider(),
            rx.button(t("telegram.check_button"), type="button", variant="soft", loading=state.bot_checking,
                      disabled=~state.bot_token_set, on_click=state.check_telegram_bot, id="bot-check"),
            _message(state.bot_check_result, "green", "bot-check-result"),
            _message(state.bot_check_error, "red", "bot-check-error"),
            spacing="3",
            width="100%",
        ),
        id="telegram-settings",
        on_mount=TelegramBotState.load_bot,
        width="100%",
    )

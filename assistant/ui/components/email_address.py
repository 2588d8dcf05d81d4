"""The Settings page's "E-mail address" card: the address, Verified / Not verified, and "Send verification link"
(disabled, with the reason, while the server has no SMTP settings)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui.i18n import t
from assistant.ui.state.email_address import EmailAddressState


def _message(text: rx.Var[Any], scheme: str, id_: str) -> rx.Component:
    return rx.cond(text != "", rx.callout(text, color_scheme=scheme, id=id_, width="100%", role="status"),
                   rx.fragment())


def email_address_card() -> rx.Component:
    """The card; its state loads with the Settings page (``EmailAddressState.load_email``)."""
    state = EmailAddressState
    return rx.card(
        rx.vstack(
            rx.heading(t("email.address_title"), size="4"),
            rx.hstack(
                rx.text(state.email_address, id="email-address", weight="medium"),
                rx.cond(state.email_verified,
                        rx.badge(t("email.verified"), color_scheme="green", id="email-verified"),
                        rx.badge(t("email.not_verified"), color_scheme="amber", id="email-not-verified")),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            rx.cond(
                state.email_verified,
                rx.text(t("email.verified_hint"), size="2", color_scheme="gray"),
                rx.vstack(
                    rx.text(t("email.not_verified_hint"), size="2", color_scheme="gray"),
                    rx.button(t("email.send_link"), type="button", variant="soft", loading=state.email_sending,
                              disabled=~state.email_smtp_configured, on_click=state.send_verification_link,
                              id="email-send-link"),
                    rx.cond(state.email_smtp_configured, rx.fragment(),
                            rx.text(t("email.not_configured"), size="1", color_scheme="gray",
                                    id="email-send-link-reason")),
                    spacing="2",
                    width="100%",
                ),
            ),
            _message(state.email_error, "red", "email-address-error"),
            _message(state.email_message, "green", "email-address-message"),
            spacing="2",
            width="100%",
        ),
        id="email-address-section",
        width="100%",
    )

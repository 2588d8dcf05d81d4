"""The page a verification link opens: it verifies the address with the link's code, signed in or not, and says
whether that worked."""

from __future__ import annotations

import reflex as rx

from assistant.ui import routes
from assistant.ui.i18n import t
from assistant.ui.layouts.shell import public_shell
from assistant.ui.state.email_address import VerifyEmailState


def verify_email_page() -> rx.Component:
    state = VerifyEmailState
    return public_shell(
        rx.heading(t("email.verify_title"), size="6"),
        rx.match(
            state.verify_outcome,
            ("verified", rx.callout(t("email.verify_done"), icon="circle-check", color_scheme="green",
                                    id="verify-email-done", role="status", width="100%")),
            ("failed", rx.callout(state.tr[state.verify_error_key], icon="triangle-alert", color_scheme="red",
                                  id="verify-email-error", role="alert", width="100%")),
            rx.hstack(rx.spinner(), rx.text(t("email.verify_checking")), id="verify-email-checking", spacing="2"),
        ),
        rx.cond(state.verify_outcome == "verified",
                rx.text(state.verified_address, id="verify-email-address", weight="medium"), rx.fragment()),
        rx.link(t("email.verify_to_settings"), href=routes.SETTINGS, id="verify-email-settings"),
    )

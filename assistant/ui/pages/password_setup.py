"""The invitation page (choose a password, then signed in) and the page where an account with a one-time
password chooses its own."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui.i18n import t
from assistant.ui.layouts.shell import public_shell
from assistant.ui.state.password_setup import PasswordSetupState


def _password_form(on_submit: Any, submit_key: str, form_id: str) -> rx.Component:
    state = PasswordSetupState
    fields = [("password", "password_setup.new_password"), ("password_confirm", "register.password_confirm")]
    return rx.form(
        rx.vstack(
            *[rx.vstack(
                rx.text(t(label), as_="label", size="2", weight="medium", html_for=f"{form_id}-{name}"),
                rx.input(name=name, id=f"{form_id}-{name}", type="password", required=True, width="100%", size="3",
                         auto_complete="new-password"),
                spacing="1", width="100%") for name, label in fields],
            rx.text(t("register.password_hint"), size="1", color_scheme="gray"),
            rx.cond(state.setup_error != "",
                    rx.callout(state.setup_error, icon="triangle-alert", color_scheme="red", role="alert",
                               id="form-error", width="100%"),
                    rx.fragment()),
            rx.button(t(submit_key), type="submit", loading=state.setup_busy, width="100%", size="3",
                      id=f"{form_id}-submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=on_submit,
        reset_on_submit=False,
        width="100%",
    )


def invite_page() -> rx.Component:
    return public_shell(
        rx.heading(t("password_setup.invite_title"), size="6"),
        rx.text(t("password_setup.invite_hint"), size="2", color_scheme="gray"),
        _password_form(PasswordSetupState.accept_invitation, "password_setup.invite_submit", "invite"),
    )


def change_password_page() -> rx.Component:
    return public_shell(
        rx.heading(t("password_setup.change_title"), size="6"),
        rx.text(t("password_setup.change_hint"), size="2", color_scheme="gray"),
        _password_form(PasswordSetupState.choose_password, "password_setup.change_submit", "new-password"),
    )

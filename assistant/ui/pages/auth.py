"""Sign-in and registration pages."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui import routes
from assistant.ui.i18n import t
from assistant.ui.layouts.shell import public_shell
from assistant.ui.state.account import LoginState, RegisterState
from assistant.ui.state.auth import AuthState


def _field(label_key: str, name: str, type_: str = "text", **props: Any) -> rx.Component:
    return rx.vstack(
        rx.text(t(label_key), as_="label", size="2", weight="medium", html_for=name),
        rx.input(name=name, id=name, type=type_, width="100%", size="3", **props),
        spacing="1",
        width="100%",
    )


def _error(message: rx.Var[Any]) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle-alert", color_scheme="red", role="alert", id="form-error", width="100%"),
        rx.fragment(),
    )


def login_page() -> rx.Component:
    return public_shell(
        rx.heading(t("login.title"), size="6"),
        rx.cond(
            AuthState.notice != "",
            rx.callout(AuthState.notice, icon="info", color_scheme="amber", id="notice", width="100%"),
            rx.fragment(),
        ),
        rx.form(
            rx.vstack(
                _field("login.email", "email", "email", required=True, auto_complete="username"),
                _field("login.password", "password", "password", required=True, auto_complete="current-password"),
                _error(LoginState.form_error),
                rx.button(t("login.submit"), type="submit", loading=LoginState.busy, width="100%", size="3",
                          id="login-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=LoginState.submit,
            width="100%",
        ),
        rx.hstack(
            rx.text(t("login.no_account"), size="2"),
            rx.link(t("login.register_link"), href=routes.REGISTER, size="2", id="to-register"),
            spacing="2",
        ),
    )


def register_page() -> rx.Component:
    return public_shell(
        rx.heading(t("register.title"), size="6"),
        rx.text(t("register.first_user_note"), size="2", color_scheme="gray"),
        rx.form(
            rx.vstack(
                _field("register.display_name", "display_name", auto_complete="name"),
                _field("login.email", "email", "email", required=True, auto_complete="username"),
                _field("login.password", "password", "password", required=True, auto_complete="new-password"),
                rx.text(t("register.password_hint"), size="1", color_scheme="gray"),
                _field("register.password_confirm", "password_confirm", "password", required=True,
                       auto_complete="new-password"),
                _error(RegisterState.form_error),
                rx.button(t("register.submit"), type="submit", loading=RegisterState.busy, width="100%", size="3",
                          id="register-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=RegisterState.submit,
            width="100%",
        ),
        rx.hstack(
            rx.text(t("register.have_account"), size="2"),
            rx.link(t("register.login_link"), href=routes.LOGIN, size="2", id="to-login"),
            spacing="2",
        ),
    )

"""The admin page's "E-mail (SMTP)" card: server, port, TLS mode, user, password (never shown, only "set"),
sender, Save, and "Send a test mail" with the server's reply or the exact error."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui.components.forms import field_label, labelled
from assistant.ui.i18n import t
from assistant.ui.state.channels_admin import TLS_MODES, SmtpSettingsState


def _message(text: rx.Var[Any], scheme: str, id_: str) -> rx.Component:
    return rx.cond(text != "", rx.callout(text, color_scheme=scheme, id=id_, width="100%", role="status"),
                   rx.fragment())


def _input(label_key: str, name: str, id_: str, value: rx.Var[Any], box: dict[str, Any] | None = None,
           **props: Any) -> rx.Component:
    """A labelled input showing ``value``; ``box``: props of the column holding both (default: full width)."""
    return labelled(label_key, id_, rx.input(name=name, id=id_, default_value=value, width="100%", **props),
                    **(box or {"width": "100%"}))


def _password() -> rx.Component:
    state = SmtpSettingsState
    return rx.vstack(
        rx.hstack(
            field_label("email.smtp_password", "smtp-password"),
            rx.cond(state.smtp_password_set,
                    rx.badge(t("email.smtp_password_set"), color_scheme="green", id="smtp-password-set"),
                    rx.badge(t("email.smtp_password_not_set"), color_scheme="gray", id="smtp-password-not-set")),
            align="center",
            spacing="2",
        ),
        rx.hstack(
            rx.input(name="smtp_password", id="smtp-password", type="password", auto_complete="new-password",
                     placeholder=rx.cond(state.smtp_password_set, t("email.smtp_password_replace"), ""),
                     width="100%"),
            rx.cond(state.smtp_password_set,
                    rx.button(t("email.smtp_password_remove"), type="button", variant="soft", color_scheme="red",
                              on_click=state.remove_smtp_password, id="smtp-password-remove"),
                    rx.fragment()),
            width="100%",
            spacing="2",
        ),
        spacing="1",
        width="100%",
    )


def smtp_settings_card() -> rx.Component:
    """The card; its state loads with the admin page (``SmtpSettingsState.load_smtp``)."""
    state = SmtpSettingsState
    return rx.card(
        rx.vstack(
            rx.heading(t("email.smtp_title"), size="4"),
            rx.text(t("email.smtp_hint"), size="2", color_scheme="gray"),
            rx.form(
                rx.vstack(
                    rx.hstack(
                        _input("email.smtp_host", "smtp_host", "smtp-host", state.smtp_host,
                               {"flex": "1", "min_width": "14em"}, placeholder="smtp.example.org"),
                        _input("email.smtp_port", "smtp_port", "smtp-port", state.smtp_port, {"width": "7em"},
                               type="number", min=1, max=65535),
                        labelled("email.smtp_tls", "smtp-tls", rx.select.root(
                            rx.select.trigger(id="smtp-tls"),
                            rx.select.content(*[rx.select.item(t(f"email.smtp_tls_{mode}"), value=mode,
                                                               id=f"smtp-tls-{mode}") for mode in TLS_MODES]),
                            name="smtp_tls",
                            default_value=state.smtp_tls,
                        )),
                        spacing="3",
                        width="100%",
                        wrap="wrap",
                    ),
                    _input("email.smtp_username", "smtp_username", "smtp-username", state.smtp_username,
                           auto_complete="off"),
                    _password(),
                    _input("email.smtp_sender", "smtp_sender", "smtp-sender", state.smtp_sender,
                           placeholder="assistant@example.org", type="email"),
                    _message(state.smtp_error, "red", "smtp-error"),
                    _message(state.smtp_message, "green", "smtp-message"),
                    rx.button(t("common.save"), type="submit", id="smtp-save"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=state.save_smtp_settings,
                key=state.smtp_form_key,
                width="100%",
            ),
            rx.divider(),
            rx.hstack(
                rx.button(t("email.test_button"), type="button", variant="soft", loading=state.smtp_testing,
                          on_click=state.send_smtp_test, id="smtp-test"),
                rx.text(t("email.test_hint"), size="1", color_scheme="gray"),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            _message(state.smtp_test_result, "green", "smtp-test-result"),
            _message(state.smtp_test_error, "red", "smtp-test-error"),
            spacing="3",
            width="100%",
        ),
        id="smtp-settings",
        width="100%",
    )

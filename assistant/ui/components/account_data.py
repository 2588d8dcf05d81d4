"""The Settings page's "Your data" section (``#account-data``): ``#data-export`` queues an export of everything
(its progress in ``#data-export-progress``, then ``#data-export-download``, or the failure in
``#data-export-error``), and ``#account-delete`` opens the dialog that deletes the account once the password
(``#account-delete-password``) is confirmed with ``#account-delete-confirm`` (a refusal in
``#account-delete-error``)."""

from __future__ import annotations

import reflex as rx

from assistant.ui.components.forms import field_label
from assistant.ui.i18n import t
from assistant.ui.state.account_data import AccountDataState

_STATE = AccountDataState


def _export() -> rx.Component:
    return rx.vstack(
        rx.text(t("account.data.export_hint"), size="2", color_scheme="gray"),
        rx.button(t("account.data.export"), type="button", variant="soft", id="data-export",
                  loading=_STATE.export_open, disabled=_STATE.export_open, on_click=_STATE.export_data),
        rx.cond(
            _STATE.export_open,
            rx.vstack(
                rx.progress(value=_STATE.export_progress, max=100, width="100%"),
                rx.text(_STATE.export_stage, " · ", _STATE.export_progress, "%", size="1", color_scheme="gray"),
                id="data-export-progress",
                role="status",
                spacing="1",
                width="100%",
            ),
        ),
        rx.cond(
            _STATE.export_status == "completed",
            rx.hstack(
                rx.text(t("account.data.export_ready"), size="2", id="data-export-ready"),
                rx.button(t("account.data.download"), type="button", size="1", id="data-export-download",
                          on_click=_STATE.download_export),
                align="center",
                spacing="2",
            ),
        ),
        rx.cond(_STATE.export_error != "",
                rx.callout(_STATE.export_error, color_scheme="red", id="data-export-error", width="100%")),
        spacing="2",
        width="100%",
    )


def _delete_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(t("account.delete.title"), type="button", color_scheme="red", variant="soft",
                                    id="account-delete")),
        rx.dialog.content(
            rx.dialog.title(t("account.delete.dialog_title")),
            rx.dialog.description(t("account.delete.explain"), size="2"),
            rx.form(
                rx.vstack(
                    field_label("account.delete.password", "account-delete-password"),
                    rx.input(name="password", id="account-delete-password", type="password", required=True,
                             auto_complete="current-password", width="100%"),
                    rx.cond(_STATE.delete_error != "",
                            rx.callout(_STATE.delete_error, color_scheme="red", id="account-delete-error",
                                       role="alert", width="100%")),
                    rx.hstack(
                        rx.dialog.close(rx.button(t("common.cancel"), type="button", variant="soft",
                                                  color_scheme="gray", id="account-delete-cancel")),
                        rx.button(t("account.delete.confirm"), type="submit", color_scheme="red",
                                  loading=_STATE.deleting, id="account-delete-confirm"),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="2",
                    width="100%",
                    margin_top="1em",
                ),
                on_submit=_STATE.delete_my_account,
                reset_on_submit=True,
            ),
            max_width="32em",
        ),
        open=_STATE.delete_open,
        on_open_change=_STATE.set_delete_open,
    )


def account_data_section() -> rx.Component:
    """The section (a card that loads itself when it mounts)."""
    return rx.card(
        rx.vstack(
            rx.heading(t("account.data.title"), size="4"),
            _export(),
            rx.divider(),
            rx.text(t("account.delete.hint"), size="2", color_scheme="gray"),
            _delete_dialog(),
            spacing="3",
            width="100%",
        ),
        id="account-data",
        width="100%",
        on_mount=_STATE.load_data_export,
    )

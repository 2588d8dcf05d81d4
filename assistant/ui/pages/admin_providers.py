"""The admin console's Providers page (``/admin/providers``).

Ids: ``#providers-add``; per row (``<key>``: a stored provider's id, or ``openai``/``anthropic`` for the
environment's): ``#provider-<key>`` (the row), ``#provider-test-<key>``, ``#provider-result-<key>``,
``#provider-edit-<key>``, ``#provider-remove-key-<key>``, ``#provider-delete-<key>``. The dialog:
``#provider-name``, ``#provider-kind`` (the select's trigger), ``#provider-base-url``, ``#provider-key``,
``#provider-timeout``, ``#provider-allow-local``, ``#provider-allow-local-warning``, ``#provider-form-error``,
``#provider-save``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui import routes
from assistant.ui.components.admin_nav import admin_nav
from assistant.ui.components.forms import field_label
from assistant.ui.i18n import t
from assistant.ui.layouts.shell import app_shell
from assistant.ui.state.providers import KINDS, ProvidersState


def _kind_label(kind: rx.Var[Any]) -> rx.Component:
    return rx.match(kind, *[(value, t(f"providers.kind.{value}")) for value in KINDS], kind)


def _actions(row: rx.Var[Any]) -> rx.Component:
    key = row["key"]
    stored = row["env"] == "no"
    return rx.hstack(
        rx.button(t("providers.test"), size="1", variant="soft", id=f"provider-test-{key}",
                  loading=ProvidersState.testing == key, on_click=ProvidersState.test(key)),
        rx.cond(
            stored,
            rx.hstack(
                rx.button(t("providers.edit"), size="1", variant="soft", id=f"provider-edit-{key}",
                          on_click=ProvidersState.open_edit(row["id"])),
                rx.cond(
                    row["key_hint"] != "",
                    rx.button(t("providers.remove_key"), size="1", variant="soft", color_scheme="amber",
                              id=f"provider-remove-key-{key}", on_click=ProvidersState.remove_key(row["id"])),
                    rx.fragment(),
                ),
                rx.button(t("providers.delete"), size="1", variant="soft", color_scheme="red",
                          id=f"provider-delete-{key}", on_click=ProvidersState.delete(row["id"])),
                spacing="2",
            ),
            rx.badge(t("providers.from_env"), color_scheme="gray"),
        ),
        spacing="2",
        wrap="wrap",
    )


def _row(row: rx.Var[Any]) -> rx.Component:
    key = row["key"]
    result = ProvidersState.results.get(key, "").to(str)
    return rx.table.row(
        rx.table.cell(rx.text(row["name"], weight="medium")),
        rx.table.cell(_kind_label(row["kind"])),
        rx.table.cell(
            rx.vstack(
                rx.text(rx.cond(row["base_url"] != "", row["base_url"], t("providers.default_url")), size="2"),
                rx.cond(row["allow_local"] == "yes",
                        rx.badge(t("providers.local_allowed"), color_scheme="amber"), rx.fragment()),
                spacing="1",
            )
        ),
        rx.table.cell(rx.cond(row["key_hint"] != "", rx.code(row["key_hint"]), rx.text(t("providers.no_key"), size="2",
                                                                                        color_scheme="gray"))),
        rx.table.cell(rx.cond(row["configured"] == "yes",
                              rx.badge(t("providers.ready"), color_scheme="green"),
                              rx.badge(t("providers.not_ready"), color_scheme="amber"))),
        rx.table.cell(
            rx.vstack(
                _actions(row),
                rx.cond(
                    result != "",
                    rx.text(result, size="2", id=f"provider-result-{key}",
                            color_scheme=rx.cond(ProvidersState.result_ok.get(key, False).to(bool), "green", "red")),
                    rx.fragment(),
                ),
                spacing="1",
            )
        ),
        id=f"provider-{key}",
    )


def _field(label_key: str, id_: str, field: rx.Component) -> rx.Component:
    return rx.vstack(field_label(label_key, id_), field, spacing="1", width="100%")


def _dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(ProvidersState.form_title),
            rx.form(
                rx.vstack(
                    _field("providers.field.kind", "provider-kind", rx.select.root(
                        rx.select.trigger(id="provider-kind", width="100%"),
                        rx.select.content(*[rx.select.item(t(f"providers.kind.{kind}"), value=kind) for kind in KINDS]),
                        value=ProvidersState.form_kind,
                        on_change=ProvidersState.set_form_kind,
                    )),
                    _field("providers.field.name", "provider-name", rx.input(
                        name="name", id="provider-name", default_value=ProvidersState.form_name, max_length=32,
                        required=True, width="100%")),
                    _field("providers.field.base_url", "provider-base-url", rx.input(
                        name="base_url", id="provider-base-url", default_value=ProvidersState.form_base_url,
                        max_length=500, width="100%", placeholder="http://localhost:11434/v1")),
                    rx.text(t("providers.field.base_url_hint"), size="1", color_scheme="gray"),
                    _field("providers.field.api_key", "provider-key", rx.input(
                        name="api_key", id="provider-key", type="password", auto_complete="new-password",
                        max_length=500, width="100%")),
                    rx.cond(ProvidersState.form_key_note != "",
                            rx.text(ProvidersState.form_key_note, size="1", color_scheme="gray"),
                            rx.fragment()),
                    _field("providers.field.timeout", "provider-timeout", rx.input(
                        name="timeout", id="provider-timeout", type="number", min=1, max=600, step="any",
                        default_value=ProvidersState.form_timeout, required=True, width="9em")),
                    rx.hstack(
                        rx.checkbox(id="provider-allow-local", name="allow_local",
                                    checked=ProvidersState.form_allow_local,
                                    on_change=ProvidersState.set_form_allow_local),
                        rx.text(t("providers.field.allow_local"), as_="label", html_for="provider-allow-local",
                                size="2"),
                        align="center",
                        spacing="2",
                    ),
                    rx.cond(
                        ProvidersState.form_allow_local,
                        rx.callout(t("providers.field.allow_local_warning"), icon="triangle-alert",
                                   color_scheme="amber", size="1", id="provider-allow-local-warning"),
                        rx.fragment(),
                    ),
                    rx.cond(ProvidersState.form_error != "",
                            rx.callout(ProvidersState.form_error, icon="circle-alert", color_scheme="red", size="1",
                                       id="provider-form-error"),
                            rx.fragment()),
                    rx.hstack(
                        rx.dialog.close(rx.button(t("common.cancel"), type="button", variant="soft",
                                                  color_scheme="gray")),
                        rx.button(t("common.save"), type="submit", id="provider-save"),
                        justify="end",
                        spacing="2",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=ProvidersState.save,
                key=ProvidersState.form_version.to(str),
            ),
            max_width="36em",
        ),
        open=ProvidersState.dialog_open,
        on_open_change=ProvidersState.set_dialog_open,
    )


def admin_providers_page() -> rx.Component:
    """The providers table, the add/edit dialog and the environment's note."""
    return app_shell(
        "providers.title",
        rx.vstack(
            admin_nav(routes.ADMIN_PROVIDERS),
            rx.text(t("providers.hint"), size="2", color_scheme="gray"),
            rx.text(t("providers.env_hint"), size="2", color_scheme="gray"),
            rx.button(rx.icon("plus", size=16), t("providers.add"), id="providers-add",
                      on_click=ProvidersState.open_new, width="fit-content"),
            rx.cond(
                ProvidersState.loaded,
                rx.box(
                    rx.table.root(
                        rx.table.header(rx.table.row(*[rx.table.column_header_cell(t(f"providers.col.{col}"))
                                                       for col in ("name", "kind", "base_url", "key", "status")],
                                                     rx.table.column_header_cell(""))),
                        rx.table.body(rx.foreach(ProvidersState.rows, _row)),
                        width="100%",
                    ),
                    overflow_x="auto",
                    width="100%",
                ),
                rx.spinner(),
            ),
            _dialog(),
            spacing="4",
            width="100%",
        ),
    )

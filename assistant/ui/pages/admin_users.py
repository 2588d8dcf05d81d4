"""The admin console's Users page: create an account (one-time password or invitation link, shown once with a
copy button), and per account: role, active, chat limit, reset password, delete; then the groups.

Ids: ``#user-new-email``, ``#user-new-name``, ``#user-new-method``, ``#user-create``; the secret's dialog
``#user-secret`` (``#user-secret-value``, ``#user-secret-copy``, ``#user-secret-close``); one ``.user-row``
per account (``.user-email``, ``.user-role``, ``.user-toggle-active``, ``.user-max-chats`` with
``.user-max-chats-save``, ``.user-reset-password``, ``.user-delete`` confirmed with ``.user-delete-confirm``).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.models.user import Role
from assistant.ui import routes
from assistant.ui.components.admin_nav import admin_nav
from assistant.ui.components.forms import field_label
from assistant.ui.components.groups import groups_card
from assistant.ui.i18n import t
from assistant.ui.layouts.shell import app_shell
from assistant.ui.state.admin_users import AdminUsersState


def _create_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.vstack(field_label("admin.col_email", "user-new-email"),
                      rx.input(name="email", id="user-new-email", type="email", required=True, width="16em"),
                      spacing="1"),
            rx.vstack(field_label("admin.col_name", "user-new-name"),
                      rx.input(name="display_name", id="user-new-name", max_length=100, width="12em"),
                      spacing="1"),
            rx.vstack(field_label("admin.users.method", "user-new-method"),
                      rx.el.select(
                          rx.el.option(t("admin.users.method_password"), value="password"),
                          rx.el.option(t("admin.users.method_invitation"), value="invitation"),
                          name="method", id="user-new-method", default_value="password",
                      ),
                      spacing="1"),
            rx.button(t("admin.users.create"), type="submit", id="user-create"),
            spacing="3",
            align="end",
            wrap="wrap",
        ),
        on_submit=AdminUsersState.create,
        key=AdminUsersState.create_form_key.to(str),
        width="100%",
    )


def _secret_dialog() -> rx.Component:
    state = AdminUsersState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(state.secret_kind == "invitation", t("admin.users.invitation_title"),
                                    t("admin.users.password_title"))),
            rx.dialog.description(rx.cond(state.secret_kind == "invitation", t("admin.users.invitation_hint"),
                                          t("admin.users.password_hint"))),
            rx.text(state.secret_email, weight="medium", margin_top="0.5em"),
            rx.hstack(
                rx.code(state.secret, id="user-secret-value", size="3", style={"word_break": "break-all"}),
                rx.icon_button(rx.icon("copy", size=16), variant="soft", id="user-secret-copy",
                               aria_label=t("admin.users.copy"),
                               on_click=[rx.set_clipboard(state.secret), rx.toast.info(t("admin.users.copied"))]),
                align="center", spacing="2", margin_top="0.5em",
            ),
            rx.hstack(
                rx.dialog.close(rx.button(t("admin.users.secret_done"), id="user-secret-close")),
                justify="end", margin_top="1em",
            ),
            id="user-secret",
        ),
        open=state.secret != "",
        on_open_change=AdminUsersState.close_secret,
    )


def _role_cell(user: rx.Var[Any]) -> rx.Component:
    label = rx.match(user["role"], *[(role.value, rx.text(t(f"role.{role.value}"), size="2")) for role in Role],
                     rx.text(user["role"], size="2"))
    select = rx.select.root(
        rx.select.trigger(class_name="user-role"),
        rx.select.content(*[rx.select.item(t(f"role.{role.value}"), value=role.value) for role in Role]),
        value=user["role"],
        on_change=lambda role: AdminUsersState.change_role(user["id"], role),
        size="1",
    )
    return rx.cond(user["is_self"] == "yes", label, select)


def _max_chats_form(user: rx.Var[Any]) -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.el.input(type="hidden", name="user_id", value=user["id"]),
            rx.input(name="max_chats", default_value=user["max_chats"], key=user["id"] + user["max_chats"],
                     type="number", min=1, max=100_000, placeholder=t("admin.users.max_chats_default"),
                     aria_label=t("admin.users.max_chats"), width="7em", size="1", class_name="user-max-chats"),
            rx.icon_button(rx.icon("check", size=14), type="submit", size="1", variant="soft",
                           aria_label=t("common.save"), class_name="user-max-chats-save"),
            spacing="1", align="center",
        ),
        on_submit=AdminUsersState.save_max_chats,
    )


def _delete_button(user: rx.Var[Any]) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.icon_button(rx.icon("trash-2", size=14), size="1", variant="soft",
                                               color_scheme="red", aria_label=t("admin.users.delete"),
                                               class_name="user-delete")),
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("admin.users.delete"), ": ", user["email"]),
            rx.alert_dialog.description(t("admin.users.delete_confirm")),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(t("admin.users.delete"), color_scheme="red",
                                                 on_click=AdminUsersState.delete_user(user["id"], user["email"]),
                                                 class_name="user-delete-confirm")),
                justify="end", spacing="3", margin_top="1em",
            ),
        ),
    )


def _actions(user: rx.Var[Any]) -> rx.Component:
    return rx.cond(
        user["is_self"] == "yes",
        rx.fragment(),
        rx.hstack(
            rx.button(rx.cond(user["active"] == "yes", t("admin.deactivate"), t("admin.activate")), size="1",
                      variant="soft", color_scheme=rx.cond(user["active"] == "yes", "red", "green"),
                      on_click=AdminUsersState.toggle_active(user["id"], user["active"]),
                      class_name="user-toggle-active"),
            rx.button(t("admin.users.reset_password"), size="1", variant="soft",
                      on_click=AdminUsersState.reset_password(user["id"]), class_name="user-reset-password"),
            _delete_button(user),
            spacing="2", align="center",
        ),
    )


def _user_row(user: rx.Var[Any]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.vstack(
            rx.text(user["email"], size="2", class_name="user-email"),
            rx.cond(user["pending"] == "yes",
                    rx.badge(t("admin.users.password_pending"), color_scheme="amber", variant="soft"),
                    rx.fragment()),
            spacing="1")),
        rx.table.cell(user["name"]),
        rx.table.cell(_role_cell(user)),
        rx.table.cell(_max_chats_form(user)),
        rx.table.cell(_actions(user)),
        class_name="user-row",
    )


def admin_users_page() -> rx.Component:
    return app_shell(
        "admin.title",
        rx.vstack(
            admin_nav(routes.ADMIN_USERS),
            rx.card(
                rx.vstack(
                    rx.heading(t("admin.users"), size="4"),
                    _create_form(),
                    rx.box(
                        rx.table.root(
                            rx.table.header(rx.table.row(
                                rx.table.column_header_cell(t("admin.col_email")),
                                rx.table.column_header_cell(t("admin.col_name")),
                                rx.table.column_header_cell(t("admin.col_role")),
                                rx.table.column_header_cell(t("admin.users.max_chats")),
                                rx.table.column_header_cell(t("admin.users.actions")),
                            )),
                            rx.table.body(rx.foreach(AdminUsersState.users, _user_row)),
                            width="100%",
                        ),
                        overflow_x="auto",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                width="100%",
                id="users-card",
            ),
            groups_card(),
            _secret_dialog(),
            spacing="4",
            width="100%",
        ),
    )

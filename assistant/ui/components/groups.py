"""The Groups card of the admin console's Users page.

Ids: ``#group-name``, ``#group-description``, ``#group-create``; one ``.group-row`` per group (``.group-title``,
``.group-uses``), one ``.group-member`` per member (``.group-member-remove``), ``.group-member-email`` with
``.group-member-add``, ``.group-edit`` opening a dialog (``#group-edit-name``, ``#group-edit-description``,
``#group-edit-save``), and ``.group-delete`` confirmed with ``.group-delete-confirm``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui.components.forms import field_label
from assistant.ui.i18n import t
from assistant.ui.state.admin_groups import GroupsState


def _create_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.vstack(field_label("groups.name", "group-name"),
                      rx.input(name="name", id="group-name", required=True, max_length=100, width="14em"),
                      spacing="1"),
            rx.vstack(field_label("groups.description", "group-description"),
                      rx.input(name="description", id="group-description", max_length=500, width="20em"),
                      spacing="1"),
            rx.button(t("groups.create"), type="submit", id="group-create"),
            spacing="3", align="end", wrap="wrap",
        ),
        on_submit=GroupsState.create,
        key=GroupsState.group_form_key.to(str),
        width="100%",
    )


def _member(group: rx.Var[Any], member: rx.Var[Any]) -> rx.Component:
    return rx.hstack(
        rx.text(member["email"].to(str), size="2"),
        rx.icon_button(rx.icon("x", size=12), size="1", variant="ghost", color_scheme="red",
                       aria_label=t("groups.remove_member"), class_name="group-member-remove",
                       on_click=GroupsState.remove_member(group["id"].to(str), member["user_id"].to(str),
                                                          member["email"].to(str))),
        spacing="1", align="center", class_name="group-member",
    )


def _edit_dialog(group: rx.Var[Any]) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("pencil", size=14), t("groups.edit"), size="1", variant="soft",
                                    class_name="group-edit", on_click=GroupsState.edit(group["id"].to(str)))),
        rx.dialog.content(
            rx.dialog.title(t("groups.edit"), ": ", group["name"].to(str)),
            rx.form(
                rx.vstack(
                    rx.el.input(type="hidden", name="group_id", value=group["id"].to(str)),
                    field_label("groups.name", "group-edit-name"),
                    rx.input(name="name", id="group-edit-name", default_value=group["name"].to(str), required=True,
                             max_length=100, width="100%"),
                    field_label("groups.description", "group-edit-description"),
                    rx.input(name="description", id="group-edit-description",
                             default_value=group["description"].to(str), max_length=500, width="100%"),
                    rx.hstack(
                        rx.button(t("common.cancel"), type="button", variant="soft", color_scheme="gray",
                                  on_click=GroupsState.close_edit(False)),
                        rx.button(t("common.save"), type="submit", id="group-edit-save"),
                        justify="end", spacing="3", width="100%", margin_top="1em",
                    ),
                    spacing="2", width="100%",
                ),
                on_submit=GroupsState.update,
            ),
        ),
        open=GroupsState.editing_id == group["id"].to(str),
        on_open_change=GroupsState.close_edit,
    )


def _delete_button(group: rx.Var[Any]) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button(rx.icon("trash-2", size=14), t("groups.delete"), size="1", variant="soft",
                                          color_scheme="red", class_name="group-delete")),
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("groups.delete"), ": ", group["name"].to(str)),
            rx.alert_dialog.description(t("groups.delete_confirm")),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(t("groups.delete"), color_scheme="red",
                                                 on_click=GroupsState.delete(group["id"].to(str),
                                                                             group["name"].to(str)),
                                                 class_name="group-delete-confirm")),
                justify="end", spacing="3", margin_top="1em",
            ),
        ),
    )


def _group_row(group: rx.Var[Any]) -> rx.Component:
    members = group["members"].to(list[dict[str, str]])
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.text(group["name"].to(str), weight="bold", class_name="group-title"),
                rx.cond(group["description"].to(str) != "",
                        rx.text(group["description"].to(str), size="2", color_scheme="gray")),
                rx.spacer(),
                _edit_dialog(group),
                _delete_button(group),
                align="center", spacing="3", width="100%", wrap="wrap",
            ),
            rx.cond(group["uses"].to(str) != "",
                    rx.text(t("groups.uses"), ": ", group["uses"].to(str), size="2", color_scheme="gray",
                            class_name="group-uses")),
            rx.cond(members.length() > 0,
                    rx.hstack(rx.foreach(members, lambda member: _member(group, member)), spacing="3", wrap="wrap"),
                    rx.text(t("groups.no_members"), size="2", color_scheme="gray")),
            rx.form(
                rx.hstack(
                    rx.el.input(type="hidden", name="group_id", value=group["id"].to(str)),
                    rx.input(name="email", type="email", required=True, placeholder=t("groups.member_email"),
                             aria_label=t("groups.member_email"), class_name="group-member-email", width="18em"),
                    rx.button(t("groups.add_member"), type="submit", size="2", variant="soft",
                              class_name="group-member-add"),
                    spacing="2", align="center",
                ),
                on_submit=GroupsState.add_member,
                reset_on_submit=True,
            ),
            spacing="2", width="100%",
        ),
        padding_y="0.75em",
        border_top=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        class_name="group-row",
    )


def groups_card() -> rx.Component:
    """Create a group; per group its members (add by e-mail, remove), what is granted to it, edit, delete."""
    return rx.card(
        rx.vstack(
            rx.heading(t("groups.title"), size="4"),
            rx.text(t("groups.hint"), size="2", color_scheme="gray"),
            _create_form(),
            rx.cond(GroupsState.groups.length() > 0,
                    rx.vstack(rx.foreach(GroupsState.groups, _group_row), spacing="0", width="100%"),
                    rx.text(t("groups.none"), size="2", color_scheme="gray", id="groups-empty")),
            spacing="3", width="100%",
        ),
        width="100%",
        id="groups-card",
    )

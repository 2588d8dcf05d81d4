"""The "Collections" and "Uploads" cards of the admin page.

Collections: ``#collection-name``, ``#collection-description``, ``#collection-create``; one
``.collection-row`` per collection (``.collection-title``, ``.collection-documents``,
``.collection-grants``), with ``.collection-grant-email`` (the field; type into its ``input``) and
``.collection-grant``, one ``.collection-grantee`` per user with access (``.collection-revoke``), one
``.collection-group`` per group with access (``.collection-group-revoke``), ``.collection-group-select`` with
``.collection-group-grant``, and ``.collection-delete`` opening a dialog confirmed with ``.collection-delete-confirm``.

Uploads: ``#max-upload-mb``, ``#user-quota-mb``, ``#max-documents`` and ``#uploads-save``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui.components.forms import field_label
from assistant.ui.i18n import t
from assistant.ui.state.admin import AdminState
from assistant.ui.state.collections import CollectionsState


def _create_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.vstack(
                field_label("collections.name", "collection-name"),
                rx.input(name="name", id="collection-name", required=True, max_length=100, width="16em"),
                spacing="1",
            ),
            rx.vstack(
                field_label("collections.description", "collection-description"),
                rx.input(name="description", id="collection-description", max_length=500, width="24em"),
                spacing="1",
            ),
            rx.button(t("collections.create"), type="submit", id="collection-create"),
            spacing="3",
            align="end",
            wrap="wrap",
        ),
        on_submit=CollectionsState.create,
        key=CollectionsState.form_key.to(str),
        width="100%",
    )


def _grantee(collection: rx.Var[Any], grantee: rx.Var[Any]) -> rx.Component:
    return rx.hstack(
        rx.text(grantee["email"].to(str), size="2", class_name="collection-grantee-email"),
        rx.text(grantee["name"].to(str), size="2", color_scheme="gray"),
        rx.button(
            t("collections.revoke"),
            size="1",
            variant="soft",
            color_scheme="red",
            class_name="collection-revoke",
            on_click=CollectionsState.revoke(collection["id"].to(str), grantee["user_id"].to(str),
                                             grantee["email"].to(str)),
        ),
        align="center",
        spacing="3",
        class_name="collection-grantee",
    )


def _group(collection: rx.Var[Any], group: rx.Var[Any]) -> rx.Component:
    return rx.badge(
        rx.icon("users", size=12),
        rx.text(group["name"].to(str), class_name="collection-group-name"),
        rx.icon_button(rx.icon("x", size=12), size="1", variant="ghost", color_scheme="red",
                       aria_label=t("collections.revoke"), class_name="collection-group-revoke",
                       on_click=CollectionsState.revoke_group(collection["id"].to(str), group["group_id"].to(str),
                                                              group["name"].to(str))),
        variant="soft", size="2", class_name="collection-group",
    )


def _group_grant_form(collection: rx.Var[Any]) -> rx.Component:
    return rx.cond(
        CollectionsState.group_options.length() > 0,
        rx.form(
            rx.hstack(
                rx.el.input(type="hidden", name="collection_id", value=collection["id"].to(str)),
                rx.el.select(
                    rx.foreach(CollectionsState.group_options,
                               lambda option: rx.el.option(option["name"], value=option["id"])),
                    name="group_id", aria_label=t("collections.grant_group_select"),
                    class_name="collection-group-select",
                ),
                rx.button(t("collections.grant_group"), type="submit", size="2", variant="soft",
                          class_name="collection-group-grant"),
                spacing="2",
                align="center",
            ),
            on_submit=CollectionsState.grant_group,
        ),
    )


def _delete_button(collection: rx.Var[Any]) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(rx.icon("trash-2", size=14), t("collections.delete"), size="1", variant="soft",
                      color_scheme="red", class_name="collection-delete"),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("collections.delete"), ": ", collection["name"].to(str)),
            rx.alert_dialog.description(t("collections.delete_confirm")),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(t("collections.delete"), color_scheme="red",
                                                 on_click=CollectionsState.delete(collection["id"].to(str)),
                                                 class_name="collection-delete-confirm")),
                justify="end", spacing="3", margin_top="1em",
            ),
        ),
    )


def _collection_row(collection: rx.Var[Any]) -> rx.Component:
    grantees = collection["grantees"].to(list[dict[str, str]])
    groups = collection["groups"].to(list[dict[str, str]])
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.text(collection["name"].to(str), weight="bold", class_name="collection-title"),
                    rx.cond(collection["description"].to(str) != "",
                            rx.text(collection["description"].to(str), size="2", color_scheme="gray")),
                    spacing="1",
                ),
                rx.spacer(),
                rx.badge(t("collections.documents_count"), ": ", collection["documents"].to(str),
                         variant="soft", class_name="collection-documents"),
                rx.badge(t("collections.grants_count"), ": ", collection["grants"].to(str),
                         variant="soft", color_scheme="gray", class_name="collection-grants"),
                _delete_button(collection),
                align="center",
                spacing="3",
                width="100%",
                wrap="wrap",
            ),
            rx.cond(
                grantees.length() > 0,
                rx.vstack(rx.foreach(grantees, lambda grantee: _grantee(collection, grantee)), spacing="1"),
                rx.text(t("collections.no_grantees"), size="2", color_scheme="gray"),
            ),
            rx.form(
                rx.hstack(
                    rx.el.input(type="hidden", name="collection_id", value=collection["id"].to(str)),
                    rx.input(name="email", type="email", required=True, placeholder=t("collections.grant_email"),
                             aria_label=t("collections.grant_email"), class_name="collection-grant-email",
                             width="18em"),
                    rx.button(t("collections.grant"), type="submit", size="2", variant="soft",
                              class_name="collection-grant"),
                    spacing="2",
                    align="center",
                ),
                on_submit=CollectionsState.grant,
                reset_on_submit=True,
            ),
            rx.cond(groups.length() > 0,
                    rx.hstack(rx.foreach(groups, lambda group: _group(collection, group)), spacing="2", wrap="wrap")),
            _group_grant_form(collection),
            spacing="2",
            width="100%",
        ),
        padding_y="0.75em",
        border_top=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        class_name="collection-row",
    )


def collections_card() -> rx.Component:
    """Create a collection, and per collection its counts, users with access, grant, revoke and delete."""
    return rx.card(
        rx.vstack(
            rx.heading(t("collections.title"), size="4"),
            rx.text(t("collections.hint"), size="2", color_scheme="gray"),
            _create_form(),
            rx.cond(
                CollectionsState.loaded,
                rx.cond(
                    CollectionsState.collections.length() > 0,
                    rx.vstack(rx.foreach(CollectionsState.collections, _collection_row), spacing="0", width="100%"),
                    rx.text(t("collections.none"), size="2", color_scheme="gray", id="collections-empty"),
                ),
                rx.spinner(),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="collections-card",
    )


def _limit_input(field: str, id_: str, label_key: str) -> rx.Component:
    return rx.vstack(
        field_label(label_key, id_),
        rx.input(name=field, id=id_, type="number", step=1, required=True, width="10em",
                 default_value=AdminState.upload_limits[field].to(str)),
        spacing="1",
    )


def uploads_card() -> rx.Component:
    """The upload limits (largest file, space and documents per user); saved together or not at all.
    The inputs have no min/max, so an out-of-range value reaches the server and its translated message."""
    return rx.card(
        rx.vstack(
            rx.heading(t("admin.uploads.title"), size="4"),
            rx.text(t("admin.uploads.hint"), size="2", color_scheme="gray"),
            rx.form(
                rx.hstack(
                    _limit_input("max_upload_mb", "max-upload-mb", "admin.uploads.max_upload_mb"),
                    _limit_input("user_quota_mb", "user-quota-mb", "admin.uploads.user_quota_mb"),
                    _limit_input("max_documents", "max-documents", "admin.uploads.max_documents"),
                    rx.button(t("common.save"), type="submit", id="uploads-save"),
                    spacing="3",
                    align="end",
                    wrap="wrap",
                ),
                on_submit=AdminState.save_upload_limits,
                key=AdminState.upload_form_key,
                width="100%",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        id="uploads-card",
    )

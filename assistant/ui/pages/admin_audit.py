"""The admin console's Audit log page: filters (action, actor, target, from and to days), the entries newest
first with the values before and after, and paging.

Ids: ``#audit-action``, ``#audit-actor``, ``#audit-target``, ``#audit-since``, ``#audit-until``,
``#audit-apply``; one ``.audit-row`` per entry (``.audit-action``, ``.audit-actor``, ``.audit-target``,
``.audit-before``, ``.audit-after``); ``#audit-previous``, ``#audit-page``, ``#audit-next``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui import routes
from assistant.ui.components.admin_nav import admin_nav
from assistant.ui.components.forms import field_label
from assistant.ui.i18n import t
from assistant.ui.layouts.shell import app_shell
from assistant.ui.state.admin_audit import AuditState


def _text_filter(name: str, id_: str, label: str, value: rx.Var[str], type_: str = "text") -> rx.Component:
    return rx.vstack(field_label(label, id_),
                     rx.input(name=name, id=id_, type=type_, default_value=value, width="12em"),
                     spacing="1")


def _filters() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.vstack(
                field_label("audit.action", "audit-action"),
                rx.el.select(
                    rx.el.option(t("audit.all_actions"), value="all"),
                    rx.foreach(AuditState.actions, lambda action: rx.el.option(action, value=action)),
                    name="action", id="audit-action", default_value=AuditState.filter_action,
                ),
                spacing="1",
            ),
            _text_filter("actor", "audit-actor", "audit.actor", AuditState.filter_actor),
            _text_filter("target", "audit-target", "audit.target", AuditState.filter_target),
            _text_filter("since", "audit-since", "audit.since", AuditState.filter_since, "date"),
            _text_filter("until", "audit-until", "audit.until", AuditState.filter_until, "date"),
            rx.button(t("audit.apply"), type="submit", id="audit-apply"),
            spacing="3", align="end", wrap="wrap",
        ),
        on_submit=AuditState.apply_filters,
        reset_on_submit=False,
        width="100%",
    )


def _values(text: rx.Var[Any], class_name: str) -> rx.Component:
    return rx.text(text, size="1", white_space="pre-wrap", class_name=class_name)


def _row(entry: rx.Var[Any]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(entry["when"], size="1"), white_space="nowrap"),
        rx.table.cell(rx.vstack(rx.text(entry["actor"], size="2", class_name="audit-actor"),
                                rx.text(entry["address"], size="1", color_scheme="gray"), spacing="0")),
        rx.table.cell(rx.code(entry["action"], class_name="audit-action")),
        rx.table.cell(rx.text(entry["target"], size="2", class_name="audit-target")),
        rx.table.cell(_values(entry["before"], "audit-before")),
        rx.table.cell(_values(entry["after"], "audit-after")),
        class_name="audit-row",
    )


def admin_audit_page() -> rx.Component:
    return app_shell(
        "admin.title",
        rx.vstack(
            admin_nav(routes.ADMIN_AUDIT),
            rx.card(
                rx.vstack(
                    rx.heading(t("audit.title"), size="4"),
                    _filters(),
                    rx.cond(
                        AuditState.entries.length() > 0,
                        rx.box(
                            rx.table.root(
                                rx.table.header(rx.table.row(
                                    *[rx.table.column_header_cell(t(key)) for key in (
                                        "audit.when", "audit.actor", "audit.action", "audit.target", "audit.before",
                                        "audit.after")],
                                )),
                                rx.table.body(rx.foreach(AuditState.entries, _row)),
                                width="100%",
                                size="1",
                            ),
                            overflow_x="auto",
                            width="100%",
                        ),
                        rx.text(t("audit.none"), size="2", color_scheme="gray", id="audit-empty"),
                    ),
                    rx.hstack(
                        rx.button(t("audit.previous"), variant="soft", size="1", id="audit-previous",
                                  disabled=~AuditState.has_previous, on_click=AuditState.previous_page),
                        rx.text(AuditState.page_label, size="2", id="audit-page"),
                        rx.button(t("audit.next"), variant="soft", size="1", id="audit-next",
                                  disabled=~AuditState.has_next, on_click=AuditState.next_page),
                        spacing="3", align="center",
                    ),
                    spacing="3",
                    width="100%",
                ),
                width="100%",
                id="audit-card",
            ),
            spacing="4",
            width="100%",
        ),
    )

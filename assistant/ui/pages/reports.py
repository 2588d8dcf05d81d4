"""The Reports page (``/reports``; state: :mod:`assistant.ui.state.reports`).

The form ``#report-form`` ("New health summary") has the checkboxes ``#report-section-<name>`` (all checked),
``#report-date-from``, ``#report-date-to``, ``#report-title``, the refusal ``#report-form-error`` and
``#report-create``. The list ``#report-list`` (empty: ``#reports-empty``) has one ``.report-row`` per report
(``id`` ``report-row-<id>``, ``data-status``) with ``.report-title``, ``.report-kind``, ``.report-created``,
the status line of :func:`assistant.ui.components.report_card.report_status`, ``.report-download`` when ready and
``.report-delete`` (its dialog's button ``.report-delete-confirm``).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.services.reports.health import SECTIONS
from assistant.ui.components.forms import field_label, labelled
from assistant.ui.components.report_card import report_status
from assistant.ui.i18n import t
from assistant.ui.layouts.shell import app_shell
from assistant.ui.state.reports import ReportsState


def _form() -> rx.Component:
    """New health summary: sections, optional period, optional title."""
    sections = rx.hstack(
        *[rx.hstack(rx.checkbox(id=f"report-section-{name}", name=f"section_{name}", default_checked=True),
                    field_label(f"reports.health.section.{name}", f"report-section-{name}"),
                    spacing="1", align="center")
          for name in SECTIONS],
        spacing="3", wrap="wrap",
    )
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(t("reports.page.new"), size="3"),
                rx.text(t("reports.page.sections"), size="2", weight="medium"),
                sections,
                rx.hstack(
                    labelled("reports.page.from", "report-date-from",
                             rx.input(type="date", name="date_from", id="report-date-from")),
                    labelled("reports.page.to", "report-date-to",
                             rx.input(type="date", name="date_to", id="report-date-to")),
                    labelled("reports.page.title_field", "report-title",
                             rx.input(name="title", id="report-title", max_length=200,
                                      placeholder=t("reports.health.default_title"), min_width="18em")),
                    spacing="3", wrap="wrap", align="end",
                ),
                rx.cond(ReportsState.form_error != "",
                        rx.callout(ReportsState.form_error, color_scheme="red", icon="triangle-alert", size="1",
                                   id="report-form-error", width="100%")),
                rx.button(rx.icon("file-plus", size=14), t("reports.page.create"), type="submit", id="report-create"),
                spacing="3",
                width="100%",
            ),
            on_submit=ReportsState.create,
            reset_on_submit=False,
            key=ReportsState.form_key.to_string(),
            id="report-form",
            width="100%",
        ),
        width="100%",
    )


def _delete(row: rx.Var[Any]) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.icon_button(rx.icon("trash-2", size=14), variant="ghost", color_scheme="red", size="1",
                           aria_label=t("reports.page.delete"), title=t("reports.page.delete"),
                           class_name="report-delete"),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("reports.page.delete_title")),
            rx.alert_dialog.description(row["title"].to(str)),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(t("reports.page.delete"), color_scheme="red",
                                                 on_click=ReportsState.delete(row["id"].to(str)),
                                                 class_name="report-delete-confirm")),
                justify="end", spacing="3", margin_top="1em",
            ),
        ),
    )


def _row(row: rx.Var[Any]) -> rx.Component:
    report_id = row["id"].to(str)
    return rx.box(
        rx.hstack(
            rx.icon(rx.cond(row["kind"].to(str) == "data_export", "archive", "file-text"), size=16),
            rx.vstack(
                rx.hstack(
                    rx.text(row["title"].to(str), weight="medium", size="2", class_name="report-title"),
                    rx.badge(row["kind_text"].to(str), variant="soft", color_scheme="gray", class_name="report-kind"),
                    rx.text(row["created"].to(str), size="1", color_scheme="gray", class_name="report-created"),
                    align="center", spacing="2", wrap="wrap",
                ),
                report_status(row),
                spacing="1",
            ),
            rx.spacer(),
            rx.cond(row["ready"].to(bool),
                    rx.button(rx.icon("download", size=14), t("reports.page.download"), size="1",
                              on_click=ReportsState.download(report_id), class_name="report-download")),
            _delete(row),
            align="center", spacing="3", width="100%",
        ),
        padding="0.6em 0",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        id="report-row-" + report_id,
        class_name="report-row",
        custom_attrs={"data-status": row["status"].to(str)},
    )


def reports_page() -> rx.Component:
    """The user's reports and the form for a new health summary."""
    return app_shell(
        "reports.page.title",
        rx.vstack(
            _form(),
            rx.cond(ReportsState.rows.length() > 0,
                    rx.vstack(rx.foreach(ReportsState.rows, _row), spacing="0", width="100%", id="report-list"),
                    rx.text(t("reports.page.empty"), color_scheme="gray", id="reports-empty")),
            spacing="4",
            width="100%",
        ),
    )

"""The card of a report in a chat and a report's status line, shared with the Reports page (state:
:mod:`assistant.ui.state.report_card`, :mod:`assistant.ui.state.reports`).

A card is ``.report-card`` (``id`` ``report-<report id>``, ``data-status`` queued, running, completed, failed or
cancelled) with ``.report-title``, ``.report-status``, while building ``.report-progress``, once ready
``.report-detail`` and the button ``.report-download``, when failed ``.report-error``; and the link
``.report-all`` to the Reports page.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui import routes
from assistant.ui.i18n import t
from assistant.ui.state.chat import ChatState

STATUS_COLORS = {"queued": "gray", "running": "blue", "completed": "grass", "failed": "red", "cancelled": "gray"}


def report_status(report: rx.Var[Any]) -> rx.Component:
    """A report's status badge, and while it is built its stage and a progress bar."""
    status = report["status"].to(str)
    return rx.hstack(
        rx.badge(report["status_text"].to(str), class_name="report-status",
                 color_scheme=rx.match(status, *list(STATUS_COLORS.items()), "gray")),
        rx.cond(report["open"].to(bool), rx.hstack(
            rx.text(report["stage_text"].to(str), size="1", color_scheme="gray"),
            rx.progress(value=report["progress"].to(int), max=100, width="8em", class_name="report-progress"),
            align="center", spacing="2")),
        rx.cond(report["ready"].to(bool),
                rx.text(report["detail"].to(str), size="1", color_scheme="gray", class_name="report-detail")),
        rx.cond(report["failed"].to(bool),
                rx.text(report["error"].to(str), size="1", color_scheme="red", class_name="report-error")),
        align="center", spacing="2", wrap="wrap",
    )


def report_card(report: rx.Var[Any]) -> rx.Component:
    """The chat's card of one report (``report``: :func:`assistant.ui.state.reports.report_view`)."""
    report_id = report["id"].to(str)
    return rx.card(
        rx.vstack(
            rx.hstack(rx.icon("file-text", size=16),
                      rx.text(report["title"].to(str), weight="medium", size="2", class_name="report-title"),
                      align="center", spacing="2"),
            report_status(report),
            rx.hstack(
                rx.cond(report["ready"].to(bool),
                        rx.button(rx.icon("download", size=14), t("reports.page.download"), size="1",
                                  on_click=ChatState.download_report(report_id), class_name="report-download")),
                rx.link(t("reports.card.all"), href=routes.REPORTS, size="1", class_name="report-all"),
                align="center", spacing="3",
            ),
            spacing="2",
            width="100%",
        ),
        size="1",
        width="100%",
        id="report-" + report_id,
        class_name="report-card",
        custom_attrs={"data-status": report["status"].to(str)},
    )

"""The admin Analytics page (``#analytics-page``): the range filter (``#analytics-range``: presets
``#analytics-last-7/30/90``, ``#analytics-from``, ``#analytics-to``, ``#analytics-apply``, the clamped-range note
``#analytics-range-notice``), then one card per table (``#analytics-<key>``) with its chart
(``#analytics-chart-<key>``), its table (``#analytics-table-<key>``) and its CSV download
(``#analytics-csv-<key>``)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.services.analytics.instance import QUERIES, TABLES
from assistant.ui import routes
from assistant.ui.components.admin_nav import admin_nav
from assistant.ui.i18n import t
from assistant.ui.layouts.shell import app_shell
from assistant.ui.state.analytics import PRESETS, AnalyticsState

_STATE = AnalyticsState

#: table key -> (chart kind, the series drawn). The first column is the x axis.
CHARTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "messages_per_day": ("line", ("messages",)),
    "active_users_per_day": ("line", ("users",)),
    "tokens_by_tier": ("stacked", ("input_tokens", "output_tokens")),
    "tokens_by_provider": ("stacked", ("input_tokens", "output_tokens")),
    "tokens_by_model": ("stacked", ("input_tokens", "output_tokens")),
    "latency_by_model": ("bar", ("p50_ms", "p95_ms")),
    "tool_calls": ("bar", ("calls",)),
    "documents_by_status": ("bar", ("documents", "chunks")),
    "ingestion_failures": ("bar", ("documents",)),
    "notifications_by_channel": ("bar", ("sent", "failed", "acknowledged", "failed_attempts")),
}

_COLORS = ("blue", "orange", "grass", "crimson")


def _chart(key: str, rows: rx.Var[Any]) -> rx.Component:
    kind, series = CHARTS[key]
    axis = QUERIES[key][0][0]
    common = [rx.recharts.cartesian_grid(stroke_dasharray="3 3"), rx.recharts.x_axis(data_key=axis),
              rx.recharts.y_axis(), rx.recharts.graphing_tooltip(), rx.recharts.legend()]
    if kind == "line":
        lines = [rx.recharts.line(data_key=name, name=t(f"analytics.col.{name}"), stroke=rx.color(color, 9), dot=False,
                                 is_animation_active=False)
                 for name, color in zip(series, _COLORS, strict=False)]
        return rx.recharts.line_chart(*lines, *common, data=rows, width="100%", height=260)
    bars = [rx.recharts.bar(data_key=name, name=t(f"analytics.col.{name}"), fill=rx.color(color, 8),
                            stack_id="total" if kind == "stacked" else None, is_animation_active=False)
            for name, color in zip(series, _COLORS, strict=False)]
    return rx.recharts.bar_chart(*bars, *common, data=rows, width="100%", height=260)


def _table(key: str, rows: rx.Var[Any]) -> rx.Component:
    columns = QUERIES[key][0]
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(t(f"analytics.col.{name}"))
                                           for name in columns])),
            rx.table.body(rx.foreach(rows, lambda row: rx.table.row(
                *[rx.table.cell(row[name].to(str)) for name in columns]))),
            size="1",
            width="100%",
        ),
        max_height="16em",
        overflow_y="auto",
        width="100%",
        id=f"analytics-table-{key}",
    )


def _section(key: str) -> rx.Component:
    rows = _STATE.tables[key].to(list[dict[str, Any]])
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(t(f"analytics.table.{key}"), size="4"),
                rx.spacer(),
                rx.button(rx.icon("download", size=14), t("analytics.download_csv"), size="1", variant="soft",
                          on_click=_STATE.download_csv(key), id=f"analytics-csv-{key}"),
                align="center",
                width="100%",
            ),
            rx.cond(
                rows.length() > 0,
                rx.fragment(rx.box(_chart(key, rows), width="100%", id=f"analytics-chart-{key}"), _table(key, rows)),
                rx.text(t("analytics.empty"), size="2", color_scheme="gray"),
            ),
            spacing="3",
            width="100%",
        ),
        id=f"analytics-{key}",
        width="100%",
    )


def _range_filter() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                *[rx.button(t(f"analytics.last_{days}"), size="2", variant="soft", on_click=_STATE.show_last(days),
                            id=f"analytics-last-{days}") for days in PRESETS],
                rx.form(
                    rx.hstack(
                        rx.text(t("analytics.from"), as_="label", html_for="analytics-from", size="2"),
                        rx.input(type="date", name="start", default_value=_STATE.start, id="analytics-from"),
                        rx.text(t("analytics.to"), as_="label", html_for="analytics-to", size="2"),
                        rx.input(type="date", name="end", default_value=_STATE.end, id="analytics-to"),
                        rx.button(t("analytics.apply"), type="submit", id="analytics-apply"),
                        align="center",
                        spacing="2",
                        wrap="wrap",
                    ),
                    on_submit=_STATE.show_range,
                    key=_STATE.form_key.to(str),
                ),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            rx.text(_STATE.zone_hint, size="2", color_scheme="gray", id="analytics-zone"),
            rx.cond(_STATE.range_notice != "",
                    rx.callout(_STATE.range_notice, color_scheme="amber", id="analytics-range-notice", width="100%")),
            spacing="2",
            width="100%",
        ),
        id="analytics-range",
        width="100%",
    )


def analytics_page() -> rx.Component:
    return app_shell(
        "analytics.title",
        rx.vstack(
            admin_nav(routes.ADMIN_ANALYTICS),
            _range_filter(),
            *[_section(key) for key in TABLES],
            spacing="4",
            width="100%",
            id="analytics-page",
        ),
    )

"""The admin console's System page: health (the checks of ``GET /health``), workers, versions, disk use of the
data folder and the last errors, with a Refresh button.

Ids: ``#system-refresh``, ``#system-status`` (``data-healthy``), one ``.system-check`` per check
(``data-name``, ``data-ok``; ``.system-check-detail``), ``.system-worker`` per heartbeat, ``.system-version``
per component (``data-name``), ``.system-folder`` per top-level entry of the data folder, ``.system-error`` per
recent error (``#system-no-errors`` when none).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui import routes
from assistant.ui.components.admin_nav import admin_nav
from assistant.ui.i18n import t
from assistant.ui.layouts.shell import app_shell
from assistant.ui.state.admin_system import SystemState


def _table(headers: list[str], rows: rx.Var[Any], row: Any, empty_key: str, empty_id: str) -> rx.Component:
    return rx.cond(
        rows.length() > 0,
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(t(key)) for key in headers])),
                rx.table.body(rx.foreach(rows, row)),
                width="100%",
                size="1",
            ),
            overflow_x="auto",
            width="100%",
        ),
        rx.text(t(empty_key), size="2", color_scheme="gray", id=empty_id),
    )


def _mark(ok: rx.Var[Any]) -> rx.Component:
    return rx.cond(ok != "", rx.badge(t("system.ok"), color_scheme="green"),
                   rx.badge(t("system.failing"), color_scheme="red"))


def _check(check: rx.Var[Any]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(check["name"])),
        rx.table.cell(_mark(check["ok"])),
        rx.table.cell(rx.text(check["detail"], size="2", class_name="system-check-detail")),
        class_name="system-check", custom_attrs={"data-name": check["name"], "data-ok": check["ok"]},
    )


def _worker(worker: rx.Var[Any]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(worker["host"], size="2")),
        rx.table.cell(rx.cond(worker["leader"] != "", rx.badge(t("system.leader")), rx.fragment())),
        rx.table.cell(_mark(worker["live"])),
        rx.table.cell(rx.text(worker["age"], size="2")),
        rx.table.cell(rx.text(worker["services"], size="1")),
        rx.table.cell(rx.text(worker["errors"], size="1", white_space="pre-wrap")),
        class_name="system-worker",
    )


def _version(item: rx.Var[Any]) -> rx.Component:
    return rx.table.row(rx.table.cell(rx.code(item["name"])), rx.table.cell(rx.text(item["version"], size="2")),
                        class_name="system-version", custom_attrs={"data-name": item["name"]})


def _folder(folder: rx.Var[Any]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(folder["name"])),
        rx.table.cell(rx.text(folder["size"], size="2")),
        rx.table.cell(rx.text(folder["files"], size="2")),
        rx.table.cell(rx.cond(folder["partial"] != "", rx.badge(t("system.partial"), color_scheme="amber"),
                              rx.fragment())),
        class_name="system-folder",
    )


def _error(error: rx.Var[Any]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(error["when"], size="1"), white_space="nowrap"),
        rx.table.cell(rx.code(error["source"])),
        rx.table.cell(rx.text(error["subject"], size="1")),
        rx.table.cell(rx.text(error["message"], size="1", white_space="pre-wrap")),
        class_name="system-error",
    )


def _card(title: str, *children: rx.Component, id_: str) -> rx.Component:
    return rx.card(rx.vstack(rx.heading(t(title), size="4"), *children, spacing="3", width="100%"), width="100%",
                   id=id_)


def admin_system_page() -> rx.Component:
    return app_shell(
        "admin.title",
        rx.vstack(
            admin_nav(routes.ADMIN_SYSTEM),
            rx.hstack(
                rx.cond(
                    SystemState.loaded,
                    rx.cond(SystemState.healthy,
                            rx.badge(t("system.healthy"), color_scheme="green", size="3"),
                            rx.badge(t("system.unhealthy"), color_scheme="red", size="3")),
                    rx.spinner(),
                ),
                rx.button(t("system.refresh"), variant="soft", size="2", id="system-refresh",
                          on_click=SystemState.load),
                spacing="3", align="center", id="system-status",
                custom_attrs={"data-healthy": rx.cond(SystemState.healthy, "1", "")},
            ),
            _card("system.health", _table(["system.check", "system.state", "system.detail"], SystemState.checks,
                                          _check, "system.no_checks", "system-no-checks"), id_="system-health"),
            _card("system.workers", _table(["system.host", "system.role", "system.state", "system.age",
                                            "system.services", "system.service_errors"], SystemState.workers,
                                           _worker, "system.no_workers", "system-no-workers"), id_="system-workers"),
            _card("system.versions", _table(["system.component", "system.version"], SystemState.versions, _version,
                                            "system.no_checks", "system-no-versions"), id_="system-versions"),
            _card("system.disk",
                  rx.text(SystemState.disk_path, " · ", t("system.free"), " ", SystemState.disk_free, size="2",
                          color_scheme="gray"),
                  _table(["system.folder", "system.size", "system.files", "system.note"], SystemState.disk,
                         _folder, "system.no_folders", "system-no-folders"), id_="system-disk"),
            _card("system.errors", _table(["system.when", "system.source", "system.subject", "system.message"],
                                          SystemState.errors, _error, "system.no_errors", "system-no-errors"),
                  id_="system-errors"),
            spacing="4",
            width="100%",
        ),
    )

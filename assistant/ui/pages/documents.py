"""The documents page: upload zone with progress (for admins, a choice of private or a collection:
``#upload-target``), and the list with live ingestion progress; each name links to ``/documents/{id}``."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.models import DocumentStatus
from assistant.ui import routes
from assistant.ui.i18n import t
from assistant.ui.layouts.shell import app_shell
from assistant.ui.state.documents import PRIVATE_TARGET, UPLOAD_ID, DocumentsState

ACCEPT = {
    "application/pdf": [".pdf"],
    "application/epub+zip": [".epub"],
    "text/plain": [".txt"],
    "text/markdown": [".md", ".markdown"],
    "text/csv": [".csv"],
    "text/html": [".html", ".htm"],
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": [".docx"],
}
STATUS_COLORS = {DocumentStatus.PENDING: "gray", DocumentStatus.PROCESSING: "blue", DocumentStatus.COMPLETED: "green",
                 DocumentStatus.FAILED: "red", DocumentStatus.CANCELLED: "orange"}


def upload_target() -> rx.Component:
    """Where admins' uploads go: their private documents or one of the collections."""
    return rx.hstack(
        rx.el.label(rx.text(t("collections.upload_target"), as_="span", size="2", weight="medium"),
                    html_for="upload-target"),
        rx.select.root(
            rx.select.trigger(id="upload-target", min_width="16em"),
            rx.select.content(
                rx.select.item(t("collections.my_documents"), value=PRIVATE_TARGET),
                rx.foreach(DocumentsState.upload_targets,
                           lambda target: rx.select.item(target["name"], value=target["id"])),
            ),
            value=DocumentsState.upload_target,
            on_change=DocumentsState.set_upload_target,
        ),
        align="center",
        spacing="3",
    )


def upload_zone() -> rx.Component:
    return rx.vstack(
        rx.cond(DocumentsState.is_admin, upload_target()),
        rx.upload(
            rx.vstack(
                rx.icon("upload", size=28, color=rx.color("accent", 9)),
                rx.text(t("documents.drop_here"), weight="medium"),
                rx.text(t("documents.accepted_types"), size="1", color_scheme="gray"),
                align="center",
                spacing="2",
            ),
            id=UPLOAD_ID,
            multiple=True,
            accept=ACCEPT,
            on_drop=DocumentsState.upload(  # type: ignore[misc]  # a background upload handler, called with its chunks
                rx.upload_files_chunk(upload_id=UPLOAD_ID, on_upload_progress=DocumentsState.upload_progress)
            ),
            border=f"2px dashed {rx.color('accent', 7)}",
            border_radius="var(--radius-3)",
            padding="1.5em",
            width="100%",
            cursor="pointer",
        ),
        rx.cond(
            DocumentsState.uploading,
            rx.hstack(
                rx.text(t("documents.uploading"), size="2"),
                rx.progress(value=DocumentsState.upload_percent, max=100, width="100%", id="upload-progress"),
                rx.button(t("common.cancel"), size="1", variant="soft", color_scheme="gray",
                          on_click=rx.cancel_upload(UPLOAD_ID)),
                width="100%",
                align="center",
            ),
        ),
        width="100%",
    )


def document_row(row: rx.Var[Any]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.link(row["filename"].to(str), href=routes.DOCUMENTS + "/" + row["id"].to(str), weight="medium",
                        class_name="document-name"),
                rx.cond(row["error"].to(str) != "",
                        rx.text(row["error"].to(str), size="1", color_scheme="red", class_name="document-error")),
                spacing="1",
            ),
        ),
        rx.table.cell(rx.cond(row["collection"].to(str) != "",
                              rx.badge(row["collection"].to(str), variant="soft", size="1",
                                       class_name="document-collection"),
                              rx.text(t("collections.private"), size="1", color_scheme="gray",
                                      class_name="document-collection"))),
        rx.table.cell(rx.text(row["type"].to(str), size="1")),
        rx.table.cell(rx.text(row["size"].to(str), size="1")),
        rx.table.cell(rx.text(row["pages"].to(str), size="1")),
        rx.table.cell(
            rx.vstack(
                rx.badge(row["status_text"].to(str), color_scheme=rx.match(
                    row["status"].to(str), *[(status.value, color) for status, color in STATUS_COLORS.items()], "gray"),
                    class_name="document-status"),
                rx.cond(row["busy"].to(bool),
                        rx.hstack(rx.progress(value=row["progress"].to(int), max=100, width="6em"),
                                  rx.text(row["progress"].to(str) + " %", size="1", class_name="document-progress"),
                                  rx.text(row["stage"].to(str), size="1", color_scheme="gray"),
                                  align="center")),
                spacing="1",
            ),
        ),
        rx.table.cell(
            rx.cond(
                row["can_change"].to(bool),
                rx.hstack(
                    rx.cond(row["busy"].to(bool),
                            rx.icon_button(rx.icon("circle-stop", size=14), size="1", variant="ghost",
                                           on_click=DocumentsState.cancel(row["id"].to(str)),
                                           aria_label=t("documents.cancel"), title=t("documents.cancel")),
                            rx.icon_button(rx.icon("refresh-cw", size=14), size="1", variant="ghost",
                                           on_click=DocumentsState.reindex(row["id"].to(str)),
                                           aria_label=t("documents.reindex"), title=t("documents.reindex"))),
                    rx.alert_dialog.root(
                        rx.alert_dialog.trigger(
                            rx.icon_button(rx.icon("trash-2", size=14), size="1", variant="ghost", color_scheme="red",
                                           aria_label=t("documents.delete"), title=t("documents.delete"),
                                           class_name="document-delete"),
                        ),
                        rx.alert_dialog.content(
                            rx.alert_dialog.title(t("documents.delete")),
                            rx.alert_dialog.description(t("documents.delete_confirm")),
                            rx.hstack(
                                rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft",
                                                                 color_scheme="gray")),
                                rx.alert_dialog.action(rx.button(t("documents.delete"), color_scheme="red",
                                                                 on_click=DocumentsState.delete(row["id"].to(str)),
                                                                 class_name="document-delete-confirm")),
                                justify="end", spacing="3", margin_top="1em",
                            ),
                        ),
                    ),
                    spacing="2",
                ),
            ),
        ),
        class_name="document-row",
    )


def documents_page() -> rx.Component:
    return app_shell(
        "page.documents.title",
        rx.vstack(
            upload_zone(),
            rx.input(placeholder=t("documents.filter"), value=DocumentsState.query,
                     on_change=DocumentsState.set_query.debounce(300), width="100%", id="documents-filter"),
            rx.cond(
                DocumentsState.documents.length() == 0,
                rx.text(rx.cond(DocumentsState.query != "", t("documents.nothing_found"), t("page.documents.empty")),
                        color_scheme="gray", id="empty-state"),
                rx.box(
                    rx.table.root(
                        rx.table.header(rx.table.row(
                            rx.table.column_header_cell(t("documents.col_name")),
                            rx.table.column_header_cell(t("collections.column")),
                            rx.table.column_header_cell(t("documents.col_type")),
                            rx.table.column_header_cell(t("documents.col_size")),
                            rx.table.column_header_cell(t("documents.col_pages")),
                            rx.table.column_header_cell(t("documents.col_status")),
                            rx.table.column_header_cell(""),
                        )),
                        rx.table.body(rx.foreach(DocumentsState.documents, document_row)),
                        width="100%",
                    ),
                    overflow_x="auto",
                    width="100%",
                ),
            ),
            spacing="4",
            width="100%",
        ),
    )

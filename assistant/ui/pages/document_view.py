"""The document viewer: a page of extracted text, the cited passage marked (``#cited-passage``), page
navigation (``#page-previous``, ``#page-next``), the original file (``#document-download``) and "Propose
reminders" (``#propose-reminders``, see :mod:`assistant.ui.components.proposal_card`)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui import routes
from assistant.ui.components.proposal_card import propose_button
from assistant.ui.i18n import t
from assistant.ui.layouts.shell import app_shell
from assistant.ui.state.document_view import PASSAGE_ID, DocumentViewState


def segment(item: rx.Var[Any]) -> rx.Component:
    text = item["text"].to(str)
    return rx.cond(
        item["marked"].to(bool),
        rx.el.mark(text, id=PASSAGE_ID, background_color=rx.color("amber", 5), color="inherit",
                   border_radius="var(--radius-1)", padding="0 0.1em"),
        rx.el.span(text),
    )


def toolbar() -> rx.Component:
    state = DocumentViewState
    return rx.hstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), rx.text(t("viewer.back")), align="center", spacing="1"),
                href=routes.DOCUMENTS, size="2"),
        rx.spacer(),
        rx.cond(state.pages > 1,
                rx.hstack(
                    rx.icon_button(rx.icon("chevron-left", size=16), size="1", variant="soft", id="page-previous",
                                   disabled=state.previous_number == "", aria_label=t("viewer.previous"),
                                   title=t("viewer.previous"), on_click=state.show_page(state.previous_number)),
                    rx.text(t("viewer.page"), " ", state.page_number, " / ", state.pages, size="2",
                            id="viewer-page"),
                    rx.icon_button(rx.icon("chevron-right", size=16), size="1", variant="soft", id="page-next",
                                   disabled=state.next_number == "", aria_label=t("viewer.next"),
                                   title=t("viewer.next"), on_click=state.show_page(state.next_number)),
                    align="center", spacing="2",
                )),
        propose_button(state.document_id),
        rx.button(rx.icon("download", size=14), t("viewer.download"), size="1", variant="soft",
                  id="document-download", on_click=state.download),
        width="100%",
        align="center",
    )


def document_view_page() -> rx.Component:
    state = DocumentViewState
    return app_shell(
        "page.viewer.title",
        rx.cond(
            state.missing,
            rx.callout(t("documents.not_found"), icon="file-x", color_scheme="gray", id="viewer-missing"),
            rx.vstack(
                toolbar(),
                rx.heading(state.title, size="4", id="viewer-title"),
                rx.cond(state.chunk_id != "",
                        rx.cond(state.passage_found,
                                rx.text(t("viewer.passage_marked"), size="1", color_scheme="gray"),
                                rx.text(t("viewer.passage_elsewhere"), size="1", color_scheme="gray"))),
                rx.cond(
                    state.segments.length() > 0,
                    rx.box(rx.foreach(state.segments, segment), id="viewer-text", white_space="pre-wrap",
                           line_height="1.6", padding="1em", width="100%", border_radius="var(--radius-3)",
                           border=f"1px solid {rx.color('gray', 5)}"),
                    rx.callout(rx.cond(state.pages > 0, t("viewer.blank_page"), t("viewer.no_text")), icon="info",
                               color_scheme="gray", id="viewer-no-text"),
                ),
                width="100%",
                spacing="3",
            ),
        ),
    )

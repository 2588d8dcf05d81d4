"""The document viewer: for a PDF the page image (``#viewer-image``) with the cited passage's lines boxed
over it (``.cited-box``), a page of extracted text, the cited passage marked (``#cited-passage``), page
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


def highlight(box: rx.Var[Any]) -> rx.Component:
    """One line of the cited passage over the page image (decorative: the text below carries the mark)."""
    return rx.box(
        class_name="cited-box", id=box["id"].to(str), position="absolute", left=box["left"].to(str),
        top=box["top"].to(str), width=box["width"].to(str), height=box["height"].to(str),
        background_color=rx.color("amber", 9), opacity="0.35", mix_blend_mode="multiply",
        outline=f"1px solid {rx.color('amber', 10)}", border_radius="2px", pointer_events="none",
        aria_hidden="true",
    )


def page_image() -> rx.Component:
    """The page as printed, scaled to the column (a phone's width included), the boxes scaling with it."""
    state = DocumentViewState
    return rx.box(
        rx.image(src=state.image_url, alt=state.image_alt, width="100%", height="auto", display="block",
                 id="viewer-image"),
        rx.foreach(state.boxes, highlight),
        position="relative", width="100%", max_width="900px", border=f"1px solid {rx.color('gray', 5)}",
        border_radius="var(--radius-2)", overflow="hidden", background_color="white",
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
                rx.cond(state.image_url != "", page_image()),
                rx.cond(state.image_failed,
                        rx.callout(t("viewer.image_failed"), icon="image-off", color_scheme="gray",
                                   id="viewer-image-failed")),
                rx.cond(state.image_url != "",
                        rx.heading(t("viewer.text_heading"), as_="h2", size="3", id="viewer-text-heading")),
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

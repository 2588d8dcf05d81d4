"""Medication reminders proposed from a document: the chat's card and the document page's button (state:
:mod:`assistant.ui.state.proposals`).

A card is ``.proposal-card`` (``id`` ``proposal-<proposal id>``, ``data-status`` proposed, confirmed or
rejected) with its title ``.proposal-title``; one ``.proposal-row`` per medicine (``data-index`` from 0) with
``.proposal-drug``, ``.proposal-dose``, ``.proposal-times``, ``.proposal-period``, the source link
``.proposal-source`` (``/documents/<id>?page=N``), and while waiting ``.proposal-row-edit`` and
``.proposal-row-remove``. The open row's form is ``#proposal-edit-form`` with ``#proposal-edit-drug``,
``#proposal-edit-dose``, ``#proposal-edit-times``, ``#proposal-edit-start``, ``#proposal-edit-end``,
``#proposal-edit-error``, ``#proposal-edit-save`` and ``#proposal-edit-cancel``. A waiting card has
``.proposal-confirm`` and ``.proposal-reject``; a decided one ``.proposal-outcome``, and once confirmed its
reminders ``.proposal-reminder`` and the link ``.proposal-reminders-link`` to ``/reminders``.

The document page's button is ``#propose-reminders``; without a language model it is absent and
``#propose-reminders-absent`` says why.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui import routes
from assistant.ui.components.forms import labelled
from assistant.ui.i18n import t
from assistant.ui.state.chat import ChatState
from assistant.ui.state.proposals import DocumentProposalState

STATUS_COLORS = {"proposed": "amber", "confirmed": "grass", "rejected": "gray"}


def _edit_form(row: rx.Var[Any]) -> rx.Component:
    """The open row's fields; saved with the service's checks, a refusal shown above the buttons."""
    def field(key: str, name: str, value: rx.Var[Any], **props: Any) -> rx.Component:
        return labelled(key, f"proposal-edit-{name}",
                        rx.input(name=name, id=f"proposal-edit-{name}", default_value=value, size="1", **props))

    return rx.form(
        rx.vstack(
            rx.hstack(
                field("proposals.card.drug", "drug", row["drug"].to(str), required=True),
                field("proposals.card.dose", "dose", row["dose"].to(str), required=True),
                field("proposals.card.times", "times", row["times"].to(str), required=True, min_width="16em"),
                field("proposals.card.start", "start", row["start"].to(str), type="date", required=True),
                field("proposals.card.end", "end", row["end"].to(str), type="date"),
                spacing="3", wrap="wrap",
            ),
            rx.cond(ChatState.proposal_error != "",
                    rx.callout(ChatState.proposal_error, color_scheme="red", icon="triangle-alert", size="1",
                               id="proposal-edit-error", width="100%")),
            rx.hstack(
                rx.button(t("common.cancel"), type="button", size="1", variant="soft", color_scheme="gray",
                          on_click=ChatState.cancel_proposal_edit, id="proposal-edit-cancel"),
                rx.button(rx.icon("check", size=14), t("common.save"), type="submit", size="1",
                          id="proposal-edit-save"),
                spacing="2",
            ),
            spacing="2",
            width="100%",
        ),
        on_submit=ChatState.save_proposal_row,
        id="proposal-edit-form",
        key=row["key"].to(str),
        width="100%",
    )


def _row(row: rx.Var[Any], card: rx.Var[Any]) -> rx.Component:
    """One proposed reminder: what, how much, when, from which page; Edit and Remove while waiting."""
    pending = card["pending"].to(bool)
    view = rx.hstack(
        rx.icon("pill", size=14, flex_shrink="0"),
        rx.text(row["drug"].to(str), weight="medium", size="2", class_name="proposal-drug"),
        rx.text(row["dose"].to(str), size="2", class_name="proposal-dose"),
        rx.badge(row["times"].to(str), variant="soft", class_name="proposal-times"),
        rx.text(row["period"].to(str), size="1", color_scheme="gray", class_name="proposal-period"),
        rx.cond(row["note"].to(str) != "", rx.text(row["note"].to(str), size="1", color_scheme="gray")),
        rx.cond(row["href"].to(str) != "",
                rx.link(rx.cond(row["page"].to(str) != "", t("proposals.card.page") + " " + row["page"].to(str),
                                t("proposals.card.page")),
                        href=row["href"].to(str), size="1", class_name="proposal-source")),
        rx.spacer(),
        rx.cond(pending, rx.hstack(
            rx.icon_button(rx.icon("pencil", size=12), size="1", variant="ghost",
                           on_click=ChatState.edit_proposal_row(row["key"].to(str)),
                           aria_label=t("proposals.card.edit"), title=t("proposals.card.edit"),
                           class_name="proposal-row-edit"),
            rx.cond(card["can_remove"].to(bool),
                    rx.icon_button(rx.icon("x", size=12), size="1", variant="ghost", color_scheme="gray",
                                   on_click=ChatState.remove_proposal_row(row["key"].to(str)),
                                   aria_label=t("proposals.card.remove"), title=t("proposals.card.remove"),
                                   class_name="proposal-row-remove")),
            spacing="1",
        )),
        align="center", spacing="2", wrap="wrap", width="100%",
    )
    return rx.box(
        rx.cond(pending & (ChatState.proposal_edit == row["key"].to(str)), _edit_form(row), view),
        padding="0.4em 0",
        border_top=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        class_name="proposal-row",
        custom_attrs={"data-index": row["index"].to(str)},
    )


def proposal_card(card: rx.Var[Any]) -> rx.Component:
    """The card of one proposal (``card``: see :func:`assistant.ui.state.proposals.proposal_cards`)."""
    proposal_id = card["proposal_id"].to(str)
    status = card["status"].to(str)
    color = rx.match(status, *[(name, rx.color(scheme, 9)) for name, scheme in STATUS_COLORS.items()],
                     rx.color("gray", 9))
    return rx.card(
        rx.vstack(
            rx.hstack(rx.icon("bell-plus", size=16, color=color),
                      rx.text(card["title"].to(str), weight="medium", size="2", class_name="proposal-title"),
                      align="center", spacing="2"),
            rx.cond(card["pending"].to(bool), rx.text(t("proposals.card.hint"), size="1", color_scheme="gray")),
            rx.foreach(card["rows"].to(list[dict[str, str]]), lambda row: _row(row, card)),
            rx.cond(
                card["pending"].to(bool),
                rx.hstack(
                    rx.button(rx.icon("check", size=14), t("proposals.card.confirm"), size="1",
                              on_click=ChatState.confirm_proposal(proposal_id), class_name="proposal-confirm"),
                    rx.button(rx.icon("x", size=14), t("proposals.card.reject"), size="1", variant="soft",
                              color_scheme="gray", on_click=ChatState.reject_proposal(proposal_id),
                              class_name="proposal-reject"),
                    spacing="2",
                ),
                rx.text(card["outcome"].to(str), size="2", class_name="proposal-outcome"),
            ),
            rx.foreach(card["reminders"].to(list[dict[str, str]]), lambda reminder: rx.hstack(
                rx.icon("bell", size=14),
                rx.text(reminder["title"].to(str), size="2"),
                rx.text(reminder["next"].to(str), size="1", color_scheme="gray"),
                align="center", spacing="2", class_name="proposal-reminder")),
            rx.cond(status == "confirmed",
                    rx.link(t("proposals.card.open_reminders"), href=routes.REMINDERS, size="2",
                            class_name="proposal-reminders-link")),
            spacing="2",
            width="100%",
        ),
        size="1",
        width="100%",
        id="proposal-" + proposal_id,
        class_name="proposal-card",
        custom_attrs={"data-status": status},
    )


def propose_button(document_id: rx.Var[str]) -> rx.Component:
    """The document page's "Propose reminders" (a new chat asks the assistant), or why it is absent."""
    return rx.fragment(
        rx.cond(DocumentProposalState.proposals_ready,
                rx.button(rx.icon("bell-plus", size=14), t("proposals.propose"), size="1", variant="soft",
                          title=t("proposals.propose_hint"), id="propose-reminders",
                          on_click=DocumentProposalState.start(document_id))),
        rx.cond(DocumentProposalState.proposals_missing,
                rx.text(rx.icon("info", size=14), t("proposals.no_model"), size="1", color_scheme="gray",
                        display="flex", align_items="center", gap="0.4em", id="propose-reminders-absent")),
        on_mount=DocumentProposalState.check,
    )

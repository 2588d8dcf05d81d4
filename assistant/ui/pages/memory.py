"""The memory page (``/memory``): proposals waiting for confirmation (``#memory-pending``, rows
``.memory-proposal``), the add form (``#memory-add-form``), search and filters, and the facts grouped by
category (``.memory-group`` with ``.memory-group-title`` and ``.memory-group-count``; facts ``.memory-fact``
with ``.memory-content``, ``.memory-importance``, ``.memory-health``, ``.memory-source`` and the action
buttons ``.memory-edit``, ``.memory-pin``, ``.memory-unpin``, ``.memory-forget``, ``.memory-restore``,
``.memory-history``). The one open editor is ``#memory-edit-form``, the one open history ``#memory-versions``
(rows ``.memory-version``)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui.components.forms import field_label
from assistant.ui.i18n import t
from assistant.ui.layouts.shell import app_shell
from assistant.ui.state.memory import (
    ALL,
    AUTHOR_FILTERS,
    AUTO_IMPORTANCE,
    CATEGORIES,
    HEALTH_FILTERS,
    IMPORTANCES,
    STATUS_FILTERS,
    MemoryState,
)

IMPORTANCE_COLORS = {"critical": "red", "high": "orange", "medium": "blue", "low": "gray"}
#: Filter value -> i18n key of its label, per filter.
HEALTH_LABELS = {ALL: "memory.page.filter.all_data", "health": "memory.page.filter.health",
                 "other": "memory.page.filter.not_health"}
AUTHOR_LABELS = {ALL: "memory.page.filter.all_authors", "assistant": "memory.page.filter.assistant",
                 "user": "memory.page.filter.you"}


def _select(id_: str, options: list[tuple[str, str]], *, name: str | None = None, value: rx.Var[Any] | None = None,
            default: rx.Var[Any] | str | None = None, on_change: Any = None, label_key: str) -> rx.Component:
    """A Radix select of ``options`` (value, i18n key): controlled (``value`` + ``on_change``) for the
    filters, or a form field (``name`` + ``default``)."""
    props: dict[str, Any] = {}
    if name is not None:
        props.update(name=name, default_value=default)
    else:
        props.update(value=value, on_change=on_change)
    return rx.select.root(
        rx.select.trigger(id=id_, aria_label=t(label_key), min_width="10em"),
        rx.select.content(*[rx.select.item(t(key), value=option, id=f"{id_}-{option}") for option, key in options]),
        **props,
    )


def _categories() -> list[tuple[str, str]]:
    return [(category, f"memory.category.{category}") for category in CATEGORIES]


def _importances() -> list[tuple[str, str]]:
    return [(importance, f"memory.importance.{importance}") for importance in IMPORTANCES]


def _error(text: rx.Var[str], id_: str) -> rx.Component:
    return rx.cond(text != "", rx.callout(text, color_scheme="red", icon="triangle-alert", id=id_, width="100%"))


def _proposal(change: rx.Var[Any]) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.hstack(
                rx.badge(change["kind_text"].to(str), variant="soft", color_scheme="amber"),
                rx.cond(change["category_text"].to(str) != "",
                        rx.badge(change["category_text"].to(str), variant="outline", color_scheme="gray")),
                rx.text(change["created"].to(str), size="1", color_scheme="gray"),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.text(change["content"].to(str), class_name="memory-proposal-content"),
            rx.cond(change["previous"].to(str) != "",
                    rx.text(change["previous"].to(str), size="1", color_scheme="gray")),
            spacing="1",
            flex="1",
            min_width="0",
        ),
        rx.button(rx.icon("check", size=14), t("memory.page.pending.confirm"), size="1",
                  on_click=MemoryState.confirm(change["id"].to(str)), class_name="memory-confirm"),
        rx.button(rx.icon("x", size=14), t("memory.page.pending.reject"), size="1", variant="soft", color_scheme="gray",
                  on_click=MemoryState.reject(change["id"].to(str)), class_name="memory-reject"),
        align="center",
        spacing="2",
        width="100%",
        padding_y="0.4em",
        border_bottom=f"1px solid {rx.color('amber', 5)}",
        class_name="memory-proposal",
    )


def pending_section() -> rx.Component:
    """The assistant's proposals (health facts the user asked to confirm), only when there are any."""
    return rx.cond(
        MemoryState.pending.length() > 0,
        rx.card(
            rx.vstack(
                rx.heading(t("memory.page.pending.title"), size="4"),
                rx.text(t("memory.page.pending.hint"), size="2", color_scheme="gray"),
                rx.foreach(MemoryState.pending, _proposal),
                spacing="2",
                width="100%",
            ),
            id="memory-pending",
            width="100%",
        ),
    )


def add_form() -> rx.Component:
    """"Add a fact": text, category, importance (or the category's usual one) and an optional first day.
    It starts empty again after a fact was added and keeps what was typed when it was refused."""
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(t("memory.page.add.title"), size="4"),
                field_label("memory.page.add.content", "memory-new-content"),
                rx.text_area(name="content", id="memory-new-content", rows="2", resize="vertical", width="100%",
                             placeholder=t("memory.page.add.placeholder")),
                rx.hstack(
                    rx.vstack(field_label("memory.page.field.category", "memory-new-category"),
                              _select("memory-new-category", _categories(), name="category", default="other",
                                      label_key="memory.page.field.category"),
                              spacing="1"),
                    rx.vstack(field_label("memory.page.field.importance", "memory-new-importance"),
                              _select("memory-new-importance",
                                      [(AUTO_IMPORTANCE, "memory.page.importance_auto"), *_importances()],
                                      name="importance", default=AUTO_IMPORTANCE,
                                      label_key="memory.page.field.importance"),
                              spacing="1"),
                    rx.vstack(field_label("memory.page.field.valid_from", "memory-new-valid-from"),
                              rx.input(type="date", name="valid_from", id="memory-new-valid-from"),
                              spacing="1"),
                    spacing="4",
                    wrap="wrap",
                    align="end",
                ),
                rx.text(t("memory.page.add.hint"), size="1", color_scheme="gray"),
                _error(MemoryState.add_error, "memory-add-error"),
                rx.button(rx.icon("plus", size=16), t("memory.page.add.submit"), type="submit", id="memory-add"),
                spacing="2",
                width="100%",
            ),
            on_submit=MemoryState.add,
            key=MemoryState.add_form_key.to(str),
            id="memory-add-form",
        ),
        width="100%",
    )


def filters() -> rx.Component:
    return rx.vstack(
        rx.input(rx.input.slot(rx.icon("search", size=16)), placeholder=t("memory.page.filter.search"),
                 aria_label=t("memory.page.filter.search"), value=MemoryState.query,
                 on_change=MemoryState.set_query.debounce(300), width="100%", id="memory-search"),
        rx.hstack(
            _select("memory-filter-category", [(ALL, "memory.page.filter.all_categories"), *_categories()],
                    value=MemoryState.category_filter, on_change=MemoryState.set_category_filter,
                    label_key="memory.page.field.category"),
            _select("memory-filter-health", [(value, HEALTH_LABELS[value]) for value in HEALTH_FILTERS],
                    value=MemoryState.health_filter, on_change=MemoryState.set_health_filter,
                    label_key="memory.page.filter.health_label"),
            _select("memory-filter-author", [(value, AUTHOR_LABELS[value]) for value in AUTHOR_FILTERS],
                    value=MemoryState.author_filter, on_change=MemoryState.set_author_filter,
                    label_key="memory.page.filter.author_label"),
            _select("memory-filter-status", [(value, f"memory.page.filter.status.{value}") for value in STATUS_FILTERS],
                    value=MemoryState.status_filter, on_change=MemoryState.set_status_filter,
                    label_key="memory.page.filter.status_label"),
            spacing="2",
            wrap="wrap",
        ),
        spacing="2",
        width="100%",
    )


def _edit_form(fact: rx.Var[Any]) -> rx.Component:
    """The inline editor of the fact being edited: saving makes a new version that supersedes it."""
    return rx.form(
        rx.vstack(
            rx.text_area(name="content", id="memory-edit-content", default_value=fact["content"].to(str), rows="2",
                         resize="vertical", width="100%", aria_label=t("memory.page.add.content")),
            rx.hstack(
                rx.vstack(field_label("memory.page.field.category", "memory-edit-category"),
                          _select("memory-edit-category", _categories(), name="category",
                                  default=fact["category"].to(str), label_key="memory.page.field.category"),
                          spacing="1"),
                rx.vstack(field_label("memory.page.field.importance", "memory-edit-importance"),
                          _select("memory-edit-importance", _importances(), name="importance",
                                  default=fact["importance"].to(str), label_key="memory.page.field.importance"),
                          spacing="1"),
                rx.vstack(field_label("memory.page.field.valid_from", "memory-edit-valid-from"),
                          rx.input(type="date", name="valid_from", id="memory-edit-valid-from"),
                          spacing="1"),
                spacing="4",
                wrap="wrap",
                align="end",
            ),
            rx.text(t("memory.page.edit_hint"), size="1", color_scheme="gray"),
            _error(MemoryState.edit_error, "memory-edit-error"),
            rx.hstack(
                rx.button(t("common.save"), type="submit", size="2", id="memory-edit-save"),
                rx.button(t("common.cancel"), type="button", size="2", variant="soft", color_scheme="gray",
                          on_click=MemoryState.cancel_edit, id="memory-edit-cancel"),
                spacing="2",
            ),
            spacing="2",
            width="100%",
        ),
        on_submit=MemoryState.save_edit,
        id="memory-edit-form",
        width="100%",
    )


def _version(version: rx.Var[Any]) -> rx.Component:
    return rx.vstack(
        rx.text(version["content"].to(str), size="2", class_name="memory-version-content"),
        rx.hstack(
            rx.badge(version["status_text"].to(str), variant="soft", color_scheme="gray", size="1"),
            rx.text(version["author_text"].to(str), size="1", color_scheme="gray"),
            rx.text(version["validity"].to(str), size="1", color_scheme="gray"),
            rx.text(version["recorded"].to(str), size="1", color_scheme="gray"),
            spacing="2",
            wrap="wrap",
            align="center",
        ),
        spacing="1",
        width="100%",
        padding="0.4em 0.6em",
        border_left=f"2px solid {rx.color('gray', 6)}",
        class_name="memory-version",
    )


def _action(icon: str, name: str, on_click: Any, color: str = "gray") -> rx.Component:
    """A fact's action button: label ``memory.page.action.<name>``, class ``memory-<name>``."""
    return rx.button(rx.icon(icon, size=14), t(f"memory.page.action.{name}"), size="1", variant="ghost",
                     color_scheme=color, on_click=on_click, class_name=f"memory-{name}")


def _fact(fact: rx.Var[Any]) -> rx.Component:
    fact_id = fact["id"].to(str)
    active = fact["active"].to(bool)
    return rx.vstack(
        rx.hstack(
            rx.text(fact["content"].to(str), class_name="memory-content", flex="1", min_width="0"),
            rx.badge(fact["importance_text"].to(str), class_name="memory-importance", variant="soft",
                     color_scheme=rx.match(fact["importance"].to(str), *IMPORTANCE_COLORS.items(), "gray")),
            rx.cond(fact["sensitive"].to(bool),
                    rx.badge(rx.icon("heart-pulse", size=12), t("memory.page.health"), class_name="memory-health",
                             variant="outline", color_scheme="pink")),
            align="start",
            spacing="2",
            width="100%",
        ),
        rx.hstack(
            rx.text(fact["author_text"].to(str), size="1", color_scheme="gray", class_name="memory-author"),
            rx.text(fact["validity"].to(str), size="1", color_scheme="gray", class_name="memory-validity"),
            rx.cond(fact["source_href"].to(str) != "",
                    rx.link(fact["source_text"].to(str), href=fact["source_href"].to(str), size="1",
                            class_name="memory-source"),
                    rx.cond(fact["source_text"].to(str) != "",
                            rx.text(fact["source_text"].to(str), size="1", color_scheme="gray",
                                    class_name="memory-source"))),
            spacing="3",
            wrap="wrap",
        ),
        rx.hstack(
            rx.cond(active, _action("pencil", "edit", MemoryState.start_edit(fact_id))),
            rx.cond(active, rx.cond(fact["pinned"].to(bool), _action("pin-off", "unpin", MemoryState.unpin(fact_id)),
                                    _action("pin", "pin", MemoryState.pin(fact_id)))),
            rx.cond(active, _action("eye-off", "forget", MemoryState.forget(fact_id), "red")),
            rx.cond(fact["forgotten"].to(bool), _action("undo-2", "restore", MemoryState.restore(fact_id))),
            _action("history", "history", MemoryState.toggle_history(fact_id)),
            spacing="4",
            wrap="wrap",
        ),
        rx.cond(MemoryState.editing_id == fact_id, _edit_form(fact)),
        rx.cond(
            MemoryState.history_id == fact_id,
            rx.vstack(
                rx.text(t("memory.page.history.title"), size="2", weight="medium"),
                rx.foreach(MemoryState.history, _version),
                spacing="2",
                width="100%",
                id="memory-versions",
            ),
        ),
        spacing="2",
        width="100%",
        padding_y="0.6em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        class_name="memory-fact",
        custom_attrs={"data-id": fact_id},
    )


def _group(group: rx.Var[Any]) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(group["title"].to(str), size="4", class_name="memory-group-title"),
            rx.badge(group["count"].to(str), variant="soft", color_scheme="gray", class_name="memory-group-count"),
            align="center",
            spacing="2",
        ),
        rx.foreach(group["facts"].to(list[dict[str, Any]]), _fact),
        spacing="1",
        width="100%",
        class_name="memory-group",
        custom_attrs={"data-category": group["category"].to(str)},
    )


def memory_page() -> rx.Component:
    return app_shell(
        "page.memory.title",
        rx.vstack(
            rx.text(MemoryState.budget_note, size="2", color_scheme="gray", id="memory-budget"),
            pending_section(),
            add_form(),
            filters(),
            rx.cond(
                MemoryState.groups.length() == 0,
                rx.text(rx.cond(MemoryState.filtered, t("memory.page.nothing_found"), t("page.memory.empty")),
                        color_scheme="gray", id="memory-empty"),
                rx.vstack(rx.foreach(MemoryState.groups, _group), spacing="5", width="100%", id="memory-list"),
            ),
            spacing="4",
            width="100%",
        ),
    )


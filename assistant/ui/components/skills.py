"""Skill lists and the skill editor.

Rows carry ``data-testid="skill-row"`` and show the skill's name as text. The editor dialog's fields are
``#skill-name``, ``#skill-description``, ``#skill-prompt``, ``#skill-icon``, ``#skill-position``,
``#skill-active``, with ``#skill-save`` and ``#skill-cancel``; the delete confirmation has
``#skill-delete-confirm``. Only one editor is on a page, so the ids are the same for every scope.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.services.chat.skills import MAX_SYSTEM_PROMPT_CHARS, SKILL_ICONS
from assistant.ui.components.forms import field_label
from assistant.ui.i18n import t
from assistant.ui.state.skills import SkillEditorState


def skill_icon(name: rx.Var[Any], size: int = 18) -> rx.Component:
    """The Lucide icon of a skill (one of :data:`SKILL_ICONS`)."""
    return rx.match(name, *[(icon, rx.icon(icon, size=size)) for icon in SKILL_ICONS], rx.icon("sparkles", size=size))


def _summary(skill: rx.Var[Any]) -> rx.Component:
    return rx.vstack(
        rx.text(skill["name"], weight="medium", size="2"),
        rx.cond(skill["description"] != "", rx.text(skill["description"], size="1", color_scheme="gray"),
                rx.fragment()),
        spacing="0",
        min_width="0",
        flex="1",
    )


def _row(*children: rx.Component) -> rx.Component:
    return rx.hstack(
        *children,
        align="center",
        spacing="3",
        width="100%",
        padding_y="0.4em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        custom_attrs={"data-testid": "skill-row"},
    )


def _editable_row(state: type[SkillEditorState], skill: rx.Var[Any]) -> rx.Component:
    return _row(
        skill_icon(skill["icon"]),
        _summary(skill),
        rx.switch(
            checked=skill["is_active"].to(bool),
            on_change=lambda active: state.set_active(skill["id"], active),
            aria_label=t("skills.field.is_active"),
            title=t("skills.field.is_active"),
        ),
        rx.icon_button(
            rx.icon("pencil", size=16),
            variant="ghost",
            on_click=state.open_edit(skill["id"]),
            aria_label=t("skills.edit_action"),
            title=t("skills.edit_action"),
        ),
        rx.icon_button(
            rx.icon("trash-2", size=16),
            variant="ghost",
            color_scheme="red",
            on_click=state.ask_delete(skill["id"], skill["name"]),
            aria_label=t("skills.delete"),
            title=t("skills.delete"),
        ),
    )


def readonly_skill_list(skills: rx.Var[Any], id_: str) -> rx.Component:
    """Skills shown without controls (the general skills on a user's settings page)."""
    return rx.cond(
        skills.length() > 0,
        rx.box(rx.foreach(skills, lambda skill: _row(skill_icon(skill["icon"]), _summary(skill))), id=id_,
               width="100%"),
        rx.text(t("skills.empty"), size="2", color_scheme="gray", id=id_),
    )


def _icon_select(state: type[SkillEditorState]) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(id="skill-icon", aria_label=t("skills.field.icon")),
        rx.select.content(
            *[
                rx.select.item(rx.icon(icon, size=14, margin_right="0.4em"), t(f"skills.icon.{icon}"), value=icon)
                for icon in SKILL_ICONS
            ]
        ),
        name="icon",
        default_value=state.draft["icon"].to(str),
    )


def _editor_dialog(state: type[SkillEditorState]) -> rx.Component:
    draft = state.draft
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(state.editing_id != "", t("skills.edit"), t("skills.new"))),
            rx.form(
                rx.vstack(
                    field_label("skills.field.name", "skill-name"),
                    rx.input(name="name", id="skill-name", default_value=draft["name"].to(str), required=True,
                             max_length=100, width="100%"),
                    field_label("skills.field.description", "skill-description"),
                    rx.input(name="description", id="skill-description", default_value=draft["description"].to(str),
                             max_length=500, width="100%"),
                    field_label("skills.field.system_prompt", "skill-prompt"),
                    rx.text_area(name="system_prompt", id="skill-prompt", default_value=draft["system_prompt"].to(str),
                                 required=True, max_length=MAX_SYSTEM_PROMPT_CHARS, rows="8", resize="vertical",
                                 width="100%"),
                    rx.hstack(
                        rx.vstack(field_label("skills.field.icon", "skill-icon"), _icon_select(state), spacing="1"),
                        rx.vstack(
                            field_label("skills.field.position", "skill-position"),
                            rx.input(name="position", id="skill-position", type="number", min=0, max=10_000,
                                     default_value=draft["position"].to(str), width="7em"),
                            spacing="1",
                        ),
                        spacing="4",
                        wrap="wrap",
                    ),
                    rx.text(t("skills.position_hint"), size="1", color_scheme="gray"),
                    rx.hstack(
                        rx.switch(name="is_active", id="skill-active", default_checked=draft["is_active"].to(bool)),
                        field_label("skills.field.is_active", "skill-active"),
                        align="center",
                        spacing="2",
                    ),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button(t("skills.cancel"), type="button", variant="soft", color_scheme="gray",
                                      id="skill-cancel")
                        ),
                        rx.button(t("common.save"), type="submit", id="skill-save"),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="2",
                    width="100%",
                ),
                on_submit=state.save,
            ),
            max_width="36em",
        ),
        open=state.dialog_open,
        on_open_change=state.set_dialog_open,
    )


def _delete_dialog(state: type[SkillEditorState]) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("skills.delete_title")),
            rx.alert_dialog.description(rx.text(state.delete_name, weight="bold"), rx.text(t("skills.delete_confirm"))),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("skills.cancel"), variant="soft", color_scheme="gray")),
                rx.button(t("skills.delete"), color_scheme="red", on_click=state.confirm_delete,
                          id="skill-delete-confirm"),
                justify="end",
                spacing="3",
                margin_top="1em",
            ),
        ),
        open=state.delete_id != "",
        on_open_change=state.set_delete_open,
    )


def skills_editor(state: type[SkillEditorState], title_key: str, hint_key: str, new_id: str,
                  list_id: str) -> rx.Component:
    """A card listing ``state``'s skills with their controls, a "New skill" button (``#<new_id>``), the
    editor dialog and the delete confirmation."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(t(title_key), size="4"),
                rx.spacer(),
                rx.button(rx.icon("plus", size=16), t("skills.new"), on_click=state.open_new, id=new_id),
                align="center",
                width="100%",
            ),
            rx.text(t(hint_key), size="2", color_scheme="gray"),
            rx.cond(
                state.skills.length() > 0,
                rx.box(rx.foreach(state.skills, lambda skill: _editable_row(state, skill)), id=list_id, width="100%"),
                rx.text(t("skills.empty"), size="2", color_scheme="gray", id=list_id),
            ),
            _editor_dialog(state),
            _delete_dialog(state),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )

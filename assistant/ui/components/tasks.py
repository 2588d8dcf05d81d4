"""The forms of the Tasks page: adding a task (``#task-add-form``), adding a subtask under a task
(``#task-subtask-form``) and editing one inline (``#task-edit-form``), and the selects they and the filters use.
Field ids are ``task-<new|subtask|edit>-<field>`` (title, notes, due-date, due-time, priority, parent, status,
remind-at: the local time of a one-time reminder to add)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui.components.forms import labelled
from assistant.ui.i18n import t
from assistant.ui.state.tasks import NO_PARENT, PRIORITIES, STATUSES, TasksState


def select(id_: str, options: list[tuple[str, str]], *, name: str | None = None, value: rx.Var[Any] | None = None,
           default: rx.Var[Any] | str | None = None, on_change: Any = None, label_key: str,
           dynamic: rx.Var[list[dict[str, Any]]] | None = None) -> rx.Component:
    """A Radix select of ``options`` (value, i18n key), item ids ``<id_>-<value>``: controlled (``value`` +
    ``on_change``) for the filters, or a form field (``name`` + ``default``). ``dynamic``: more items after
    them, from state (``{"id", "label"}``, shown as they are)."""
    props: dict[str, Any] = {}
    if name is not None:
        props.update(name=name, default_value=default)
    else:
        props.update(value=value, on_change=on_change)
    items = [rx.select.item(t(key), value=option, id=f"{id_}-{option}") for option, key in options]
    if dynamic is not None:
        items.append(rx.foreach(dynamic, lambda choice: rx.select.item(choice["label"].to(str),
                                                                       value=choice["id"].to(str))))
    return rx.select.root(
        rx.select.trigger(id=id_, aria_label=t(label_key), min_width="9em", max_width="18em"),
        rx.select.content(*items),
        **props,
    )


def priorities() -> list[tuple[str, str]]:
    return [(priority, f"tasks.priority.{priority}") for priority in PRIORITIES]


def statuses() -> list[tuple[str, str]]:
    return [(status, f"tasks.status.{status}") for status in STATUSES]


def error(text: rx.Var[str], id_: str) -> rx.Component:
    return rx.cond(text != "", rx.callout(text, color_scheme="red", icon="triangle-alert", id=id_, width="100%"))


def _fields(prefix: str, *, row: rx.Var[Any] | None = None, parents: rx.Var[list[dict[str, Any]]] | None = None,
            notes: bool = True, remind: bool = True) -> list[rx.Component]:
    """Title, notes, due date and time, priority, (with ``parents``) the parent task and (``remind``) the time
    of a one-time reminder; filled from ``row`` when editing one."""
    def value(key: str, default: str = "") -> rx.Var[Any] | str:
        return row[key].to(str) if row is not None else default

    extra = []
    if parents is not None:
        extra.append(labelled("tasks.field.parent", f"{prefix}-parent",
                              select(f"{prefix}-parent", [(NO_PARENT, "tasks.parent.none")], name="parent",
                                     default=value("parent_id", NO_PARENT), label_key="tasks.field.parent",
                                     dynamic=parents)))
    if remind:
        extra.append(labelled("tasks.field.remind_at", f"{prefix}-remind-at",
                              rx.input(type="datetime-local", name="remind_at", id=f"{prefix}-remind-at")))
    fields = [rx.input(name="title", id=f"{prefix}-title", default_value=value("title"), width="100%",
                       placeholder=t("tasks.add.placeholder"), aria_label=t("tasks.field.title"))]
    if notes:
        fields.append(rx.text_area(name="notes", id=f"{prefix}-notes", default_value=value("full_notes"), rows="2",
                                   resize="vertical", width="100%", placeholder=t("tasks.field.notes"),
                                   aria_label=t("tasks.field.notes")))
    fields.append(rx.hstack(
        labelled("tasks.field.due_date", f"{prefix}-due-date",
                 rx.input(type="date", name="due_date", id=f"{prefix}-due-date", default_value=value("due_date"))),
        labelled("tasks.field.due_time", f"{prefix}-due-time",
                 rx.input(type="time", name="due_time", id=f"{prefix}-due-time", default_value=value("due_time"))),
        labelled("tasks.field.priority", f"{prefix}-priority",
                 select(f"{prefix}-priority", priorities(), name="priority", default=value("priority", "normal"),
                        label_key="tasks.field.priority")),
        *extra,
        spacing="4",
        wrap="wrap",
        align="end",
    ))
    return fields


def add_form() -> rx.Component:
    """"Add a task": it starts empty again after a task was added and keeps what was typed when refused."""
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(t("tasks.add.title"), size="4"),
                *_fields("task-new", parents=TasksState.parents),
                rx.text(TasksState.timezone_note, size="1", color_scheme="gray", id="task-timezone"),
                error(TasksState.add_error, "task-add-error"),
                rx.button(rx.icon("plus", size=16), t("tasks.add.submit"), type="submit", id="task-add"),
                spacing="2",
                width="100%",
            ),
            on_submit=TasksState.add,
            key=TasksState.add_form_key.to(str),
            id="task-add-form",
        ),
        width="100%",
    )


def _inline_form(prefix: str, fields: list[rx.Component], submit: rx.Component, on_cancel: Any,
                 **props: Any) -> rx.Component:
    """A form drawn under its task (``#<prefix>-form``): ``fields`` (its error line last), then ``submit`` and
    Cancel (``#<prefix>-cancel``, runs ``on_cancel``); ``props`` go to the form (``on_submit``, ``key``)."""
    return rx.form(
        rx.vstack(
            *fields,
            rx.hstack(
                submit,
                rx.button(t("common.cancel"), type="button", size="2", variant="soft", color_scheme="gray",
                          on_click=on_cancel, id=f"{prefix}-cancel"),
                spacing="2",
            ),
            spacing="2",
            width="100%",
        ),
        id=f"{prefix}-form",
        width="100%",
        padding="0.5em",
        border_left=f"2px solid {rx.color('accent', 6)}",
        **props,
    )


def subtask_form() -> rx.Component:
    """The "add subtask" form under the task it was opened on: title, due, priority."""
    return _inline_form(
        "task-subtask",
        [*_fields("task-subtask", notes=False, remind=False), error(TasksState.subtask_error, "task-subtask-error")],
        rx.button(rx.icon("plus", size=14), t("tasks.action.add_subtask"), type="submit", size="2",
                  id="task-subtask-add"),
        TasksState.cancel_subtask,
        on_submit=TasksState.add_subtask,
        key=TasksState.subtask_form_key.to(str),
    )


def edit_form(row: rx.Var[Any]) -> rx.Component:
    """The inline editor of the task being edited: every field, its status and its parent."""
    return _inline_form(
        "task-edit",
        [*_fields("task-edit", row=row, parents=TasksState.edit_parents),
         labelled("tasks.field.status", "task-edit-status",
                  select("task-edit-status", statuses(), name="status", default=row["status"].to(str),
                         label_key="tasks.field.status")),
         error(TasksState.edit_error, "task-edit-error")],
        rx.button(t("common.save"), type="submit", size="2", id="task-edit-save"),
        TasksState.cancel_edit,
        on_submit=TasksState.save_edit,
    )

"""The Tasks page (``/tasks``): the add form (:mod:`assistant.ui.components.tasks`), filters (``#task-filter-status``,
``#task-filter-priority``, ``#task-filter-due``) and sort (``#task-sort``), the count (``#task-count``) and the
list (``#task-list``): rows ``.task-row`` in tree order with ``data-id``, ``data-depth`` and ``data-status``,
subtasks indented by depth. A row has the checkbox ``.task-check``, ``.task-title``, ``.task-priority``, the
status menu ``.task-status`` (items ``#task-status-<status>``), ``.task-due`` (``data-overdue``), ``.task-notes``,
``.task-parent`` (the parent of a subtask listed without it), ``.task-subtasks`` (progress), ``.task-reminder``
(the next reminder, removed with ``.task-reminder-remove``) and the actions
``.task-edit``, ``.task-add-subtask`` and ``.task-delete`` (confirmed with ``.task-delete-confirm``). Handing a task
to the assistant (``.task-assistant``), its runs and schedules: :mod:`assistant.ui.components.task_runs`."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui.components.task_runs import no_model_note, open_button, runs_panel, schedules
from assistant.ui.components.tasks import add_form, edit_form, select, statuses, subtask_form
from assistant.ui.i18n import t
from assistant.ui.layouts.shell import app_shell
from assistant.ui.state.tasks import ALL, DUE_FILTERS, PRIORITIES, SORTS, STATUSES, TasksState

PRIORITY_COLORS = {"urgent": "red", "high": "orange", "normal": "gray", "low": "gray"}
STATUS_COLORS = {"todo": "gray", "in_progress": "blue", "done": "green", "cancelled": "gray"}


def filters() -> rx.Component:
    return rx.hstack(
        select("task-filter-status", [("open", "tasks.filter.status.open"), (ALL, "tasks.filter.status.all"),
                                      *statuses()],
               value=TasksState.status_filter, on_change=TasksState.set_status_filter,
               label_key="tasks.filter.status_label"),
        select("task-filter-priority", [(ALL, "tasks.filter.priority.all"),
                                        *[(value, f"tasks.priority.{value}") for value in PRIORITIES]],
               value=TasksState.priority_filter, on_change=TasksState.set_priority_filter,
               label_key="tasks.filter.priority_label"),
        select("task-filter-due", [(value, f"tasks.filter.due.{value}") for value in DUE_FILTERS],
               value=TasksState.due_filter, on_change=TasksState.set_due_filter, label_key="tasks.filter.due_label"),
        select("task-sort", [(value, f"tasks.sort.{value}") for value in SORTS], value=TasksState.sort,
               on_change=TasksState.set_sort, label_key="tasks.sort.label"),
        rx.spacer(),
        rx.text(TasksState.count_text, size="2", color_scheme="gray", id="task-count"),
        spacing="2",
        wrap="wrap",
        align="center",
        width="100%",
    )


def _status_menu(row: rx.Var[Any]) -> rx.Component:
    task_id = row["id"].to(str)
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(row["status_text"].to(str), rx.icon("chevron-down", size=12), size="1", variant="soft",
                      color_scheme=rx.match(row["status"].to(str), *STATUS_COLORS.items(), "gray"),
                      aria_label=t("tasks.action.status"), class_name="task-status"),
        ),
        rx.menu.content(*[rx.menu.item(t(f"tasks.status.{status}"), id=f"task-status-{status}",
                                       on_click=TasksState.set_task_status(task_id, status))
                          for status in STATUSES]),
    )


def _delete(row: rx.Var[Any]) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(rx.icon("trash-2", size=14), t("tasks.action.delete"), size="1", variant="ghost",
                      color_scheme="red", class_name="task-delete"),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("tasks.delete.title")),
            rx.alert_dialog.description(row["delete_text"].to(str)),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(t("tasks.delete.confirm"), color_scheme="red",
                                                 on_click=TasksState.delete(row["id"].to(str)),
                                                 class_name="task-delete-confirm")),
                justify="end", spacing="3", margin_top="1em",
            ),
        ),
    )


def _action(icon: str, name: str, on_click: Any) -> rx.Component:
    """A task's action button: label ``tasks.action.<name>``, class ``task-<name>``."""
    return rx.button(rx.icon(icon, size=14), t(f"tasks.action.{name.replace('-', '_')}"), size="1", variant="ghost",
                     color_scheme="gray", on_click=on_click, class_name=f"task-{name}")


def _small(text: rx.Var[str], class_name: str, **props: Any) -> rx.Component:
    return rx.cond(text != "", rx.text(text, size="1", color_scheme="gray", class_name=class_name, **props))


def _reminder(row: rx.Var[Any]) -> rx.Component:
    """The task's next reminder, with a button that removes it."""
    return rx.hstack(
        rx.icon("alarm-clock", size=12),
        rx.text(row["reminder_text"].to(str), size="1", class_name="task-reminder-text"),
        rx.icon_button(rx.icon("x", size=12), size="1", variant="ghost", color_scheme="gray",
                       aria_label=t("tasks.reminder.remove"), title=t("tasks.reminder.remove"),
                       on_click=TasksState.remove_reminder(row["reminder_id"].to(str)),
                       class_name="task-reminder-remove"),
        spacing="1",
        align="center",
        color=rx.color("gray", 11),
        class_name="task-reminder",
    )


def _row(row: rx.Var[Any]) -> rx.Component:
    task_id = row["id"].to(str)
    closed = row["closed"].to(bool)
    overdue = row["overdue"].to(bool)
    return rx.vstack(
        rx.hstack(
            rx.checkbox(checked=row["done"].to(bool), on_click=TasksState.toggle_done(task_id), size="3",
                        aria_label=t("tasks.action.complete"), class_name="task-check", margin_top="0.2em"),
            rx.vstack(
                rx.hstack(
                    rx.text(row["title"].to(str), weight="medium", class_name="task-title",
                            text_decoration=rx.cond(closed, "line-through", "none"),
                            color=rx.cond(closed, rx.color("gray", 10), rx.color("gray", 12))),
                    rx.cond(row["priority"].to(str) != "normal",
                            rx.badge(row["priority_text"].to(str), variant="soft", class_name="task-priority",
                                     color_scheme=rx.match(row["priority"].to(str), *PRIORITY_COLORS.items(),
                                                           "gray"))),
                    _status_menu(row),
                    rx.cond(row["due_text"].to(str) != "",
                            rx.hstack(rx.icon("calendar", size=12), rx.text(row["due_text"].to(str), size="1"),
                                      spacing="1", align="center", class_name="task-due",
                                      color=rx.cond(overdue, rx.color("red", 11), rx.color("gray", 11)),
                                      custom_attrs={"data-overdue": rx.cond(overdue, "true", "false")})),
                    rx.cond(row["by_assistant"].to(bool),
                            rx.badge(rx.icon("sparkles", size=12), t("tasks.author.assistant"), variant="outline",
                                     color_scheme="violet", size="1", class_name="task-by-assistant")),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                _small(row["notes"].to(str), "task-notes", white_space="pre-wrap"),
                rx.hstack(
                    _small(row["parent_text"].to(str), "task-parent"),
                    _small(row["subtasks_text"].to(str), "task-subtasks"),
                    rx.cond(row["reminder_text"].to(str) != "", _reminder(row)),
                    schedules(row),
                    spacing="3",
                    align="center",
                    wrap="wrap",
                ),
                rx.hstack(
                    _action("pencil", "edit", TasksState.start_edit(task_id)),
                    _action("list-plus", "add-subtask", TasksState.start_subtask(task_id)),
                    open_button(task_id),
                    _delete(row),
                    spacing="4",
                    wrap="wrap",
                ),
                spacing="1",
                flex="1",
                min_width="0",
            ),
            align="start",
            spacing="3",
            width="100%",
        ),
        rx.cond(TasksState.editing_id == task_id, edit_form(row)),
        rx.cond(TasksState.subtask_parent_id == task_id, subtask_form()),
        rx.cond(TasksState.run_task_id == task_id, runs_panel()),
        spacing="2",
        width="100%",
        padding_y="0.6em",
        padding_left=row["indent"].to(str),
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        class_name="task-row",
        custom_attrs={"data-id": task_id, "data-depth": row["depth"].to(str), "data-status": row["status"].to(str)},
    )


def tasks_page() -> rx.Component:
    return app_shell(
        "tasks.title",
        rx.vstack(
            add_form(),
            no_model_note(),
            filters(),
            rx.cond(
                TasksState.rows.length() == 0,
                rx.text(rx.cond(TasksState.filtered, t("tasks.page.nothing_found"), t("tasks.page.empty")),
                        color_scheme="gray", id="task-empty"),
                rx.vstack(rx.foreach(TasksState.rows, _row), spacing="0", width="100%", id="task-list"),
            ),
            spacing="4",
            width="100%",
        ),
    )

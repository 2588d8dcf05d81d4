"""The assistant's part of the Tasks page (state: :class:`assistant.ui.state.task_runs.TaskRuns`).

* Without a language model the option is absent and ``#task-assistant-absent`` says why.
* A row's ``.task-assistant`` button opens its panel ``#task-runs-panel`` (again: closes it): the form
  ``#task-run-form`` hands the task over (``#task-run-mode``: now, at a time ``#task-run-at``, on a schedule:
  ``#task-run-repeat`` daily, weekdays or weekly on the days ``#task-run-day-0`` .. ``-6``, at ``#task-run-time``;
  submitted with ``#task-run-submit``; a refusal in ``#task-run-error``), then the task's latest runs
  ``.task-run`` (``data-status``) with ``.task-run-status``, ``.task-run-when``, ``.task-run-cost``, the link
  ``.task-run-chat``, the failure ``.task-run-failure`` and ``.task-run-cancel`` for a queued or running one.
* A row's schedules ``.task-schedule`` ("Assistant: every Monday at 9:00 AM (next ...)"), each removed with
  ``.task-schedule-remove``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui.components.forms import field_label, labelled
from assistant.ui.components.tasks import error, select
from assistant.ui.i18n import t
from assistant.ui.state.task_runs import MODES, REPEATS, WEEKDAYS
from assistant.ui.state.tasks import TasksState

STATUS_COLORS = {"queued": "gray", "running": "blue", "done": "green", "failed": "red", "cancelled": "gray"}


def no_model_note() -> rx.Component:
    """Why "Hand to the assistant" is absent (no language model answers for the user)."""
    return rx.cond(TasksState.assistant_missing,
                   rx.text(rx.icon("info", size=14), t("tasks.run.no_model"), size="2", color_scheme="gray",
                           display="flex", align_items="center", gap="0.4em", id="task-assistant-absent"))


def open_button(task_id: rx.Var[str]) -> rx.Component:
    """The row's "Assistant" action (only when a language model answers)."""
    return rx.cond(
        TasksState.assistant_ready,
        rx.button(rx.icon("sparkles", size=14), t("tasks.run.page.open"), size="1", variant="ghost",
                  color_scheme=rx.cond(TasksState.run_task_id == task_id, "violet", "gray"),
                  on_click=TasksState.open_runs(task_id), class_name="task-assistant"),
    )


def schedules(row: rx.Var[Any]) -> rx.Component:
    """The task's schedules, each with a button that removes it."""
    return rx.foreach(
        row["schedules"].to(list[dict[str, str]]),
        lambda item: rx.hstack(
            rx.icon("repeat", size=12),
            rx.text(item["text"].to(str), size="1", class_name="task-schedule-text"),
            rx.icon_button(rx.icon("x", size=12), size="1", variant="ghost", color_scheme="gray",
                           aria_label=t("tasks.run.page.schedule_remove"), title=t("tasks.run.page.schedule_remove"),
                           on_click=TasksState.remove_schedule(item["id"].to(str)), class_name="task-schedule-remove"),
            spacing="1",
            align="center",
            color=rx.color("violet", 11),
            class_name="task-schedule",
        ),
    )


def _schedule_fields() -> rx.Component:
    """Repeat (daily, weekdays, weekly on ticked days) and the time of day."""
    days = rx.hstack(
        *[rx.hstack(rx.checkbox(id=f"task-run-day-{day}", name=f"run_day_{day}"),
                    field_label(f"reminders.page.day.{day}", f"task-run-day-{day}"), spacing="1", align="center")
          for day in WEEKDAYS],
        spacing="3",
        wrap="wrap",
    )
    return rx.hstack(
        labelled("reminders.page.form.repeat", "task-run-repeat",
                 select("task-run-repeat", [(value, f"reminders.page.repeat.{value}") for value in REPEATS],
                        value=TasksState.run_repeat, on_change=TasksState.set_run_repeat,
                        label_key="reminders.page.form.repeat")),
        rx.cond(TasksState.run_repeat == "weekly", rx.vstack(rx.text(t("reminders.page.form.days"), size="2",
                                                                      weight="medium"), days, spacing="1")),
        labelled("tasks.run.page.time", "task-run-time", rx.input(type="time", name="time", id="task-run-time")),
        spacing="4",
        wrap="wrap",
        align="end",
    )


def _form() -> rx.Component:
    """Hand the task over now, at a local date and time, or on a schedule."""
    return rx.form(
        rx.vstack(
            rx.hstack(
                labelled("tasks.run.page.mode", "task-run-mode",
                         select("task-run-mode", [(mode, f"tasks.run.page.mode.{mode}") for mode in MODES],
                                value=TasksState.run_mode, on_change=TasksState.set_run_mode,
                                label_key="tasks.run.page.mode")),
                rx.cond(TasksState.run_mode == "at",
                        labelled("tasks.run.page.at", "task-run-at",
                                 rx.input(type="datetime-local", name="at", id="task-run-at"))),
                spacing="4",
                wrap="wrap",
                align="end",
            ),
            rx.cond(TasksState.run_mode == "schedule", _schedule_fields()),
            rx.cond(TasksState.run_mode != "now",
                    rx.text(TasksState.timezone_note, size="1", color_scheme="gray")),
            error(TasksState.run_error, "task-run-error"),
            rx.button(rx.icon("sparkles", size=14), t("tasks.run.page.submit"), type="submit", size="2",
                      id="task-run-submit"),
            spacing="2",
            width="100%",
        ),
        on_submit=TasksState.hand_over,
        key=TasksState.run_form_key.to(str),
        id="task-run-form",
        width="100%",
    )


def _small(text: rx.Var[str], class_name: str, **props: Any) -> rx.Component:
    return rx.cond(text != "", rx.text(text, size="1", class_name=class_name, **props))


def _run(run: rx.Var[Any]) -> rx.Component:
    """One run: its status, when, cost, chat, why it failed, and Cancel while it is open."""
    status = run["status"].to(str)
    chat_url = run["chat_url"].to(str)
    return rx.hstack(
        rx.badge(run["status_text"].to(str), variant="soft", class_name="task-run-status",
                 color_scheme=rx.match(status, *STATUS_COLORS.items(), "gray")),
        _small(run["when_text"].to(str), "task-run-when", color_scheme="gray"),
        _small(run["cost_text"].to(str), "task-run-cost", color_scheme="gray"),
        rx.cond(chat_url != "", rx.link(rx.icon("message-square", size=12), t("tasks.run.page.open_chat"),
                                        href=chat_url, size="1", display="inline-flex", align_items="center",
                                        gap="0.25em", class_name="task-run-chat")),
        _small(run["error_text"].to(str), "task-run-failure", color_scheme="red"),
        rx.cond(run["open"].to(bool),
                rx.button(rx.icon("circle-stop", size=12), t("tasks.run.page.cancel"), size="1", variant="soft",
                          color_scheme="red", on_click=TasksState.cancel_run(run["id"].to(str)),
                          class_name="task-run-cancel")),
        spacing="3",
        align="center",
        wrap="wrap",
        class_name="task-run",
        custom_attrs={"data-status": status},
    )


def runs_panel() -> rx.Component:
    """The open task's assistant panel: the hand-over form and its latest runs (they update live)."""
    return rx.vstack(
        rx.hstack(
            rx.heading(t("tasks.run.page.title"), size="3"),
            rx.spacer(),
            rx.icon_button(rx.icon("x", size=14), size="1", variant="ghost", color_scheme="gray",
                           aria_label=t("common.close"), on_click=TasksState.close_runs, id="task-runs-close"),
            width="100%",
            align="center",
        ),
        rx.text(t("tasks.run.page.hint"), size="1", color_scheme="gray"),
        _form(),
        rx.text(t("tasks.run.page.runs"), size="2", weight="medium"),
        rx.cond(TasksState.runs.length() == 0,
                rx.text(t("tasks.run.page.no_runs"), size="1", color_scheme="gray", id="task-runs-empty"),
                rx.vstack(rx.foreach(TasksState.runs, _run), spacing="2", width="100%", id="task-runs")),
        spacing="2",
        width="100%",
        padding="0.5em",
        border_left=f"2px solid {rx.color('violet', 6)}",
        id="task-runs-panel",
    )

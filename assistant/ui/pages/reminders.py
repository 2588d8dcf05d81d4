"""The Reminders page (``/reminders``): the missed-run rule (``#reminders-missed-rule``), the status filter
(``#reminders-filter``), New reminder (``#reminder-new``) and its form (:mod:`assistant.ui.components.reminder_form`),
and the reminders (``.reminder-item`` with ``.reminder-title``, ``.reminder-kind``, ``.reminder-status``,
``.reminder-schedule``, ``.reminder-timezone``, ``.reminder-next-time`` (the next five, in the reminder's own
zone), ``.reminder-snoozed``, ``.reminder-adherence`` and the buttons ``.reminder-edit``, ``.reminder-pause``,
``.reminder-resume``, ``.reminder-snooze`` (10 min ``.reminder-snooze-10``, 1 h ``.reminder-snooze-60``, or
minutes in ``.reminder-snooze-form``) and ``.reminder-delete``, confirmed in ``#reminder-delete-dialog``)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui.components.reminder_form import reminder_form
from assistant.ui.components.snooze import snooze_menu
from assistant.ui.i18n import t
from assistant.ui.layouts.shell import app_shell
from assistant.ui.state.reminders import STATUS_FILTERS, RemindersState

STATUS_COLORS = {"active": "green", "paused": "amber", "ended": "gray"}


def _action(icon: str, name: str, on_click: Any, color: str = "gray") -> rx.Component:
    """A reminder's action button: label ``reminders.page.action.<name>``, class ``reminder-<name>``."""
    return rx.button(rx.icon(icon, size=14), t(f"reminders.page.action.{name}"), size="1", variant="ghost",
                     color_scheme=color, on_click=on_click, class_name=f"reminder-{name}")


def _next_times(row: rx.Var[Any]) -> rx.Component:
    return rx.cond(
        row["next"].to(list[str]).length() > 0,
        rx.hstack(
            rx.text(t("reminders.page.next"), size="1", color_scheme="gray"),
            rx.foreach(row["next"].to(list[str]),
                       lambda when: rx.badge(when, variant="outline", color_scheme="gray",
                                             class_name="reminder-next-time")),
            spacing="2",
            wrap="wrap",
            align="center",
        ),
    )


def _row(row: rx.Var[Any]) -> rx.Component:
    ident = row["id"].to(str)
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(row["title"].to(str), weight="medium", class_name="reminder-title", flex="1", min_width="0"),
                rx.badge(row["kind_text"].to(str), variant="outline", color_scheme="gray", class_name="reminder-kind"),
                rx.badge(row["status_text"].to(str), variant="soft", class_name="reminder-status",
                         color_scheme=rx.match(row["status"].to(str), *STATUS_COLORS.items(), "gray")),
                spacing="2",
                align="center",
                width="100%",
            ),
            rx.hstack(
                rx.text(row["schedule"].to(str), size="2", class_name="reminder-schedule"),
                rx.text(row["timezone"].to(str), size="1", color_scheme="gray", class_name="reminder-timezone"),
                spacing="2",
                wrap="wrap",
                align="baseline",
            ),
            rx.cond(row["note"].to(str) != "", rx.text(row["note"].to(str), size="2", color_scheme="gray")),
            _next_times(row),
            rx.cond(row["snoozed"].to(str) != "",
                    rx.text(row["snoozed"].to(str), size="1", color_scheme="amber", class_name="reminder-snoozed")),
            rx.text(row["adherence"].to(str), size="1", color_scheme="gray", class_name="reminder-adherence"),
            rx.hstack(
                rx.cond(row["editable"].to(bool), _action("pencil", "edit", RemindersState.open_edit(ident))),
                rx.cond(row["active"].to(bool), _action("pause", "pause", RemindersState.pause(ident))),
                rx.cond(row["paused"].to(bool), _action("play", "resume", RemindersState.resume(ident))),
                rx.cond(row["active"].to(bool),
                        snooze_menu("reminder", ident, snooze=RemindersState.snooze,
                                    snooze_custom=RemindersState.snooze_custom, variant="ghost")),
                _action("trash-2", "delete", RemindersState.ask_delete(ident), "red"),
                spacing="4",
                wrap="wrap",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="reminder-item",
        custom_attrs={"data-id": ident},
    )


def _delete_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("reminders.page.delete.title")),
            rx.alert_dialog.description(RemindersState.deleting_title, id="reminder-delete-name"),
            rx.text(t("reminders.page.delete.body"), size="2", color_scheme="gray"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft", color_scheme="gray",
                                                 on_click=RemindersState.cancel_delete)),
                rx.alert_dialog.action(rx.button(t("reminders.page.action.delete"), color_scheme="red",
                                                 on_click=RemindersState.confirm_delete,
                                                 id="reminder-delete-confirm")),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
            id="reminder-delete-dialog",
        ),
        open=RemindersState.deleting_id != "",
    )


def _toolbar() -> rx.Component:
    return rx.hstack(
        rx.select.root(
            rx.select.trigger(id="reminders-filter", aria_label=t("reminders.page.filter.label"), min_width="10em"),
            rx.select.content(*[rx.select.item(t(f"reminders.page.filter.{value}"), value=value,
                                               id=f"reminders-filter-{value}") for value in STATUS_FILTERS]),
            value=RemindersState.status_filter,
            on_change=RemindersState.set_status_filter,
        ),
        rx.spacer(),
        rx.button(rx.icon("plus", size=16), t("reminders.page.new"), on_click=RemindersState.open_new,
                  id="reminder-new"),
        width="100%",
        align="center",
    )


def reminders_page() -> rx.Component:
    return app_shell(
        "reminders.page.title",
        rx.vstack(
            rx.callout(RemindersState.missed_rule, icon="info", size="1", color_scheme="gray",
                       id="reminders-missed-rule", width="100%"),
            _toolbar(),
            rx.cond(RemindersState.form_open, reminder_form()),
            rx.cond(
                RemindersState.rows.length() == 0,
                rx.text(rx.cond(RemindersState.status_filter == "all", t("reminders.page.empty"),
                                t("reminders.page.nothing_found")), color_scheme="gray", id="reminders-empty"),
                rx.vstack(rx.foreach(RemindersState.rows, _row), spacing="3", width="100%", id="reminders-list"),
            ),
            _delete_dialog(),
            spacing="4",
            width="100%",
        ),
    )

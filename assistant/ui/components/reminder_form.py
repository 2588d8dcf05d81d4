"""The reminder form of the Reminders page (``#reminder-form``), for a new reminder and for editing one: title
(``#reminder-title``), note, kind (``#reminder-kind``), date, time and time zone of the first time
(``#reminder-date``, ``#reminder-time``, ``#reminder-timezone``), how it repeats (``#reminder-recurrence``:
once, every day, weekdays, weekly on chosen days ``#reminder-day-0`` .. ``-6``, monthly, every N hours within a
window, a custom RRULE), how a series ends (``#reminder-end``: never, on a date, after N times) and the
escalation (``#reminder-escalate-after-minutes``: minutes after which an unacknowledged occurrence is sent again
on the next channel, empty for off). A refused
reminder is explained in ``#reminder-form-error`` and the form keeps what was typed."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

import reflex as rx

from assistant.services.scheduler.recurrence import MAX_RRULE_CHARS
from assistant.services.scheduler.reminders import ESCALATION_MAX_MINUTES, ESCALATION_MIN_MINUTES, MAX_COUNT
from assistant.ui.components.forms import field_label, labelled
from assistant.ui.i18n import t
from assistant.ui.state.reminders import END_MODES, FORM_KINDS, RECURRENCES, WEEKDAYS, RemindersState

_TIMEZONES = sorted(available_timezones())
_VALUES = RemindersState.form_values


def _select(id_: str, options: list[tuple[str, str]], label_key: str, **props: Any) -> rx.Component:
    """A Radix select of ``options`` (value, i18n key); items are ``#<id>-<value>``."""
    return rx.select.root(
        rx.select.trigger(id=id_, aria_label=t(label_key), min_width="12em"),
        rx.select.content(*[rx.select.item(t(key), value=option, id=f"{id_}-{option}") for option, key in options]),
        **props,
    )


def _input(name: str, label_key: str, **props: Any) -> rx.Component:
    """A text-like input named ``name`` (id ``reminder-<name>``) starting with the form's value of it (as
    wide as its row when ``width="100%"``)."""
    id_ = f"reminder-{name.replace('_', '-')}"
    return labelled(label_key, id_, rx.input(name=name, id=id_, default_value=_VALUES[name], **props),
                    width=props.get("width", "auto"))


def _weekdays() -> rx.Component:
    """Mon..Sun checkboxes (read by their ids: ``reminder_day_<n>`` in the submitted form)."""
    return rx.vstack(
        rx.text(t("reminders.page.form.days"), size="2", weight="medium"),
        rx.hstack(
            *[rx.hstack(rx.checkbox(id=f"reminder-day-{day}", name=f"reminder_day_{day}",
                                    default_checked=_VALUES[f"day_{day}"] == "on"),
                        field_label(f"reminders.page.day.{day}", f"reminder-day-{day}"),
                        spacing="1", align="center")
              for day in WEEKDAYS],
            spacing="3",
            wrap="wrap",
        ),
        spacing="1",
    )


def _hourly() -> rx.Component:
    return rx.hstack(
        _input("interval_hours", "reminders.page.form.interval", type="number", min=1, max=24, step=1, width="6em"),
        _input("window_start", "reminders.page.form.window_start", type="time"),
        _input("window_end", "reminders.page.form.window_end", type="time"),
        spacing="4",
        wrap="wrap",
    )


def _rrule() -> rx.Component:
    return rx.vstack(
        _input("rrule", "reminders.page.form.rrule", max_length=MAX_RRULE_CHARS, width="100%",
               placeholder="FREQ=WEEKLY;BYDAY=MO,TH"),
        rx.text(t("reminders.page.form.rrule_hint"), size="1", color_scheme="gray"),
        spacing="1",
        width="100%",
    )


def _end() -> rx.Component:
    """How a series ends (not shown for a one-time reminder)."""
    return rx.hstack(
        labelled("reminders.page.form.end", "reminder-end",
                 _select("reminder-end", [(mode, f"reminders.page.end.{mode}") for mode in END_MODES],
                         "reminders.page.form.end", value=RemindersState.form_end,
                         on_change=RemindersState.set_form_end)),
        rx.match(
            RemindersState.form_end,
            ("until", _input("until_date", "reminders.page.form.until", type="date")),
            ("count", _input("count", "reminders.page.form.count", type="number", min=1, max=MAX_COUNT, step=1,
                             width="7em")),
            rx.fragment(),
        ),
        spacing="4",
        wrap="wrap",
        align="end",
    )


def _escalation() -> rx.Component:
    """"If not acknowledged, send again on the next channel after N minutes" (empty: off)."""
    return rx.vstack(
        _input("escalate_after_minutes", "delivery.escalation.label", type="number", min=ESCALATION_MIN_MINUTES,
               max=ESCALATION_MAX_MINUTES, step=1, width="7em", placeholder=t("delivery.escalation.off")),
        rx.text(t("delivery.escalation.hint"), size="1", color_scheme="gray"),
        spacing="1",
    )


def reminder_form() -> rx.Component:
    """The create/edit form (drawn again with new starting values whenever it is opened)."""
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(rx.cond(RemindersState.editing_id != "", t("reminders.page.form.edit"),
                                   t("reminders.page.form.new")), size="4"),
                _input("title", "reminders.page.form.title", width="100%"),
                labelled("reminders.page.form.note", "reminder-note",
                         rx.text_area(name="note", id="reminder-note", default_value=_VALUES["note"], rows="2",
                                      resize="vertical", width="100%"), width="100%"),
                rx.hstack(
                    labelled("reminders.page.form.kind", "reminder-kind",
                             _select("reminder-kind", [(kind, f"reminders.page.kind.{kind}") for kind in FORM_KINDS],
                                     "reminders.page.form.kind", name="kind", default_value=_VALUES["kind"])),
                    _input("date", "reminders.page.form.date", type="date"),
                    _input("time", "reminders.page.form.time", type="time"),
                    _input("timezone", "reminders.page.form.timezone", list="reminder-timezones", min_width="14em"),
                    rx.el.datalist(*[rx.el.option(value=zone) for zone in _TIMEZONES], id="reminder-timezones"),
                    spacing="4",
                    wrap="wrap",
                    align="end",
                ),
                rx.text(t("reminders.page.form.kind_hint"), " ", t("reminders.page.form.timezone_hint"), size="1",
                        color_scheme="gray"),
                labelled("reminders.page.form.repeat", "reminder-recurrence",
                         _select("reminder-recurrence",
                                 [(value, f"reminders.page.repeat.{value}") for value in RECURRENCES],
                                 "reminders.page.form.repeat", value=RemindersState.form_recurrence,
                                 on_change=RemindersState.set_form_recurrence)),
                rx.match(RemindersState.form_recurrence, ("weekly", _weekdays()), ("hourly", _hourly()),
                         ("rrule", _rrule()), rx.fragment()),
                rx.cond(RemindersState.form_recurrence != "once", _end()),
                _escalation(),
                rx.cond(RemindersState.form_error != "",
                        rx.callout(RemindersState.form_error, color_scheme="red", icon="triangle-alert",
                                   id="reminder-form-error", width="100%")),
                rx.hstack(
                    rx.button(t("common.save"), type="submit", id="reminder-save"),
                    rx.button(t("common.cancel"), type="button", variant="soft", color_scheme="gray",
                              on_click=RemindersState.close_form, id="reminder-cancel"),
                    spacing="2",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=RemindersState.save,
            key=RemindersState.form_key.to(str),
            id="reminder-form",
        ),
        width="100%",
    )

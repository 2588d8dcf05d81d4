"""The Settings page's "Notifications" section (``#delivery-settings``): for each type of notification (reminders,
tasks, the daily review, alerts) the checkboxes ``#delivery-<type>-email`` and ``#delivery-<type>-telegram`` (the
app always gets every notification); a channel the user cannot be reached on is disabled, with the reason in
``#delivery-reason-email`` / ``#delivery-reason-telegram``; quiet hours (``#delivery-quiet-on`` switch,
``#delivery-quiet-start``, ``#delivery-quiet-end``); ``#delivery-save``; the outcome in ``#delivery-message`` or
``#delivery-error``."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.services.notifications.preferences import EXTRA_CHANNELS, PREFERENCE_TYPES
from assistant.ui.components.forms import field_label
from assistant.ui.i18n import t
from assistant.ui.state.delivery import DeliverySettingsState, field_name

_STATE = DeliverySettingsState


def _box(kind: str, channel: str) -> rx.Component:
    id_ = f"delivery-{kind.replace('_', '-')}-{channel}"
    reason = _STATE.delivery_reasons[channel].to(str)
    return rx.hstack(
        rx.checkbox(id=id_, name=field_name(kind, channel),
                    default_checked=_STATE.delivery_checked[field_name(kind, channel)].to(bool),
                    disabled=reason != ""),
        field_label(f"delivery.channel.{channel}", id_),
        spacing="1",
        align="center",
    )


def _type_row(kind: str) -> rx.Component:
    return rx.hstack(
        rx.text(t(f"delivery.type.{kind}"), size="2", min_width="12em"),
        *[_box(kind, channel) for channel in EXTRA_CHANNELS],
        spacing="4",
        align="center",
        wrap="wrap",
    )


def _reason(channel: str) -> rx.Component:
    reason = _STATE.delivery_reasons[channel].to(str)
    return rx.cond(reason != "", rx.text(reason, size="1", color_scheme="gray", id=f"delivery-reason-{channel}"))


def _time(name: str, label_key: str, value: rx.Var[Any]) -> rx.Component:
    id_ = f"delivery-{name.replace('_', '-')}"
    return rx.vstack(field_label(label_key, id_),
                     rx.input(type="time", name=name, id=id_, default_value=value, disabled=~_STATE.quiet_on),
                     spacing="1")


def delivery_settings() -> rx.Component:
    """The section (a card that loads itself when it mounts)."""
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(t("delivery.title"), size="4"),
                rx.text(t("delivery.hint"), size="2", color_scheme="gray"),
                *[_type_row(kind) for kind in PREFERENCE_TYPES],
                *[_reason(channel) for channel in EXTRA_CHANNELS],
                rx.hstack(
                    rx.switch(name="quiet_on", id="delivery-quiet-on", checked=_STATE.quiet_on,
                              on_change=_STATE.set_quiet_on),
                    field_label("delivery.quiet_on", "delivery-quiet-on"),
                    spacing="2",
                    align="center",
                ),
                rx.hstack(
                    _time("quiet_start", "delivery.quiet_start", _STATE.quiet_start),
                    _time("quiet_end", "delivery.quiet_end", _STATE.quiet_end),
                    spacing="4",
                ),
                rx.text(t("delivery.quiet_hint"), size="1", color_scheme="gray"),
                rx.cond(_STATE.delivery_error != "",
                        rx.callout(_STATE.delivery_error, color_scheme="red", id="delivery-error", width="100%")),
                rx.cond(_STATE.delivery_message != "",
                        rx.callout(_STATE.delivery_message, color_scheme="green", id="delivery-message",
                                   width="100%")),
                rx.button(t("common.save"), type="submit", id="delivery-save"),
                spacing="2",
                width="100%",
            ),
            on_submit=_STATE.save_delivery,
            key=_STATE.delivery_form_key.to(str),
        ),
        id="delivery-settings",
        width="100%",
        on_mount=_STATE.load_delivery,
    )

"""The Snooze menu of a reminder or a notification: a button (``.<name>-snooze``) that opens the preset lengths
(``.<name>-snooze-10``, ``.<name>-snooze-60``) and a form for any number of minutes (``.<name>-snooze-form``,
fields ``<name>_id`` and ``minutes``)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.services.scheduler.reminders import SNOOZE_MAX_MINUTES, SNOOZE_MIN_MINUTES
from assistant.ui.i18n import t

#: The snooze lengths offered as buttons, minutes (any other length through the form, checked by
#: :func:`~assistant.services.scheduler.reminders.check_snooze_minutes`).
SNOOZE_PRESETS = (10, 60)


def snooze_menu(name: str, ident: rx.Var[str], *, snooze: Any, snooze_custom: Any, variant: str) -> rx.Component:
    """The menu for the item ``ident``: ``snooze(ident, minutes)`` is the event of a preset button,
    ``snooze_custom`` receives the form (``{"<name>_id": ident, "minutes": text}``); ``name`` (``reminder``,
    ``notification``) prefixes the classes and the id field; ``variant`` is the trigger button's."""
    return rx.popover.root(
        rx.popover.trigger(rx.button(rx.icon("alarm-clock", size=14), t("notifications.snooze"), size="1",
                                     variant=variant, color_scheme="gray", class_name=f"{name}-snooze")),
        rx.popover.content(
            rx.vstack(
                rx.hstack(
                    *[rx.popover.close(rx.button(t(f"notifications.snooze.{minutes}"), size="1", variant="soft",
                                                 on_click=snooze(ident, minutes),
                                                 class_name=f"{name}-snooze-{minutes}"))
                      for minutes in SNOOZE_PRESETS],
                    spacing="2",
                ),
                rx.form(
                    rx.hstack(
                        rx.input(type="hidden", name=f"{name}_id", value=ident),
                        rx.input(type="number", name="minutes", min=SNOOZE_MIN_MINUTES, max=SNOOZE_MAX_MINUTES,
                                 step=1, required=True, width="6em", size="1",
                                 aria_label=t("notifications.snooze.minutes"),
                                 placeholder=t("notifications.snooze.minutes")),
                        rx.button(t("notifications.snooze"), type="submit", size="1"),
                        spacing="2",
                        align="center",
                    ),
                    on_submit=snooze_custom,
                    class_name=f"{name}-snooze-form",
                ),
                spacing="2",
            ),
            size="1",
        ),
    )

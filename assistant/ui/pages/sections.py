"""Pages whose features arrive in later issues: each states what it will hold, in the user's language."""

from __future__ import annotations

import reflex as rx

from assistant.ui import routes
from assistant.ui.i18n import t
from assistant.ui.layouts.shell import app_shell

#: (route, title key, empty-state key, icon)
SECTIONS = [
    (routes.MEMORY, "page.memory.title", "page.memory.empty", "brain"),
    (routes.REMINDERS, "page.reminders.title", "page.reminders.empty", "bell"),
    (routes.TASKS, "page.tasks.title", "page.tasks.empty", "list-checks"),
]


def section_page(title_key: str, empty_key: str, icon: str) -> rx.Component:
    return app_shell(
        title_key,
        rx.center(
            rx.vstack(
                rx.icon(icon, size=40, color=rx.color("gray", 8)),
                rx.text(t(empty_key), color_scheme="gray", text_align="center", id="empty-state"),
                align="center",
                spacing="3",
                padding_y="4em",
            ),
            width="100%",
        ),
    )

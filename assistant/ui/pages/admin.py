"""Administration: registration switch, model tiers, upload limits, shared collections, primary context and
general skills (users and groups are on their own page)."""

from __future__ import annotations

import reflex as rx

from assistant.ui import routes
from assistant.ui.components.admin_nav import admin_nav
from assistant.ui.components.collections import collections_card, uploads_card
from assistant.ui.components.context_editor import context_editor
from assistant.ui.components.skills import skills_editor
from assistant.ui.components.smtp_settings import smtp_settings_card
from assistant.ui.components.telegram_settings import telegram_settings_card
from assistant.ui.components.tiers import tiers_card
from assistant.ui.i18n import t
from assistant.ui.layouts.shell import app_shell
from assistant.ui.state.admin import AdminState
from assistant.ui.state.context import PrimaryContextState
from assistant.ui.state.skills import GeneralSkillsState


def admin_page() -> rx.Component:
    return app_shell(
        "admin.title",
        rx.vstack(
            admin_nav(routes.ADMIN),
            rx.card(
                rx.hstack(
                    rx.switch(
                        checked=AdminState.registration_enabled,
                        on_change=AdminState.set_registration,
                        id="registration-switch",
                    ),
                    rx.text(t("admin.registration"), as_="label", html_for="registration-switch"),
                    align="center",
                    spacing="3",
                ),
                rx.form(
                    rx.hstack(
                        rx.text(t("admin.default_max_chats"), as_="label", html_for="default-max-chats"),
                        rx.input(name="default_max_chats", default_value=AdminState.default_max_chats,
                                 key=AdminState.default_max_chats, type="number", min=1, max=100_000,
                                 width="8em", id="default-max-chats"),
                        rx.button(t("common.save"), type="submit", variant="soft", id="default-max-chats-save"),
                        align="center",
                        spacing="3",
                        wrap="wrap",
                    ),
                    on_submit=AdminState.save_default_max_chats,
                    margin_top="0.75em",
                ),
                width="100%",
            ),
            tiers_card(),
            uploads_card(),
            smtp_settings_card(),
            telegram_settings_card(),
            collections_card(),
            context_editor(PrimaryContextState, "primary-context", "context.primary", "context.primary_hint"),
            skills_editor(GeneralSkillsState, "skills.general", "skills.general_hint_admin", "general-skill-new",
                          "general-skills"),
            spacing="4",
            width="100%",
        ),
    )

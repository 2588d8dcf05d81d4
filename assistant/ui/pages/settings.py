"""Settings: profile (name, language, time zone), preferences (name to be addressed by, answer style, units,
model of new chats, confirming health facts), personal context, the user's skills, the general skills
(read-only), password, and the user's data (export everything, delete the account)."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

import reflex as rx

from assistant.models import TIERS
from assistant.models.user import ANSWER_STYLES, UNITS
from assistant.ui.components.account_data import account_data_section
from assistant.ui.components.context_editor import context_editor
from assistant.ui.components.delivery_settings import delivery_settings
from assistant.ui.components.email_address import email_address_card
from assistant.ui.components.forms import field_label
from assistant.ui.components.review_settings import review_settings
from assistant.ui.components.skills import readonly_skill_list, skills_editor
from assistant.ui.components.telegram_link import telegram_link_card
from assistant.ui.components.usage_card import usage_card
from assistant.ui.i18n import t
from assistant.ui.layouts.shell import app_shell, language_select
from assistant.ui.state.account import HEALTH_SWITCH_ID, ProfileState
from assistant.ui.state.context import PersonalContextState
from assistant.ui.state.skills import PersonalSkillsState

_TIMEZONES = sorted(available_timezones())


def _message(text: rx.Var[Any], scheme: str, id_: str) -> rx.Component:
    return rx.cond(text != "", rx.callout(text, color_scheme=scheme, id=id_, width="100%"), rx.fragment())


def _choice(name: str, id_: str, label_key: str, options: list[tuple[str, str]], value: rx.Var[Any]) -> rx.Component:
    """A labelled select of the profile form submitting ``name``; ``options`` are (value, i18n key)."""
    return rx.vstack(
        field_label(label_key, id_),
        rx.select.root(
            rx.select.trigger(id=id_),
            rx.select.content(*[rx.select.item(t(key), value=option, id=f"{id_}-{option}") for option, key in options]),
            name=name,
            default_value=value,
            key=value,
        ),
        spacing="1",
    )


def settings_page() -> rx.Component:
    profile = rx.card(
        rx.form(
            rx.vstack(
                rx.heading(t("settings.profile"), size="4"),
                field_label("settings.email", "email"),
                rx.text(ProfileState.user_email, id="email"),
                field_label("settings.display_name", "display_name"),
                rx.input(name="display_name", id="display_name", default_value=ProfileState.display_name,
                         key=ProfileState.display_name, width="100%"),
                field_label("settings.language", "language-select"),
                language_select(),
                field_label("settings.timezone", "timezone"),
                rx.input(name="timezone", id="timezone", default_value=ProfileState.timezone,
                         key=ProfileState.timezone, list="timezones", width="100%"),
                rx.el.datalist(*[rx.el.option(value=zone) for zone in _TIMEZONES], id="timezones"),
                field_label("settings.preferred_name", "preferred_name"),
                rx.input(name="preferred_name", id="preferred_name", default_value=ProfileState.preferred_name,
                         key=ProfileState.preferred_name, max_length=100, width="100%"),
                rx.text(t("settings.preferred_name_hint"), size="1", color_scheme="gray"),
                rx.hstack(
                    _choice("answer_style", "answer-style", "settings.answer_style",
                            [(style, f"settings.answer_style.{style}") for style in ANSWER_STYLES],
                            ProfileState.answer_style),
                    _choice("units", "units", "settings.units", [(unit, f"settings.units.{unit}") for unit in UNITS],
                            ProfileState.units),
                    _choice("default_tier", "default-tier", "settings.default_tier",
                            [(tier, f"chat.tier.{tier}") for tier in TIERS], ProfileState.default_tier),
                    spacing="4",
                    wrap="wrap",
                ),
                rx.hstack(
                    rx.switch(name="confirm_health_memories", id=HEALTH_SWITCH_ID,
                              default_checked=ProfileState.confirm_health_memories,
                              key=ProfileState.confirm_health_memories.to(str)),
                    field_label("settings.confirm_health_memories", HEALTH_SWITCH_ID),
                    align="center",
                    spacing="2",
                ),
                rx.text(t("settings.confirm_health_memories_hint"), size="1", color_scheme="gray"),
                _message(ProfileState.profile_message, "green", "profile-message"),
                rx.button(t("common.save"), type="submit", id="profile-save"),
                spacing="2",
                width="100%",
            ),
            on_submit=ProfileState.save_profile,
        ),
        width="100%",
    )
    password = rx.card(
        rx.form(
            rx.vstack(
                rx.heading(t("settings.password"), size="4"),
                field_label("settings.current_password", "current_password"),
                rx.input(name="current_password", id="current_password", type="password", required=True, width="100%"),
                field_label("settings.new_password", "new_password"),
                rx.input(name="new_password", id="new_password", type="password", required=True, width="100%"),
                rx.text(t("register.password_hint"), size="1", color_scheme="gray"),
                field_label("register.password_confirm", "password_confirm"),
                rx.input(name="password_confirm", id="password_confirm", type="password", required=True, width="100%"),
                _message(ProfileState.password_error, "red", "password-error"),
                _message(ProfileState.password_message, "green", "password-message"),
                rx.button(t("settings.change_password"), type="submit", loading=ProfileState.busy, id="password-save"),
                spacing="2",
                width="100%",
            ),
            on_submit=ProfileState.change_password,
            reset_on_submit=True,
        ),
        width="100%",
    )
    general_skills = rx.card(
        rx.vstack(
            rx.heading(t("skills.general"), size="4"),
            rx.text(t("skills.general_hint_user"), size="2", color_scheme="gray"),
            readonly_skill_list(PersonalSkillsState.general_skills, "available-general-skills"),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )
    return app_shell(
        "settings.title",
        rx.vstack(
            profile,
            email_address_card(),
            telegram_link_card(),
            delivery_settings(),
            review_settings(),
            context_editor(PersonalContextState, "personal-context", "context.personal", "context.personal_hint"),
            skills_editor(PersonalSkillsState, "skills.mine", "skills.mine_hint", "skill-new", "personal-skills"),
            general_skills,
            password,
            usage_card(),
            account_data_section(),
            spacing="4",
            width="100%",
        ),
    )

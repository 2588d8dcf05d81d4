"""The signed-in layout: sidebar (menu on phones), header with the notifications bell, theme and language,
page content."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from assistant.ui import routes
from assistant.ui.components.bell import bell
from assistant.ui.i18n import t
from assistant.ui.state.auth import AuthState
from assistant.ui.styles import DESKTOP_ONLY, MOBILE_ONLY, SIDEBAR_WIDTH

#: (route, i18n key, lucide icon, admins only)
NAV_ITEMS: list[tuple[str, str, str, bool]] = [
    (routes.CHATS, "nav.chats", "messages-square", False),
    (routes.DOCUMENTS, "nav.documents", "file-text", False),
    (routes.MEMORY, "nav.memory", "brain", False),
    (routes.REMINDERS, "reminders.page.nav", "alarm-clock", False),
    (routes.TASKS, "tasks.nav", "list-checks", False),
    (routes.NOTIFICATIONS, "notifications.nav", "bell", False),
    (routes.REPORTS, "reports.nav", "file-text", False),
    (routes.AGENTS, "agents.nav", "bot", False),
    (routes.SETTINGS, "nav.settings", "settings", False),
    (routes.ADMIN, "nav.admin", "shield", True),
]


def _nav_link(route: str, key: str, icon: str) -> rx.Component:
    name = route.strip("/")
    return rx.link(
        rx.hstack(rx.icon(icon, size=18), rx.text(t(key)), align="center", spacing="3"),
        href=route,
        id=f"nav-{name}",
        underline="none",
        padding="0.5em 0.75em",
        border_radius="var(--radius-2)",
        width="100%",
        _hover={"background": rx.color("accent", 3)},
    )


def _nav_entries(make: Callable[[str, str, str], rx.Component]) -> list[rx.Component]:
    """One component per nav item, built by ``make(route, key, icon)``; admin items only for admins."""
    entries = []
    for route, key, icon, admin_only in NAV_ITEMS:
        entry = make(route, key, icon)
        entries.append(rx.cond(AuthState.is_admin, entry, rx.fragment()) if admin_only else entry)
    return entries


def _menu_item(route: str, key: str, icon: str) -> rx.Component:
    return rx.menu.item(
        rx.hstack(rx.icon(icon, size=16), rx.text(t(key))),
        on_click=rx.redirect(route),
        id=f"menu-{route.strip('/')}",
    )


def sidebar() -> rx.Component:
    return rx.vstack(
        rx.heading(t("app.name"), size="5", padding="0.5em 0.75em"),
        *_nav_entries(_nav_link),
        rx.spacer(),
        rx.text(AuthState.user_name, size="2", color_scheme="gray", padding_x="0.75em", id="current-user"),
        rx.button(
            rx.icon("log-out", size=16), t("nav.logout"), variant="ghost", on_click=AuthState.logout, id="logout"
        ),
        width=SIDEBAR_WIDTH,
        min_width=SIDEBAR_WIDTH,
        height="100vh",
        position="sticky",
        top="0",
        padding="1em 0.5em",
        border_right=f"1px solid {rx.color('gray', 5)}",
        display=DESKTOP_ONLY,
    )


def mobile_menu() -> rx.Component:
    entries = _nav_entries(_menu_item) + [
        rx.menu.separator(),
        rx.menu.item(t("nav.logout"), on_click=AuthState.logout, id="menu-logout"),
    ]
    return rx.box(
        rx.menu.root(
            rx.menu.trigger(
                rx.icon_button(rx.icon("menu"), variant="ghost", aria_label=t("nav.menu"), id="mobile-menu")
            ),
            rx.menu.content(*entries),
        ),
        display=MOBILE_ONLY,
    )


def language_select() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=t("header.language"), id="language-select"),
        rx.select.content(
            rx.select.item(t("lang.en"), value="en", id="language-en"),
            rx.select.item(t("lang.ru"), value="ru", id="language-ru"),
        ),
        value=AuthState.lang,
        on_change=AuthState.set_language,
        size="1",
    )


def theme_toggle() -> rx.Component:
    return rx.icon_button(
        rx.color_mode_cond(light=rx.icon("moon", size=18), dark=rx.icon("sun", size=18)),
        on_click=rx.toggle_color_mode,
        variant="ghost",
        aria_label=t("header.toggle_theme"),
        title=t("header.toggle_theme"),
        id="theme-toggle",
    )


def header(title_key: str) -> rx.Component:
    return rx.hstack(
        mobile_menu(),
        rx.heading(t(title_key), size="6", id="page-title"),
        rx.spacer(),
        bell(),
        language_select(),
        theme_toggle(),
        align="center",
        width="100%",
        padding="0.75em 1em",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        spacing="3",
    )


def app_shell(title_key: str, *content: rx.Component, wide: bool = False) -> rx.Component:
    """A signed-in page. Nothing of it renders until the session check of ``on_load`` succeeded.
    ``wide`` lets the content use the whole width (the chat) instead of a reading column."""
    return rx.cond(
        AuthState.is_hydrated & AuthState.is_authenticated,
        rx.hstack(
            sidebar(),
            rx.vstack(
                header(title_key),
                rx.box(*content, padding="1em", width="100%", max_width="none" if wide else "60em"),
                width="100%",
                min_width="0",
                spacing="0",
            ),
            spacing="0",
            width="100%",
            align="start",
        ),
        rx.center(rx.spinner(size="3"), height="100vh"),
    )


def public_shell(*content: rx.Component) -> rx.Component:
    """Login and registration: a centred card with language and theme controls."""
    return rx.center(
        rx.vstack(
            rx.hstack(rx.spacer(), language_select(), theme_toggle(), width="100%", align="center"),
            rx.card(rx.vstack(*content, spacing="4", width="100%"), width="100%", size="3"),
            width="100%",
            max_width="26em",
            padding="1em",
            spacing="3",
        ),
        min_height="100vh",
        width="100%",
    )

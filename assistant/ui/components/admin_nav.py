"""The tabs across the top of every admin console page."""

from __future__ import annotations

import reflex as rx

from assistant.ui import routes
from assistant.ui.i18n import t

#: (route, i18n key) of each admin console page, in the order shown.
ADMIN_PAGES: list[tuple[str, str]] = [
    (routes.ADMIN, "admin.nav.settings"),
    (routes.ADMIN_PROVIDERS, "admin.nav.providers"),
    (routes.ADMIN_USERS, "admin.nav.users"),
    (routes.ADMIN_AUDIT, "admin.nav.audit"),
    (routes.ADMIN_ANALYTICS, "admin.nav.analytics"),
    (routes.ADMIN_SYSTEM, "admin.nav.system"),
]


def admin_nav(current: str) -> rx.Component:
    """Links to the admin console's pages, ``current`` (a route of :data:`ADMIN_PAGES`) marked as the open one."""
    return rx.hstack(
        *[
            rx.link(
                rx.button(t(key), variant="solid" if route == current else "soft", size="2"),
                href=route,
                id=f"admin-nav-{route.strip('/').replace('/', '-')}",
                underline="none",
            )
            for route, key in ADMIN_PAGES
        ],
        spacing="2",
        wrap="wrap",
        width="100%",
    )

"""Reflex configuration, derived from the app's own settings (``assistant.core.config``)."""

import reflex as rx
from reflex.plugins import RadixThemesPlugin
from reflex_base.plugins.sitemap import SitemapPlugin

from assistant.core.config import get_settings

settings = get_settings()

config = rx.Config(
    app_name="assistant",
    frontend_port=settings.port,
    backend_port=settings.port,
    api_url=settings.base_url,
    deploy_url=settings.base_url,
    cors_allowed_origins=settings.allowed_origins,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[RadixThemesPlugin(theme=rx.theme(accent_color="teal", radius="medium"))],
    disable_plugins=[SitemapPlugin],
)

"""Logging set-up shared by the CLI, the web process and the worker."""

from __future__ import annotations

import logging


def configure_logging(level: str = "INFO") -> None:
    """Send log records to stderr as ``time level logger: message`` lines."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("pgserver").setLevel(logging.WARNING)

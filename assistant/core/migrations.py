"""Run Alembic migrations from code (the CLI and the tests use this, never ``create_all``)."""

from __future__ import annotations

from alembic.config import Config

from alembic import command
from assistant.core.config import REPO_ROOT


def alembic_config(url: str) -> Config:
    """An Alembic config for the repository's ``alembic/`` folder aimed at ``url``."""
    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    cfg.attributes["configure_logging"] = False
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` on the database at ``url``."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    """Revert migrations down to ``revision`` on the database at ``url``."""
    command.downgrade(alembic_config(url), revision)

"""Alembic environment: the models' metadata and the URL from the app's configuration.

The URL is taken, in order, from ``config.attributes["url"]`` (set by :mod:`assistant.core.migrations`),
``-x url=...`` on the command line, or the app's own resolution (``DATABASE_URL`` or embedded server).
"""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool
from sqlmodel import SQLModel

import assistant.models  # noqa: F401  (registers every table on SQLModel.metadata)
from assistant.core.db import database_url, sqlalchemy_url

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def _url() -> str:
    return sqlalchemy_url(config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url") or database_url())


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = create_engine(_url(), poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

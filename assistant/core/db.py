"""Database engine, sessions and the embedded PostgreSQL server.

When ``DATABASE_URL`` is unset, :func:`start_embedded_postgres` runs PostgreSQL 16 with pgvector
from the ``pgserver`` package in ``<data_dir>/postgres``: one server per data folder, shared by every
process that asks for it and stopped when the last of them exits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import psycopg
from psycopg import sql
from sqlalchemy import CursorResult, Engine, Result
from sqlmodel import Session, create_engine

from assistant.core.config import get_settings

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

T = TypeVar("T")

log = logging.getLogger(__name__)

EMBEDDED_DB_NAME = "assistant"
_embedded_servers: dict[Path, PostgresServer] = {}


def sqlalchemy_url(url: str) -> str:
    """Return ``url`` with the psycopg 3 driver selected (``postgresql+psycopg://``)."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def libpq_url(url: str) -> str:
    """Return ``url`` in the plain libpq form that psycopg accepts (no SQLAlchemy driver)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def start_embedded_postgres(data_dir: Path, database: str = EMBEDDED_DB_NAME) -> str:
    """Start (or attach to) the embedded server in ``data_dir/postgres`` and return a libpq URL.

    The database ``database`` is created on first use. The server keeps running while any process
    holds a handle and is stopped cleanly when the last one exits.

    Raises:
        subprocess.CalledProcessError: PostgreSQL failed to start (its log is in the folder).
    """
    from pgserver.postgres_server import get_server

    pgdata = (data_dir / "postgres").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    server = _embedded_servers.get(pgdata)
    if server is None:
        server = get_server(pgdata, cleanup_mode="stop")
        _embedded_servers[pgdata] = server
    admin_url = server.get_uri()
    create_database_if_missing(admin_url, database)
    return server.get_uri(database=database)


def stop_embedded_postgres(data_dir: Path) -> None:
    """Give up this process's handle on the embedded server of ``data_dir`` now instead of at exit,
    stopping the server if no other process holds one (call before deleting a temporary folder: a
    server whose folder is gone can no longer be stopped and keeps running)."""
    server = _embedded_servers.pop((data_dir / "postgres").resolve(), None)
    if server is not None:
        server.cleanup()


def create_database_if_missing(admin_url: str, database: str) -> None:
    """Create ``database`` on the server reached by ``admin_url`` unless it exists."""
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def database_url() -> str:
    """The URL this process uses: ``DATABASE_URL`` or the embedded server of the data folder."""
    settings = get_settings()
    if settings.database_url:
        return settings.database_url
    return start_embedded_postgres(settings.resolved_data_dir)


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """The process-wide SQLAlchemy engine (psycopg 3, pooled, pre-ping on checkout)."""
    return create_engine(sqlalchemy_url(database_url()), pool_pre_ping=True, pool_size=5, max_overflow=10)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on any exception.

    Yields:
        sqlmodel.Session bound to :func:`get_engine`; objects stay usable after commit.
    """
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


async def in_session(work: Callable[[Session], T]) -> T:
    """Run ``work(session)`` in one :func:`session_scope` transaction on a worker thread, so an
    event loop never waits on the database."""

    def run() -> T:
        with session_scope() as session:
            return work(session)

    return await asyncio.to_thread(run)


def affected_rows(result: Result[Any]) -> int:
    """The number of rows an INSERT, UPDATE or DELETE run by ``Session.execute`` touched (the result of
    such a statement is a ``CursorResult``, which the session's signature does not say)."""
    return cast(CursorResult[Any], result).rowcount

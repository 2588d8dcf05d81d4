"""Shared fixtures: one embedded PostgreSQL per test session, a migrated database, clean tables per test.

Everything here is lazy: a test that asks for no database fixture starts nothing (the browser tests in
``tests/e2e`` and ``tests/security`` have their own conftest and run the whole app instead; the one ``browser`` and the
one ``app_port`` (the frontend built once for the run) they share are defined in ``tests/support/app.py``
and provided from here; in a run with such tests, ``apps_prepared_early`` starts that build before the first test, in
the background).

* ``database``  (session) starts ``pgserver`` in a temporary folder, creates and migrates (Alembic, never
  ``create_all``) a fresh database, and points the app's settings at it through the environment.
* ``db``        (function) the app's engine; every app table is truncated after the test.
* ``session``   (function) a plain ``sqlmodel.Session`` on that engine.
* ``make_user`` (function) creates committed accounts quickly (one shared bcrypt hash).
* ``make_document`` (function) creates committed document rows (no file, no chunks).
* ``configure`` (function) overrides ``ASSISTANT_*`` settings for one test.

Most tests drive several "requests" in a row; each request uses its own
:func:`assistant.core.db.session_scope`, exactly as the API and the UI do, so nothing is answered from a
stale identity map.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from support.app import app_port, browser  # noqa: F401 - one build and one browser for the whole run

#: The password of every account made by ``make_user`` unless told otherwise.
PASSWORD = "correct-horse-42"
TEST_DATABASE = "assistant_test"


@dataclass(frozen=True)
class PgDatabase:
    """Where the session's embedded server lives and the URL of the migrated test database."""

    url: str
    server_dir: Path
    data_dir: Path


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgDatabase]:
    """Start one embedded PostgreSQL for the whole session and migrate a fresh database on it."""
    import psycopg
    from psycopg import sql
    from support.app import link_prepared_model

    from assistant.core.config import get_settings
    from assistant.core.db import get_engine, start_embedded_postgres
    from assistant.core.migrations import upgrade

    server_dir = tmp_path_factory.mktemp("pg")
    data_dir = tmp_path_factory.mktemp("data")
    url = start_embedded_postgres(server_dir, TEST_DATABASE)

    # A test that leaves a transaction holding locks fails loudly instead of hanging the run.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} SET lock_timeout = '15s'").format(sql.Identifier(TEST_DATABASE)))

    # The developer's own ASSISTANT_* settings (proxies, limits, ...) must not change what the tests see.
    saved = {key: value for key, value in os.environ.items() if key.startswith("ASSISTANT_") or key == "DATABASE_URL"}
    for key in saved:
        del os.environ[key]
    os.environ["DATABASE_URL"] = url
    os.environ["ASSISTANT_DATA_DIR"] = str(data_dir)
    os.environ["ASSISTANT_JWT_SECRET"] = secrets.token_urlsafe(48)
    os.environ["ASSISTANT_ENV"] = "dev"
    get_settings.cache_clear()
    get_engine.cache_clear()

    upgrade(url)
    link_prepared_model(data_dir)  # in a run with app tests: their model export, not a second one here
    try:
        yield PgDatabase(url=url, server_dir=server_dir, data_dir=data_dir)
    finally:
        get_engine().dispose()
        get_engine.cache_clear()
        for key in [key for key in os.environ if key.startswith("ASSISTANT_") or key == "DATABASE_URL"]:
            del os.environ[key]
        os.environ.update(saved)
        get_settings.cache_clear()


@pytest.fixture
def db(database: PgDatabase):
    """The app's engine on the test database; every app table is emptied after the test."""
    from support.app import empty_app_tables

    from assistant.core.db import get_engine

    try:
        yield get_engine()
    finally:
        empty_app_tables()


@pytest.fixture
def session(db) -> Iterator:
    """A plain SQLModel session; whatever the test did not commit is rolled back afterwards."""
    from sqlmodel import Session

    with Session(db, expire_on_commit=False) as sess:
        try:
            yield sess
        finally:
            sess.rollback()


@cache
def password_hash(password: str = PASSWORD) -> str:
    """bcrypt hash of ``password``, computed once per session (cost 12 takes ~0.25 s)."""
    from assistant.core.security import hash_password

    return hash_password(password)


@pytest.fixture
def make_user(db) -> Callable[..., object]:
    """Factory of committed accounts: ``make_user(role=Role.ADMIN, active=False, email=..., password=...)``."""
    from assistant.core.db import session_scope
    from assistant.models import User
    from assistant.models.user import Role

    def _make(
        *,
        email: str | None = None,
        role: Role | str = Role.USER,
        active: bool = True,
        password: str = PASSWORD,
        display_name: str | None = None,
    ) -> User:
        email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
        user = User(
            email=email.lower(),
            display_name=display_name or email.split("@")[0],
            password_hash=password_hash(password),
            role=Role(role).value,
            is_active=active,
        )
        with session_scope() as sess:
            sess.add(user)
        return user

    return _make


@pytest.fixture
def make_document(db) -> Callable[..., object]:
    """Factory of committed documents: ``make_document(owner, collection=None, language="english",
    status="completed", filename=None, content=None, media_type="text/plain")``; with ``content``
    (bytes or a file to copy) the stored file is written, as an upload leaves it."""
    from assistant.core.config import get_settings
    from assistant.core.db import session_scope
    from assistant.models import Document
    from assistant.services.rag.paths import document_path

    def _make(owner, *, collection=None, language: str = "english", status: str = "completed",
              filename: str | None = None, content: bytes | Path | None = None,
              media_type: str = "text/plain") -> Document:
        name = filename or f"doc-{uuid.uuid4().hex[:8]}.txt"
        data = content.read_bytes() if isinstance(content, Path) else content
        document = Document(
            owner_id=owner.id,
            collection_id=collection.id if collection is not None else None,
            filename=name,
            storage_name=uuid.uuid4().hex,
            media_type=media_type,
            size_bytes=len(data) if data is not None else 1,
            sha256=hashlib.sha256(data if data is not None else name.encode()).hexdigest(),
            language=language,
            status=status,
        )
        if data is not None:
            path = document_path(get_settings(), document.storage_name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        with session_scope() as sess:
            sess.add(document)
        return document

    return _make


@pytest.fixture
def configure(database: PgDatabase, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., object]]:
    """Override settings for one test: ``configure(trusted_proxies="10.0.0.0/8")`` sets
    ``ASSISTANT_TRUSTED_PROXIES`` and re-reads the settings; everything is restored afterwards."""
    from assistant.core.config import get_settings

    def _set(**values: object):
        for key, value in values.items():
            monkeypatch.setenv(f"ASSISTANT_{key.upper()}", str(value))
        get_settings.cache_clear()
        return get_settings()

    try:
        yield _set
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


@pytest.fixture
def password() -> str:
    """The password of the accounts made by ``make_user``."""
    return PASSWORD


@pytest.fixture
def sign_in(db) -> Callable[..., object]:
    """``sign_in(email, password=PASSWORD, address="198.51.100.7")``: one login request, committed,
    returning the :class:`~assistant.services.auth.service.TokenPair`."""
    from assistant.core.db import session_scope
    from assistant.services.auth import service as auth

    def _sign_in(email: str, password: str = PASSWORD, address: str = "198.51.100.7"):
        with session_scope() as sess:
            return auth.login(session=sess, email=email, password=password, client_address=address)

    return _sign_in


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "app: starts the app or a browser (set from the fixtures; `make test-fast` "
                                       "runs `-m 'not app'`)")


@pytest.fixture(scope="session", autouse=True)
def apps_prepared_early(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """In a run with tests that start the app, the frontend build and the model's export for them (see
    ``support.app.prepare_apps``) start before the first test, in the background, so the tests that need
    no app run meanwhile instead of waiting for them later (~30 s); stopped at the end if still running."""
    from support.app import prepare_apps, stop_preparation

    if any("app_port" in item.fixturenames for item in request.session.items):
        prepare_apps(tmp_path_factory)
    try:
        yield
    finally:
        stop_preparation()


#: Fixtures of an app kept running for every module that uses it (``support.app.kept_app``).
KEPT_APP_FIXTURES = ("live_app",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that starts the app (through ``app_port``: ``app_url``, ``start_app``, ``live_app``) or
    a browser as ``app``, and run the modules that drive a browser after all the others: once started,
    Playwright's sync API leaves an event loop marked as running in the main thread for the rest of the
    session, which the async (anyio) tests cannot share. A module moves whole, so the app its tests share
    (a module fixture) is started once; otherwise the collection order stands, but for the modules that share
    a kept app (:data:`KEPT_APP_FIXTURES`), which run one after another so it starts once for all of them:
    last of the modules without a browser, first of those with one."""
    browser_modules, kept_modules = set(), set()
    for item in items:
        uses_browser = "browser" in item.fixturenames or item.get_closest_marker("e2e") is not None
        if uses_browser or "app_port" in item.fixturenames:
            item.add_marker(pytest.mark.app)
        if uses_browser:
            browser_modules.add(item.path)
        if any(name in item.fixturenames for name in KEPT_APP_FIXTURES):
            kept_modules.add(item.path)

    def order(item: pytest.Item) -> tuple[bool, bool]:
        with_browser = item.path in browser_modules
        return with_browser, (item.path in kept_modules) != with_browser

    items.sort(key=order)


@pytest.fixture
def call(db) -> Callable[..., Any]:
    """``call(fn, **kwargs)``: ``fn(session=..., **kwargs)`` in its own committed transaction, as one
    request of the UI or the API would run it."""
    from assistant.core.db import session_scope

    def _call(fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        with session_scope() as session:
            return fn(session=session, **kwargs)

    return _call

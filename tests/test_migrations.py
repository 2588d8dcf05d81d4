"""Alembic revisions produce exactly the models' schema on an empty database, and downgrade works."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, pool, text
from sqlmodel import SQLModel

import assistant.models  # noqa: F401  (registers every table)
from assistant.core.db import sqlalchemy_url, start_embedded_postgres
from assistant.core.migrations import alembic_config, downgrade, upgrade


@pytest.fixture
def empty_database(database):
    """A brand-new database on the session's server, separate from the one the other tests use."""
    import uuid

    url = start_embedded_postgres(database.server_dir, f"migrations_{uuid.uuid4().hex[:8]}")
    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    try:
        yield url, engine
    finally:
        engine.dispose()


def schema_diff(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(context, SQLModel.metadata)


def app_tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def vector_extension(engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")).scalar()


def current_revision(engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_upgrade_head_gives_exactly_the_models_schema(empty_database):
    url, engine = empty_database
    assert app_tables(engine) == set()

    upgrade(url)

    assert schema_diff(engine) == []
    assert app_tables(engine) == set(SQLModel.metadata.tables)
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert current_revision(engine) == head


def test_first_migration_creates_the_vector_extension(empty_database):
    url, engine = empty_database
    upgrade(url)
    version = vector_extension(engine)
    assert version is not None
    with engine.connect() as conn:  # and it works
        assert conn.execute(text("SELECT '[1,2,3]'::vector <-> '[1,2,4]'::vector")).scalar() == 1.0


def test_downgrade_to_base_then_upgrade_again(empty_database):
    url, engine = empty_database
    upgrade(url)
    downgrade(url, "base")

    assert app_tables(engine) == set()
    assert current_revision(engine) is None
    assert vector_extension(engine) is None

    upgrade(url)
    assert schema_diff(engine) == []
    assert vector_extension(engine) is not None


def test_every_revision_downgrades_one_step_at_a_time(empty_database):
    url, engine = empty_database
    script = ScriptDirectory.from_config(alembic_config(url))
    revisions = [rev.revision for rev in script.walk_revisions()]  # head first
    upgrade(url)
    for revision in revisions:
        assert current_revision(engine) == revision
        downgrade(url, "-1")
    assert current_revision(engine) is None
    assert app_tables(engine) == set()


def test_migrations_have_a_single_head():
    script = ScriptDirectory.from_config(alembic_config("postgresql://unused"))
    assert len(script.get_heads()) == 1


def test_the_comparison_notices_a_schema_that_differs(empty_database):
    """Guard: an empty diff above means "identical", not "the comparison saw nothing"."""
    url, engine = empty_database
    upgrade(url)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_users_email"))
        conn.execute(text("ALTER TABLE users ALTER COLUMN display_name TYPE varchar(50)"))
        conn.execute(text("ALTER TABLE users ADD COLUMN stray integer"))
    diff = schema_diff(engine)
    kinds = {entry[0] if isinstance(entry, tuple) else entry[0][0] for entry in diff}
    assert {"add_index", "remove_column", "modify_type"} <= kinds

"""Delete my account: after the password, no row of any table refers to the user or to a row of theirs, no text
names them, none of their files is left, the scheduler hears about each of their jobs, and another user keeps all
of theirs; a wrong password or a rollback deletes nothing; the last superadmin is refused; a running export is
cancelled first and stores nothing; an ingestion running meanwhile gives its job up."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Uuid, func, select, text
from sqlmodel import Session, SQLModel
from support.data import SHARED_DATA

import assistant.models  # noqa: F401 - every table in the metadata
from assistant.core.config import get_settings
from assistant.core.db import get_engine, session_scope
from assistant.core.errors import Conflict, InvalidInput
from assistant.models import Chunk, Document, DocumentPage, Reminder, Report, TaskRun, User
from assistant.models.user import Role
from assistant.services.account.deletion import delete_account
from assistant.services.account.export import build_data_export, request_data_export
from assistant.services.rag import ingest
from assistant.services.rag.page_images import cache_dir
from assistant.services.rag.paths import document_path
from assistant.services.reports import jobs
from assistant.services.reports.jobs import BuiltFile, ReportJob
from assistant.services.scheduler.signals import SCHEDULER_CHANNEL


def _uuid_columns(table) -> list:
    return [column for column in table.columns if isinstance(column.type, Uuid)]


def _owned(session: Session, user_id: uuid.UUID) -> set[uuid.UUID]:
    """The user's id and the ids of every row reached from it through ``ON DELETE CASCADE`` foreign keys
    (and owner columns), to a fixed point."""
    owned, grown = {user_id}, True
    while grown:
        grown = False
        for table in SQLModel.metadata.sorted_tables:
            keys = [key for key in table.foreign_keys if key.ondelete == "CASCADE"]
            primary = [column for column in table.primary_key.columns if isinstance(column.type, Uuid)]
            if not keys or len(primary) != 1:
                continue
            condition = " OR ".join(f"{key.parent.name} = ANY(:ids)" for key in keys)
            found = set(session.execute(text(f"SELECT {primary[0].name} FROM {table.name} WHERE {condition}"),
                                        {"ids": list(owned)}).scalars())
            if not found <= owned:
                owned |= found
                grown = True
    return owned


def _references(session: Session, ids: set[uuid.UUID]) -> dict[str, int]:
    """``{table.column: rows}`` for every UUID column (foreign key or not) of every table holding one of
    ``ids``."""
    found = {}
    for table in SQLModel.metadata.sorted_tables:
        for column in _uuid_columns(table):
            count = session.execute(text(f"SELECT count(*) FROM {table.name} WHERE {column.name} = ANY(:ids)"),
                                    {"ids": list(ids)}).scalar_one()
            if count:
                found[f"{table.name}.{column.name}"] = count
    return found


def _mentions(session: Session, needle: str) -> dict[str, int]:
    """``{table: rows}`` whose text (every column, JSON included) contains ``needle``."""
    found = {}
    for table in SQLModel.metadata.sorted_tables:
        count = session.execute(text(f"SELECT count(*) FROM {table.name} AS t WHERE t::text LIKE :pattern"),
                                {"pattern": f"%{needle}%"}).scalar_one()
        if count:
            found[table.name] = count
    return found


def _files() -> dict[Path, bytes]:
    root = get_settings().resolved_data_dir
    return {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}


def _add_page_cache(document_id: uuid.UUID) -> Path:
    folder = cache_dir(get_settings(), document_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "1.png").write_bytes(b"\x89PNG cached page")
    return folder


def test_deleting_an_account_leaves_no_row_or_file_of_it_and_keeps_the_other_users(
        make_user, fill_account, password, database):
    me, other = make_user(email="leaving@example.com"), make_user(email="staying@example.com")
    mine = fill_account(me, ingested=True)
    theirs = fill_account(other, telegram_chat=2002)
    my_cache, their_cache = _add_page_cache(mine.document.id), _add_page_cache(theirs.document.id)
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Chunk).where(Chunk.document_id == mine.document.id))
        assert session.scalar(select(func.count()).select_from(DocumentPage).where(
            DocumentPage.document_id == mine.document.id))
        my_rows, their_rows = _owned(session, me.id), _owned(session, other.id)
        assert len(my_rows) > 20
        their_references = _references(session, their_rows)
        reminders = list(session.scalars(select(Reminder.id).where(Reminder.user_id == me.id)))
        runs = list(session.scalars(select(TaskRun.id).where(TaskRun.user_id == me.id)))
        assert session.get_one(Report, mine.report.id).storage_name
        my_report = jobs.report_path(get_settings(), session.get_one(Report, mine.report.id).storage_name)
    files_before = _files()
    my_files = {document_path(get_settings(), mine.document.storage_name), my_report, my_cache / "1.png"}
    assert my_files <= set(files_before)

    with psycopg.connect(database.url, autocommit=True) as listener:
        listener.execute(f"LISTEN {SCHEDULER_CHANNEL}")
        with session_scope() as session:
            delete_account(session=session, user=me, password=password)
        signals = {note.payload for note in listener.notifies(timeout=0.5)}
    assert {f"reminder:{reminders[0]}", f"task_run:{runs[0]}", f"review:{me.id}"} <= signals
    assert any(signal.startswith("notification:") for signal in signals)
    assert any(signal.startswith("escalation:") for signal in signals)

    with session_scope() as session:
        assert session.get(User, me.id) is None
        assert _references(session, my_rows) == {}
        for needle in (mine.marker, me.email):
            assert _mentions(session, needle) == {}, needle
        assert _owned(session, other.id) == their_rows
        assert _references(session, their_rows) == their_references
        assert session.get_one(User, other.id).email == "staying@example.com"
    files_after = _files()
    assert set(files_after) == set(files_before) - my_files
    assert not my_cache.exists() and their_cache.exists()
    assert all(files_after[path] == content for path, content in files_before.items() if path in files_after)


def test_a_wrong_password_or_a_rollback_deletes_nothing(make_user, fill_account, password):
    me = make_user()
    mine = fill_account(me)
    stored = document_path(get_settings(), mine.document.storage_name)
    with pytest.raises(InvalidInput) as caught, session_scope() as session:
        delete_account(session=session, user=me, password="not-" + password)
    assert caught.value.code == "account.delete.wrong_password"

    with Session(get_engine(), expire_on_commit=False) as session:
        delete_account(session=session, user=me, password=password)
        session.rollback()
        session.add(Document(owner_id=me.id, filename="later.txt", storage_name=uuid.uuid4().hex,
                             media_type="text/plain", size_bytes=1, sha256="0" * 64))
        session.commit()  # a later commit of the same session does not run the rolled-back deletion's removals
    with session_scope() as session:
        assert session.get(User, me.id) is not None
        assert session.get(Document, mine.document.id) is not None
    assert stored.read_bytes() == mine.document_bytes


def test_the_last_active_superadmin_cannot_delete_their_account(make_user, password, call):
    boss = make_user(role=Role.SUPERADMIN)
    make_user(role=Role.SUPERADMIN, active=False)
    with pytest.raises(Conflict) as caught:
        call(delete_account, user=boss, password=password)
    assert caught.value.code == "account.delete.last_superadmin"
    assert call(lambda session: session.get(User, boss.id)) is not None

    make_user(role=Role.SUPERADMIN)
    call(delete_account, user=boss, password=password)
    assert call(lambda session: session.get(User, boss.id)) is None


def test_a_running_export_is_cancelled_first_and_stores_nothing(make_user, fill_account, password, call):
    me = make_user()
    fill_account(me)
    export = call(request_data_export, user=me)
    started, go_on = threading.Event(), threading.Event()

    def held(job: ReportJob) -> BuiltFile:
        started.set()
        assert go_on.wait(10)
        return build_data_export(job)

    reports = jobs.reports_dir(get_settings())
    stored_before = {path.name for path in reports.iterdir()}
    outcome: list[str | None] = []
    worker = threading.Thread(target=lambda: outcome.append(jobs.run_report(export.id, {"data_export": held})))
    worker.start()
    assert started.wait(10)
    call(delete_account, user=me, password=password)
    go_on.set()
    worker.join(10)
    assert outcome == ["cancelled"]
    assert {path.name for path in reports.iterdir()} <= stored_before


def test_an_ingestion_running_while_the_account_is_deleted_gives_up_and_stores_nothing(
        make_user, make_document, password, call):
    me = make_user()
    pdf = SHARED_DATA / "pdfs" / "health" / "WHO_EMRO_Healthy-diet_2019.pdf"
    document = make_document(me, filename="diet.pdf", content=pdf, media_type="application/pdf", status="pending")
    outcome: list[str | None] = []
    worker = threading.Thread(target=lambda: outcome.append(ingest.run_job(document.id)))
    worker.start()
    deadline = time.monotonic() + 60
    while call(lambda session: session.get_one(Document, document.id).stage) != "embedding":
        assert time.monotonic() < deadline, "the ingestion never reached its embedding stage"
        time.sleep(0.05)
    call(delete_account, user=me, password=password)
    worker.join(120)
    assert not worker.is_alive() and outcome == [None]  # the job was lost: nothing written
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Chunk).where(Chunk.owner_id == me.id)) == 0
    assert not document_path(get_settings(), document.storage_name).exists()

"""Export my data: the zip holds every entity of the user, their uploaded file byte for byte and their report
PDF, a README, and nothing of another user nor any secret; asking twice is one job; the export expires in 24 h."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta

from sqlmodel import select

from assistant.core.db import session_scope
from assistant.models import AuthSession, OneTimeCode, Report, ReportStatus, User
from assistant.models.base import utcnow
from assistant.services.account.export import (
    ACCOUNT_FIELDS,
    ENTITIES,
    build_data_export,
    request_data_export,
    safe_name,
)
from assistant.services.reports import jobs


def _secrets(user: User) -> list[str]:
    with session_scope() as session:
        hashes = [row.refresh_token_hash for row in session.exec(select(AuthSession).where(
            AuthSession.user_id == user.id))]
        hashes += [row.code_hash for row in session.exec(select(OneTimeCode).where(OneTimeCode.user_id == user.id))]
        hashes += [str(row.id) for row in session.exec(select(AuthSession).where(AuthSession.user_id == user.id))]
        hashes.append(session.get_one(User, user.id).password_hash)
    return hashes


def test_the_export_holds_everything_of_the_user_and_nothing_of_anyone_else(make_user, fill_account, call):
    me = make_user(email="me@example.com", display_name="Anna Me")
    other = make_user(email="other@example.com", display_name="Boris Other")
    mine, theirs = fill_account(me, telegram_chat=1001), fill_account(other, telegram_chat=731900452)

    export = call(request_data_export, user=me)
    assert call(request_data_export, user=me).id == export.id  # asked twice: one job
    assert (export.kind, export.title, export.status) == ("data_export", "My data", ReportStatus.QUEUED)
    assert jobs.run_report(export.id, {"data_export": build_data_export}) == ReportStatus.COMPLETED
    stored = call(jobs.get_report, user=me, report_id=export.id)
    assert stored.expires_at is not None and timedelta(hours=23) < stored.expires_at - utcnow() <= timedelta(hours=24)
    path, name, media_type = call(jobs.report_file, user=me, report_id=export.id)
    assert media_type == "application/zip" and name.endswith(".zip")

    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        everything = b"\n".join(archive.read(item) for item in sorted(names)).decode("utf-8", "replace")
        data = {item.removesuffix(".json"): json.loads(archive.read(item)) for item in names if item.endswith(".json")}
        assert "documents.json" in names and "README.txt" in names
        assert names >= {f"{entity}.json" for entity in ENTITIES} | {"account.json", "reports.json"}
        document_file = data["documents"][0]["file"]
        assert document_file.startswith("documents/Diary ") and "/" not in document_file.removeprefix("documents/")
        assert archive.read(document_file) == mine.document_bytes
        report_rows = {row["id"]: row for row in data["reports"]}
        assert archive.read(report_rows[str(mine.report.id)]["file"]) == mine.report_bytes
        assert report_rows[str(export.id)]["file"] is None  # an export does not hold itself

    assert data["account"]["email"] == "me@example.com" and set(data["account"]) == set(ACCOUNT_FIELDS)
    assert "password_hash" not in ACCOUNT_FIELDS and "id" not in data["login_sessions"][0]
    for entity in ENTITIES:
        assert data[entity], f"{entity}.json is empty"
    assert [row["content"] for row in data["memories"]] == [f"Takes 5 mg of ramipril, {mine.marker}",
                                                             f"Takes 10 mg of ramipril, {mine.marker}"]
    assert data["memories"][0]["status"] == "superseded" and data["memories"][0]["superseded_by"] == \
        data["memories"][1]["id"]
    messages = data["messages"]
    assert [row["role"] for row in messages] == ["user", "assistant", "tool", "assistant"]
    assert messages[1]["tool_calls"][0]["name"] == "search_documents"
    assert messages[3]["citations"][0]["document_id"] == str(mine.document.id)
    assert data["telegram_link"][0]["chat_id"] == 1001
    assert data["delivery_preferences"][0]["quiet_start"] == "22:00:00"
    assert data["collection_grants"][0]["collection_name"] == mine.collection.name
    assert mine.marker in everything

    for foreign in (theirs.marker, "other@example.com", "Boris Other", str(other.id), str(theirs.chat.id),
                    str(theirs.document.id), str(theirs.report.id), "731900452"):
        assert foreign not in everything, foreign
    for secret in _secrets(me):
        assert secret not in everything


def test_a_file_gone_from_disk_is_listed_without_a_file_and_names_are_made_unique(make_user, make_document, call):
    me = make_user()
    first = make_document(me, filename="scan.pdf", content=b"%PDF first", media_type="application/pdf")
    second = make_document(me, filename="SCAN.pdf", content=b"%PDF second", media_type="application/pdf")
    gone = make_document(me, filename="gone.txt")  # its stored file was never written
    export = call(request_data_export, user=me)
    assert jobs.run_report(export.id, {"data_export": build_data_export}) == ReportStatus.COMPLETED
    path, _, _ = call(jobs.report_file, user=me, report_id=export.id)
    with zipfile.ZipFile(path) as archive:
        rows = {row["id"]: row["file"] for row in json.loads(archive.read("documents.json"))}
        assert archive.read(rows[str(first.id)]) == b"%PDF first"
        assert archive.read(rows[str(second.id)]) == b"%PDF second"
    assert sorted(file for file in rows.values() if file) == ["documents/SCAN (2).pdf", "documents/scan.pdf"]
    assert rows[str(gone.id)] is None
    assert safe_name("../../etc/passwd", set()) == "_.._etc_passwd"
    assert safe_name("", set()) == "file"


def test_an_export_deleted_while_it_is_built_stores_nothing(make_user, call):
    me = make_user()
    export = call(request_data_export, user=me)
    call(jobs.delete_report, user=me, report_id=export.id)
    assert jobs.run_report(export.id, {"data_export": build_data_export}) is None
    assert call(lambda session: session.exec(select(Report)).all()) == []

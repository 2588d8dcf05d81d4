"""The Reports page and a chat's report card (on the real database, no browser): the form queues a health summary
(a refused period or no section is explained in the form, nothing queued); the row shows its status, then once
built its pages and size and Download (a ticket URL of the file route); a data export says until when it is
available; Delete removes the row and its file; another user's tab sending the page's events with A's report id
gets the answer of a random id and A's report stays. A ``generate_pdf`` result in a chat shows the report's card,
which follows the row (queued, then ready with Download). A ``report`` event of the bus reloads the page and
announces a ready report by its title (read for the tab's user: another user's id announces nothing)."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
import reflex as rx
from support.states import open_tab

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.models import Message, Report, ReportKind
from assistant.services.chat import chats
from assistant.services.reports import jobs
from assistant.services.reports.health import SECTIONS, build_health_summary, request_health_summary
from assistant.services.reports.jobs import BuiltFile, ReportJob
from assistant.ui.state.chat import ChatState
from assistant.ui.state.live import LiveState
from assistant.ui.state.reports import ReportsState

BUILDERS = {"health_summary": build_health_summary}


@pytest.fixture(autouse=True)
def _no_report_files_left(db):
    """The reports built here leave no file behind (the rows go with the tables after each test; later tests
    check that the reports folder holds only their own files)."""
    yield
    folder = jobs.reports_dir(get_settings())
    for path in folder.iterdir() if folder.is_dir() else []:
        if path.is_file():
            path.unlink()


def _reaction(result: Any) -> str:
    return re.sub(r" at 0x[0-9a-f]+", "", str(result))


def _form(**fields: str) -> dict[str, Any]:
    return {**{f"section_{name}": "on" for name in SECTIONS}, "date_from": "", "date_to": "", "title": "", **fields}


def test_the_page_queues_lists_downloads_and_deletes_reports(make_user, sign_in, call):
    user = make_user()
    page = open_tab(ReportsState, sign_in(user.email))
    asyncio.run(page.load())
    assert page.rows == []

    asyncio.run(page.create(_form(date_from="2026-05-01", date_to="2026-04-01")))
    assert page.form_error == "The start date must not be after the end date."
    asyncio.run(page.create({"title": "Nothing chosen"}))
    assert page.form_error.startswith("Choose one or more of these sections")
    assert page.rows == [] and call(jobs.list_reports, user=user) == []

    queued = _reaction(asyncio.run(page.create(_form(section_tasks="", title="For Dr. Weiß", date_from="2026-01-01"))))
    assert "being built" in queued and page.form_error == ""
    [row] = page.rows
    assert (row["title"], row["kind_text"], row["status"], row["status_text"], row["open"], row["ready"]) == (
        "For Dr. Weiß", "Health summary", "queued", "Queued", True, False)
    report = call(jobs.get_report, user=user, report_id=uuid.UUID(row["id"]))
    assert "tasks" not in report.params["sections"] and report.params["date_from"] == "2026-01-01"

    assert jobs.run_report(report.id, BUILDERS) == "completed"
    asyncio.run(page.load())
    [row] = page.rows
    assert (row["status_text"], row["ready"], row["progress"]) == ("Ready", True, 100)
    assert row["detail"].startswith("1 page · ") and "kB" in row["detail"]
    download = _reaction(asyncio.run(page.download(row["id"])))
    assert f"/api/v1/reports/{report.id}/file?ticket=" in download and "For Dr. Weiß" in download

    path, _, _ = call(jobs.report_file, user=user, report_id=report.id)
    assert "Report deleted." in _reaction(asyncio.run(page.delete(row["id"])))
    assert page.rows == [] and not path.exists()


def test_a_data_export_row_says_until_when_it_is_available(make_user, sign_in, call):
    user = make_user()
    export = call(jobs.request_report, user=user, kind=ReportKind.DATA_EXPORT, title="My data", params={})

    def zip_builder(job: ReportJob) -> BuiltFile:
        path = job.work_dir / "export.zip"
        path.write_bytes(b"PK\x05\x06" + bytes(18))
        return BuiltFile(path=path, media_type="application/zip", extension=".zip", keep_for=timedelta(hours=24))

    assert jobs.run_report(export.id, {"data_export": zip_builder}) == "completed"
    page = open_tab(ReportsState, sign_in(user.email))
    asyncio.run(page.load())
    [row] = page.rows
    assert (row["kind_text"], row["ready"]) == ("Data export", True)
    assert "available until " in row["detail"]


def test_another_users_tab_gets_not_found_and_changes_nothing(make_user, sign_in, call):
    owner, other = make_user(), make_user()
    report = call(request_health_summary, user=owner, sections=["medications"], date_from=None, date_to=None)
    assert jobs.run_report(report.id, BUILDERS) == "completed"
    tab = open_tab(ReportsState, sign_in(other.email))
    asyncio.run(tab.load())
    assert tab.rows == []
    missing = str(uuid.uuid4())
    for name, send in {"download": tab.download, "delete": tab.delete}.items():
        answered = _reaction(asyncio.run(send(str(report.id)))).replace(str(report.id), "<id>")
        random = _reaction(asyncio.run(send(missing))).replace(missing, "<id>")
        assert answered == random and "Report not found." in answered, name
    with session_scope() as session:
        assert session.get(Report, report.id).status == "completed"


def test_the_chat_card_follows_the_report(make_user, sign_in, call):
    user = make_user()
    with session_scope() as session:
        chat = chats.create_chat(session=session, user=user, title="Cardiologist")
    report = call(request_health_summary, user=user, sections=["medications"], date_from=None, date_to=None,
                  title="For my cardiologist", chat_id=chat.id)
    with session_scope() as session:
        session.add(Message(chat_id=chat.id, role="assistant", tool_calls=[
            {"id": "c1", "name": "generate_pdf", "arguments": {}}]))
        session.flush()
        session.add(Message(chat_id=chat.id, role="tool", tool_call_id="c1",
                            content=json.dumps({"result": "queued", "report_id": str(report.id)})))
    tab = open_tab(ChatState, sign_in(user.email))
    with session_scope() as session:
        tab._show_chat(ChatState._chat_view(session, user, chat.id, "en"))

    [card] = [message["report"] for message in tab.messages if message["report_id"]]
    assert (card["title"], card["status"], card["ready"]) == ("For my cardiologist", "queued", False)

    assert jobs.run_report(report.id, BUILDERS) == "completed"
    asyncio.run(tab._refresh_reports())
    [card] = [message["report"] for message in tab.messages if message["report_id"]]
    assert (card["status_text"], card["ready"]) == ("Ready", True)
    assert f"/api/v1/reports/{report.id}/file?ticket=" in _reaction(asyncio.run(tab.download_report(card["id"])))

    call(jobs.delete_report, user=user, report_id=report.id)
    asyncio.run(tab._refresh_reports())
    assert not any(message["report_id"] for message in tab.messages)


def test_a_report_event_reloads_the_page_and_announces_a_ready_report(make_user, sign_in, call):
    user, other = make_user(), make_user()
    report = call(request_health_summary, user=user, sections=["conditions"], date_from=None, date_to=None,
                  title="For Dr. Weiß")
    live = open_tab(LiveState, sign_in(user.email))
    live.router_data = {"pathname": "/reports", "asPath": "/reports"}
    live.router = rx.state.RouterData.from_router_data(live.router_data)
    assert jobs.run_report(report.id, BUILDERS) == "completed"

    event = {"id": str(report.id), "status": "completed", "progress": 100}
    assert asyncio.run(live.receive("report", event, str(other.id))) is None, "another account's event"
    assert "“For Dr. Weiß” is ready." in _reaction(asyncio.run(live.receive("report", event, str(user.id))))
    page = asyncio.run(live.get_state(ReportsState))
    assert [(row["title"], row["ready"]) for row in page.rows] == [("For Dr. Weiß", True)]
    stranger = call(request_health_summary, user=other, sections=["conditions"], date_from=None, date_to=None)
    assert asyncio.run(live.receive("report", {"id": str(stranger.id), "status": "completed"}, str(user.id))) is None

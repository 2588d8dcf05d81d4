"""The assistant asked for a summary calls ``generate_pdf``: a health summary is queued for the user, tied to the
chat (its card shows there), with the sections and title the model chose; a refused request (an unknown section,
a start after the end) queues nothing and tells the model why."""

from __future__ import annotations

import json

import pytest
from support.llm_server import Reply, Turn, openai_events
from support.scripted_model import tool_call

from assistant.models import ReportKind
from assistant.services.chat import chats
from assistant.services.chat.turn_events import ToolActivity
from assistant.services.reports import jobs

pytestmark = pytest.mark.anyio


def text(*pieces: str) -> Reply:
    return Reply(events=openai_events(Turn(text=pieces)))


async def test_the_model_queues_a_health_summary_for_the_chat(make_user, call, openai_online, llm_server, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user)
    llm_server.script(
        tool_call("generate_pdf", {"sections": ["medications", "allergies", "labs"], "date_from": "2026-01-01",
                                   "title": "Summary for my cardiologist"}),
        text("I am compiling it; the card below will offer the PDF in a moment."))

    events = await turn(user=user, chat_id=chat.id, text="Make a one-page summary for my cardiologist")

    called = next(event for event in events if isinstance(event, ToolActivity) and event.name == "generate_pdf")
    assert not called.is_error, called.result
    [report] = call(jobs.list_reports, user=user)
    assert (report.kind, report.status, report.chat_id, report.title) == (
        ReportKind.HEALTH_SUMMARY, "queued", chat.id, "Summary for my cardiologist")
    assert report.params["sections"] == ["medications", "allergies", "labs"]
    assert report.params["date_from"] == "2026-01-01" and report.params["date_to"] is None
    stored = call(chats.list_messages, user=user, chat_id=chat.id).messages
    result = json.loads(next(m.content for m in stored if m.role == "tool"))
    assert result["report_id"] == str(report.id) and result["result"].startswith("queued")


async def test_a_refused_request_queues_nothing(make_user, call, openai_online, llm_server, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user)
    llm_server.script(tool_call("generate_pdf", {"sections": ["horoscope"]}),
                      tool_call("generate_pdf", {"date_from": "2026-05-01", "date_to": "2026-04-01"}),
                      text("Sorry, I could not make it."))

    events = await turn(user=user, chat_id=chat.id, text="A summary please")

    refusals = [event for event in events if isinstance(event, ToolActivity) and event.name == "generate_pdf"
                and event.is_error]
    assert len(refusals) == 2
    assert "Choose one or more of these sections" in refusals[0].result
    assert "start date must not be after the end date" in refusals[1].result
    assert call(jobs.list_reports, user=user) == []

"""Medication reminders set up from a prescription in a chat: a real PDF rendered with WeasyPrint and ingested
for real; the loopback model searches it and calls ``propose_reminders``. The proposal waits for the user
(nothing scheduled); confirming creates the reminders with the prescription's page as their source and
remembers the medicine; rejecting creates nothing; impossible schedules, pages outside the document and
another user's document are refused to the model with nothing stored."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select
from support.llm_server import Reply, Request, Turn, openai_events
from support.prescription import ingested_prescription
from support.scripted_model import tool_call

from assistant.core.db import session_scope
from assistant.models import MemoryEntry, Reminder, ReminderProposal
from assistant.services.chat import chats
from assistant.services.chat.turn_events import ToolActivity
from assistant.services.scheduler import proposals

pytestmark = pytest.mark.anyio

@pytest.fixture
def prescription(db):
    """``prescription(owner)``: :data:`support.prescription.PRESCRIPTION`, ingested for ``owner``."""
    return ingested_prescription


def text(*pieces: str) -> Reply:
    return Reply(events=openai_events(Turn(text=pieces)))


def count(model) -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def activity(events, name: str) -> ToolActivity:
    return next(event for event in events if isinstance(event, ToolActivity) and event.name == name)


def amoxicillin(first_day: str, **fields) -> dict:
    return {"drug": "Amoxicillin", "dose": "500 mg", "times": ["08:00", "14:00", "20:00"], "start": first_day,
            "days": 7, "page": 2, **fields}


async def test_the_model_reads_the_prescription_and_proposes_reminders_the_user_confirms(
        make_user, call, openai_online, llm_server, turn, prescription):
    user = make_user()
    document = prescription(user)
    assert document.page_count == 2
    chat = call(chats.create_chat, user=user)
    start = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    llm_server.script(
        tool_call("search_documents", {"query": "prescription dose times a day"}),
        tool_call("propose_reminders", {"document_id": str(document.id), "items": [
            amoxicillin(start),
            {"drug": "Vitamin D3", "dose": "1000 IU", "times": ["09:00"], "start": start, "days": 90, "page": 2,
             "note": "every morning"}]}),
        text("I propose two reminders; please check and confirm them on the card."),
    )

    events = await turn(user=user, chat_id=chat.id, text="Set up reminders from my prescription")

    found = json.loads(next(m.content for m in call(chats.list_messages, user=user, chat_id=chat.id).messages
                            if m.role == "tool" and "citation" in m.content))
    assert any(result["page"] == 2 and "Amoxicillin 500 mg" in result["text"] for result in found["results"])
    proposed = activity(events, "propose_reminders")
    assert not proposed.is_error, proposed.result
    stored = call(chats.list_messages, user=user, chat_id=chat.id).messages
    result = json.loads(next(m.content for m in stored if m.role == "tool" and "proposal_id" in m.content))
    assert "Nothing is scheduled until they confirm" in result["result"]
    with session_scope() as session:
        proposal = session.get(ReminderProposal, uuid.UUID(result["proposal_id"]))
        assert (proposal.user_id, proposal.chat_id, proposal.document_id, proposal.status) == (
            user.id, chat.id, document.id, "proposed")
        assert [(row["drug"], row["times"], row["page"]) for row in proposal.items] == [
            ("Amoxicillin", ["08:00", "14:00", "20:00"], 2), ("Vitamin D3", ["09:00"], 2)]
    assert count(Reminder) == 0, "nothing is scheduled before the user confirms"

    created = call(proposals.confirm, user=user, proposal_id=proposal.id)

    with session_scope() as session:
        rows = [session.get(Reminder, reminder.id) for reminder in created]
        assert [(row.title, row.kind, row.source_document_id, row.source_page) for row in rows] == [
            ("Amoxicillin 500 mg", "medication", document.id, 2), ("Vitamin D3 1000 IU", "medication", document.id, 2)]
        facts = session.exec(select(MemoryEntry)).all()
        assert {(fact.category, fact.source_document_id, fact.source_page) for fact in facts} == {
            ("medication", document.id, 2)}
        assert len(facts) == 2


async def test_a_cited_passage_names_the_document_and_its_page(make_user, call, openai_online, llm_server, turn,
                                                                prescription):
    """In a chat the model knows passages, not document ids: ``citation`` gives the document and the page."""
    user = make_user()
    document = prescription(user)
    chat = call(chats.create_chat, user=user)
    start = datetime.now(UTC).date().isoformat()

    def respond(request: Request) -> Reply:
        if "tools" not in request.body:
            return text("Prescription")
        results = [message for message in request.body["messages"] if message["role"] == "tool"]
        if len(results) == 1:  # the search's passages: cite the one on page 2
            passages = json.loads(results[0]["content"])["results"]
            number = next(passage["citation"] for passage in passages if passage["page"] == 2)
            return tool_call("propose_reminders", {"items": [amoxicillin(start, page=None, citation=number)]})
        return text("Please confirm the card.")

    llm_server.script(tool_call("search_documents", {"query": "amoxicillin dose"}))
    llm_server.respond_with(respond)

    await turn(user=user, chat_id=chat.id, text="Set up reminders from my prescription")

    with session_scope() as session:
        [proposal] = session.exec(select(ReminderProposal)).all()
        assert (proposal.document_id, proposal.items[0]["page"]) == (document.id, 2)


async def test_a_rejected_proposal_schedules_nothing(make_user, call, openai_online, llm_server, turn, prescription):
    user = make_user()
    document = prescription(user)
    chat = call(chats.create_chat, user=user)
    start = datetime.now(UTC).date().isoformat()
    llm_server.script(tool_call("propose_reminders", {"document_id": str(document.id), "items": [amoxicillin(start)]}),
                      text("Please confirm."))

    await turn(user=user, chat_id=chat.id, text="Set up reminders from my prescription")
    stored = call(chats.list_messages, user=user, chat_id=chat.id).messages
    proposal_id = uuid.UUID(json.loads(next(m.content for m in stored if "proposal_id" in m.content))["proposal_id"])

    call(proposals.reject, user=user, proposal_id=proposal_id)
    assert count(Reminder) == 0 and count(MemoryEntry) == 0


@pytest.mark.parametrize(("item", "message"), [
    ({"times": [f"{hour:02d}:00" for hour in range(24)] + ["12:30"]},
     "Row 1: 25 times a day is not a possible dose schedule; at most 24 times a day."),
    ({"start": "2030-05-10", "end": "2030-05-01", "days": None},
     "Row 1: the end (2030-05-01) is before the start (2030-05-10)."),
    ({"page": 3}, "Row 1: page 3 is not in this document (2 pages)."),
])
async def test_impossible_schedules_are_refused_to_the_model_and_nothing_is_stored(
        make_user, call, openai_online, llm_server, turn, prescription, item, message):
    user = make_user()
    document = prescription(user)
    chat = call(chats.create_chat, user=user)
    start = datetime.now(UTC).date().isoformat()
    llm_server.script(tool_call("propose_reminders", {"document_id": str(document.id),
                                                      "items": [amoxicillin(start, **item)]}),
                      text("That schedule is impossible."))

    events = await turn(user=user, chat_id=chat.id, text="Set up reminders from my prescription")

    refused = activity(events, "propose_reminders")
    assert (refused.is_error, refused.result) == (True, message)
    assert count(ReminderProposal) == 0 and count(Reminder) == 0


async def test_another_users_document_is_not_found(make_user, call, openai_online, llm_server, turn, prescription):
    owner, other = make_user(), make_user()
    document = prescription(owner)
    chat = call(chats.create_chat, user=other)
    start = datetime.now(UTC).date().isoformat()
    llm_server.script(tool_call("propose_reminders", {"document_id": str(document.id), "items": [amoxicillin(start)]}),
                      text("I cannot see that document."))

    events = await turn(user=other, chat_id=chat.id, text="Set up reminders from that prescription")

    refused = activity(events, "propose_reminders")
    assert (refused.is_error, refused.result) == (True, "Document not found.")
    assert count(ReminderProposal) == 0

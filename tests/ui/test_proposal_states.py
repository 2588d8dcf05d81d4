"""The chat's card of proposed medication reminders and the document page's "Propose reminders" (on the real
database, no browser): the card is read from the proposal row with each row's source page linked; the user's
tab edits a row (an impossible schedule is explained in the form, nothing changes), removes one, confirms
(the card lists the reminders); another user's tab sending the card's events with A's proposal id gets the
answer of a random id and A's proposal stays as it was; the document page's button is absent without a model
and opens a chat that asks for the proposal with one."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support.states import open_tab

from assistant.core.db import session_scope
from assistant.models import Document, Message, Reminder, ReminderProposal
from assistant.services.chat import chats
from assistant.services.scheduler import proposals
from assistant.ui.state.chat import ChatState
from assistant.ui.state.proposals import DocumentProposalState, request_message


def _reaction(result: Any) -> str:
    return re.sub(r" at 0x[0-9a-f]+", "", str(result))


@pytest.fixture
def proposed(make_user, make_document):
    """A user, their chat holding a ``propose_reminders`` result of a two-row proposal from their
    three-page prescription, and the proposal."""
    user = make_user()
    document = make_document(user, filename="prescription.pdf", media_type="application/pdf")
    start = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    with session_scope() as session:
        session.get(Document, document.id).page_count = 3
    with session_scope() as session:
        chat = chats.create_chat(session=session, user=user, title="Prescription")
        proposal = proposals.propose(session=session, user=user, chat_id=chat.id, document_id=document.id, items=[
            {"drug": "Amoxicillin", "dose": "500 mg", "times": ["08:00", "20:00"], "start": start, "days": 7,
             "page": 2},
            {"drug": "Vitamin D3", "dose": "1000 IU", "times": ["09:00"], "start": start, "page": 3}])
        session.add(Message(chat_id=chat.id, role="assistant", tool_calls=[
            {"id": "c1", "name": "propose_reminders", "arguments": {}}]))
        session.flush()
        session.add(Message(chat_id=chat.id, role="tool", tool_call_id="c1",
                            content=json.dumps({"result": "proposed", "proposal_id": str(proposal.id)})))
    return user, chat, document, proposal


def _open(state: Any, user, chat_id) -> None:
    with session_scope() as session:
        state._show_chat(ChatState._chat_view(session, user, chat_id, "en"))


def _card(state: Any) -> dict[str, Any]:
    return next(message["proposal"] for message in state.messages if message["proposal_id"])


def test_the_user_edits_removes_and_confirms_on_the_card(proposed, sign_in):
    user, chat, document, proposal = proposed
    tab = open_tab(ChatState, sign_in(user.email))
    _open(tab, user, chat.id)

    card = _card(tab)
    assert (card["proposal_id"], card["status"], card["pending"], card["can_remove"]) == (
        str(proposal.id), "proposed", True, True)
    assert card["title"] == "Proposed medication reminders from prescription.pdf"
    assert [(row["drug"], row["dose"], row["times"], row["page"], row["href"]) for row in card["rows"]] == [
        ("Amoxicillin", "500 mg", "08:00, 20:00", "2", f"/documents/{document.id}?page=2"),
        ("Vitamin D3", "1000 IU", "09:00", "3", f"/documents/{document.id}?page=3")]

    key = card["rows"][0]["key"]
    tab.edit_proposal_row(key)
    row = card["rows"][0]
    asyncio.run(tab.save_proposal_row({**row, "times": ", ".join(f"{hour:02d}:00" for hour in range(24)) + ", 12:30"}))
    assert tab.proposal_error == "Row 1: 25 times a day is not a possible dose schedule; at most 24 times a day."
    assert tab.proposal_edit == key
    asyncio.run(tab.save_proposal_row({**row, "end": "2020-01-01"}))
    assert tab.proposal_error.startswith("Row 1: the end (2020-01-01) is before the start")
    with session_scope() as session:
        assert session.get(ReminderProposal, proposal.id).items == proposal.items, "a refused edit changes nothing"

    asyncio.run(tab.save_proposal_row({**row, "dose": "750 mg", "times": "07:00, 19:00"}))
    assert (tab.proposal_edit, tab.proposal_error) == ("", "")
    assert (_card(tab)["rows"][0]["dose"], _card(tab)["rows"][0]["times"]) == ("750 mg", "07:00, 19:00")

    asyncio.run(tab.remove_proposal_row(_card(tab)["rows"][1]["key"]))
    assert [row["drug"] for row in _card(tab)["rows"]] == ["Amoxicillin"] and not _card(tab)["can_remove"]

    assert "Confirmed: 1 reminder created." in _reaction(asyncio.run(tab.confirm_proposal(str(proposal.id))))
    card = _card(tab)
    assert (card["status"], card["pending"], card["outcome"]) == ("confirmed", False, "Confirmed: 1 reminder created.")
    assert [reminder["title"] for reminder in card["reminders"]] == ["Amoxicillin 750 mg"]
    assert card["reminders"][0]["next"].startswith("next: ")
    with session_scope() as session:
        [reminder] = session.query(Reminder).all()
        assert (reminder.source_document_id, reminder.source_page) == (document.id, 2)

    again = _reaction(asyncio.run(tab.confirm_proposal(str(proposal.id))))
    assert "already confirmed" in again
    with session_scope() as session:
        assert session.query(Reminder).count() == 1


def test_reject_on_the_card_schedules_nothing(proposed, sign_in):
    user, chat, _, proposal = proposed
    tab = open_tab(ChatState, sign_in(user.email))
    _open(tab, user, chat.id)

    asyncio.run(tab.reject_proposal(str(proposal.id)))

    assert (_card(tab)["status"], _card(tab)["outcome"]) == ("rejected", "Rejected: nothing was scheduled.")
    with session_scope() as session:
        assert session.query(Reminder).count() == 0


def test_another_users_tab_sending_the_cards_events_gets_not_found_and_changes_nothing(proposed, make_user,
                                                                                       sign_in):
    user, chat, _, proposal = proposed
    other = make_user()
    tab = open_tab(ChatState, sign_in(other.email))
    with session_scope() as session:
        assert ChatState._chat_view(session, other, chats.create_chat(session=session, user=other).id,
                                    "en")["messages"] == []
    missing = str(uuid.uuid4())
    attempts = {
        "confirm": lambda some: tab.confirm_proposal(some),
        "reject": lambda some: tab.reject_proposal(some),
        "remove": lambda some: tab.remove_proposal_row(f"{some}:0"),
    }
    for name, send in attempts.items():
        answered = _reaction(asyncio.run(send(str(proposal.id)))).replace(str(proposal.id), "<id>")
        random = _reaction(asyncio.run(send(missing))).replace(missing, "<id>")
        assert answered == random and "not found" in answered, name
    tab.edit_proposal_row(f"{proposal.id}:0")
    asyncio.run(tab.save_proposal_row({"drug": "Poison", "dose": "1 kg", "times": "08:00", "start": "", "end": ""}))
    with session_scope() as session:
        stored = session.get(ReminderProposal, proposal.id)
        assert (stored.status, stored.items) == ("proposed", proposal.items)
        assert session.query(Reminder).count() == 0


def test_the_document_pages_button_is_absent_without_a_model(proposed, sign_in):
    user, _, document, _ = proposed
    page = open_tab(DocumentProposalState, sign_in(user.email))

    asyncio.run(page.check())
    assert (page.proposals_ready, page.proposals_missing) == (False, True)
    refused = _reaction(asyncio.run(page.start(str(document.id))))
    assert "No language model is configured" in refused


def test_with_a_model_the_button_opens_a_chat_that_asks_for_the_proposal(proposed, make_user, sign_in, configure):
    user, _, document, _ = proposed
    configure(openai_api_key="sk-loopback", openai_base_url="http://127.0.0.1:9/v1")
    page = open_tab(DocumentProposalState, sign_in(user.email))

    asyncio.run(page.check())
    assert (page.proposals_ready, page.proposals_missing) == (True, False)
    redirect = _reaction(asyncio.run(page.start(str(document.id))))
    chat_id = re.search(r"/chats/([0-9a-f-]{36})\?propose=" + str(document.id), redirect).group(1)

    with session_scope() as session:
        asked = request_message(session, user, document.id, "en", [])
        assert asked.startswith("Set up my medication reminders from the document “prescription.pdf” "
                                f"(document id {document.id})")
        assert request_message(session, user, document.id, "en", [{"id": "x"}]) == "", "only in a new chat"
        assert chats.get_chat(session=session, user=user, chat_id=uuid.UUID(chat_id)).user_id == user.id
        stranger = make_user()
        assert request_message(session, stranger, document.id, "en", []) == ""
    assert "not found" in _reaction(asyncio.run(page.start(str(uuid.uuid4()))))

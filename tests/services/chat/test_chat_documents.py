"""Answers from the user's documents: the excerpts of the context come from real hybrid search, the
``search_documents`` tool returns numbered passages, answers store the passages they cite (document,
page, chunk, score), and one user's passages never reach another user's answer."""

from __future__ import annotations

import json

import pytest
from support.llm_server import Reply, ToolUse, Turn

from assistant.core.db import session_scope
from assistant.core.i18n import translate
from assistant.services.chat import chats
from assistant.services.chat.citations import SourceLedger, cited_numbers
from assistant.services.chat.context import Excerpt
from assistant.services.chat.turn_events import AnswerDelta, ToolActivity
from assistant.services.rag import embeddings
from assistant.services.rag.index import NewChunk, store_chunks

pytestmark = pytest.mark.anyio

LAB_PAGES = [
    "Patient: Anna Smith. Sample collected 12 March 2024 at the city clinic laboratory.",
    "Lipid panel: LDL cholesterol 4.2 mmol/L, flagged high; HDL cholesterol 1.1 mmol/L; triglycerides 1.9 mmol/L.",
    "Thyroid panel: TSH 2.1 mIU/L within the reference range. Vitamin D 48 nmol/L, slightly low.",
]


@pytest.fixture
def lab_report(make_document):
    """``lab_report(owner)``: a completed document "lab-2024.pdf" whose pages 1-3 are :data:`LAB_PAGES`."""

    def _make(owner):
        document = make_document(owner, filename="lab-2024.pdf")
        vectors = embeddings.embed_passages(LAB_PAGES)
        with session_scope() as session:
            store_chunks(session=session, document=document, chunks=[
                NewChunk(ord=i, page=i + 1, heading_path="", text=text, token_count=len(text.split()), embedding=v)
                for i, (text, v) in enumerate(zip(LAB_PAGES, vectors, strict=True))
            ])
            session.get(type(document), document.id).chunk_count = len(LAB_PAGES)
        return document

    return _make


def answer_text(events) -> str:
    return "".join(event.text for event in events if isinstance(event, AnswerDelta))


def last_answer(call, user, chat_id):
    return call(chats.list_messages, user=user, chat_id=chat_id).messages[-1]


async def test_offline_the_answer_quotes_and_cites_the_page_that_holds_the_answer(make_user, call, turn, lab_report):
    user = make_user()
    document = lab_report(user)
    chat = call(chats.create_chat, user=user)

    events = await turn(user=user, chat_id=chat.id, text="What was my LDL cholesterol?")

    text = answer_text(events)
    assert "[1] lab-2024.pdf, p. 2: Lipid panel: LDL cholesterol 4.2 mmol/L" in text
    citations = last_answer(call, user, chat.id).citations
    assert citations[0]["number"] == 1
    assert (citations[0]["document_id"], citations[0]["title"], citations[0]["page"]) == (str(document.id),
                                                                                           "lab-2024.pdf", 2)
    assert citations[0]["chunk_id"] and citations[0]["score"] > 0


async def test_offline_a_question_the_documents_do_not_cover_gets_the_plain_answer(make_user, call, turn,
                                                                                   lab_report):
    user = make_user()
    lab_report(user)
    chat = call(chats.create_chat, user=user)

    events = await turn(user=user, chat_id=chat.id, text="Who won the 1998 football world cup final?")

    assert answer_text(events).startswith(translate("chat.offline.nothing_found", "en"))
    assert last_answer(call, user, chat.id).citations == []


async def test_another_users_documents_are_never_searched(make_user, call, turn, lab_report):
    owner, other = make_user(), make_user()
    lab_report(owner)
    chat = call(chats.create_chat, user=other)

    events = await turn(user=other, chat_id=chat.id, text="What was my LDL cholesterol?")

    assert answer_text(events).startswith(translate("chat.offline.no_documents", "en"))
    assert "4.2" not in answer_text(events)
    assert last_answer(call, other, chat.id).citations == []


async def test_the_model_searches_the_documents_and_its_answer_stores_the_passages_it_cites(
        make_user, call, online, llm_server, turn, lab_report):
    user = make_user()
    document = lab_report(user)
    chat = call(chats.create_chat, user=user, title="Labs", tier=online.tier)
    llm_server.script(
        Reply(events=online.events(Turn(tool_calls=(
            ToolUse("call_docs", "search_documents", ('{"query": "thyroid TSH", "k": 2}',)),)))),
        Reply(events=online.events(Turn(text=("Your TSH was 2.1 mIU/L, within range [6].",)))),
    )

    events = await turn(user=user, chat_id=chat.id, text="How did my lipids look?")

    activity = next(event for event in events if isinstance(event, ToolActivity))
    assert (activity.name, activity.is_error) == ("search_documents", False)
    # the context already held passages 1-5 (the lipid question found all three pages): the tool's
    # passages keep their numbers, so TSH (page 3) is one of 1-3, not 6
    tool_result = json.loads(call(chats.list_messages, user=user, chat_id=chat.id).messages[2].content)
    pages = {result["page"]: result["citation"] for result in tool_result["results"]}
    assert 3 in pages and pages[3] <= 3
    assert "TSH 2.1" in json.dumps(tool_result)
    # [6] was never offered, so the answer cites nothing by marker: it stores what the tool returned
    citations = last_answer(call, user, chat.id).citations
    assert {c["page"] for c in citations} == set(pages)
    assert all(c["document_id"] == str(document.id) for c in citations)


async def test_an_answer_stores_exactly_the_passages_its_text_cites(make_user, call, online, llm_server, turn,
                                                                  lab_report):
    user = make_user()
    lab_report(user)
    chat = call(chats.create_chat, user=user, title="Labs", tier=online.tier)
    llm_server.script(Reply(events=online.events(Turn(text=("LDL was 4.2 mmol/L [1], flagged high [1].",)))))

    await turn(user=user, chat_id=chat.id, text="What was my LDL cholesterol?")

    request = llm_server.requests[0].body
    system = request["system"] if online.name == "anthropic" else request["messages"][0]["content"]
    assert "[1] lab-2024.pdf, p. 2: Lipid panel" in json.dumps(system)
    citations = last_answer(call, user, chat.id).citations
    assert [(c["number"], c["page"]) for c in citations] == [(1, 2)]


async def test_the_tool_finds_nothing_in_another_users_documents(make_user, call, online, llm_server, turn,
                                                                lab_report):
    owner, other = make_user(), make_user()
    lab_report(owner)
    chat = call(chats.create_chat, user=other, title="Mine", tier=online.tier)
    llm_server.script(
        Reply(events=online.events(Turn(tool_calls=(
            ToolUse("call_docs", "search_documents", ('{"query": "LDL cholesterol"}',)),)))),
        Reply(events=online.events(Turn(text=("Nothing there.",)))),
    )

    await turn(user=other, chat_id=chat.id, text="Search my documents for cholesterol")

    result = json.loads(call(chats.list_messages, user=other, chat_id=chat.id).messages[2].content)
    assert result["results"] == [] and "4.2" not in json.dumps(result)
    assert last_answer(call, other, chat.id).citations == []


def test_citation_numbers_are_read_from_single_and_grouped_markers():
    assert cited_numbers("See [1], [2, 4] and [3][5]; not [a] or [12345].") == {1, 2, 3, 4, 5}


def test_a_passage_offered_twice_keeps_its_first_number():
    first = Excerpt("d", "lab.pdf", 1, "c1", 0.03, "one")
    ledger = SourceLedger([first])

    assert ledger.add(Excerpt("d", "lab.pdf", 2, "c2", 0.02, "two"), from_tool=True) == 2
    assert ledger.add(first, from_tool=True) == 1
    assert [c["number"] for c in ledger.cited_by("no markers")] == [1, 2]
    assert [c["number"] for c in ledger.cited_by("only [2] and a stray [9]")] == [2]

"""Offline mode (no provider configured for the chat's tier): the answer is built from the user's documents
without a model, numbered for citation, says plainly that no model is configured, and the chat is titled
from its first message."""

from __future__ import annotations

import pytest

from assistant.core.i18n import translate
from assistant.services.chat import chats
from assistant.services.chat.context import ContextSources, Excerpt
from assistant.services.chat.turn_events import AnswerDelta, TitleChanged, TurnFinished

pytestmark = pytest.mark.anyio

EXCERPTS = [
    Excerpt("doc-lab", "Blood test 2024", 3, "chunk-31", 0.92, "LDL cholesterol 3.1 mmol/L (high)."),
    Excerpt("doc-notes", "Doctor's notes", None, "chunk-7", 0.81, "Recheck lipids in six months."),
]


def answer_text(events) -> str:
    return "".join(event.text for event in events if isinstance(event, AnswerDelta))


async def test_the_offline_answer_lists_the_matching_passages_and_stores_citations(make_user, call, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user)
    queries = []
    sources = ContextSources(excerpts=lambda session, who, query: queries.append((who.id, query)) or EXCERPTS)

    events = await turn(user=user, chat_id=chat.id, text="What was my cholesterol?", sources=sources)

    assert events[0].offline and queries == [(user.id, "What was my cholesterol?")]
    text = answer_text(events)
    assert text.startswith(translate("chat.offline.no_model", "en"))
    assert translate("chat.offline.passages", "en") in text
    first = text.index("[1] Blood test 2024, p. 3: LDL cholesterol 3.1 mmol/L (high).")
    second = text.index("[2] Doctor's notes: Recheck lipids in six months.")
    assert first < second
    assert translate("chat.offline.nothing_found", "en") not in text
    assert translate("chat.offline.how_to_configure", "en") in text
    assert TurnFinished("complete") in events
    answer = call(chats.list_messages, user=user, chat_id=chat.id).messages[-1]
    assert (answer.content, answer.status, answer.provider, answer.model) == (text, "complete", "", "")
    assert answer.citations == [
        {"number": 1, "document_id": "doc-lab", "title": "Blood test 2024", "page": 3, "chunk_id": "chunk-31",
         "score": 0.92},
        {"number": 2, "document_id": "doc-notes", "title": "Doctor's notes", "page": None, "chunk_id": "chunk-7",
         "score": 0.81},
    ]
    record = call(chats.get_message_context, user=user, message_id=answer.id)
    assert [section["kind"] for section in record] == ["preferences", "excerpts", "message"]


async def test_with_no_matching_passage_the_offline_answer_says_so(make_user, call, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user)

    events = await turn(user=user, chat_id=chat.id, text="Anything about my knee?",
                        sources=ContextSources(excerpts=lambda session, who, query: []))

    text = answer_text(events)
    assert text.startswith(translate("chat.offline.nothing_found", "en"))
    assert translate("chat.offline.no_model", "en") in text
    assert "[1]" not in text and translate("chat.offline.passages", "en") not in text
    assert call(chats.list_messages, user=user, chat_id=chat.id).messages[-1].citations == []


async def test_the_offline_answer_is_in_the_users_language(make_user, call, turn):
    from assistant.core.db import session_scope
    from assistant.models import User

    user = make_user()
    with session_scope() as session:
        session.get(User, user.id).language = "ru"
    chat = call(chats.create_chat, user=user)

    events = await turn(user=user, chat_id=chat.id, text="Привет")

    text = answer_text(events)
    assert text.startswith(translate("chat.offline.no_documents", "ru"))  # a new user has no documents
    assert translate("chat.offline.no_model", "ru") in text
    assert translate("chat.offline.no_model", "ru") != translate("chat.offline.no_model", "en")


async def test_a_tier_whose_provider_has_no_key_answers_offline(make_user, call, anthropic_online, llm_server,
                                                                 turn):
    user = make_user()
    chat = call(chats.create_chat, user=user, title="Mixed")  # medium: OpenAI, which has no key here

    events = await turn(user=user, chat_id=chat.id, text="Hello")

    assert events[0].offline and llm_server.requests == []
    assert translate("chat.offline.no_model", "en") in answer_text(events)


@pytest.mark.parametrize(("text", "title"), [
    ("Short question", "Short question"),
    ("  What  should I   eat\nbefore a blood test tomorrow morning?", "What should I eat"),
    ("Please explain the difference between LDL and HDL cholesterol in simple words",
     "Please explain the difference between LDL and HDL…"),
    ("x" * 80, "x" * 60 + "…"),
])
async def test_offline_the_title_is_the_first_line_cut_at_sixty_characters(text, title, make_user, call, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user)

    events = await turn(user=user, chat_id=chat.id, text=text)

    assert events[-1] == TitleChanged(title)
    assert len(title) <= 61
    assert call(chats.get_chat, user=user, chat_id=chat.id).title == title

"""Chat export: every message, citation (document and page), tool call with its result and the model and tokens of
each answer are in the PDF, the Markdown and the JSON file, with times in the user's zone and the PDF in their
language; markup a message names loads nothing; another user's chat is not found; a huge chat is capped with a
note (a PDF sooner than the other formats)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pymupdf
import pytest

from assistant.core.db import session_scope
from assistant.core.errors import InvalidInput, NotFound
from assistant.models import Chat, Message, User
from assistant.services.reports import chat_export
from assistant.services.reports.chat_export import export_chat

#: Tomorrow morning, 09:30 UTC: 12:30 in Moscow.
START = (datetime.now(UTC) + timedelta(days=1)).replace(hour=9, minute=30, second=0, microsecond=0)
QUESTION = "Какой у меня **ферритин**? Ferritin in March"
ANSWER = "Ферритин 35 нг/мл [1]; the guideline's range is 15-150 [2]."


def _russian(user: User) -> User:
    with session_scope() as session:
        row = session.get(User, user.id)
        assert row is not None
        row.language, row.timezone = "ru", "Europe/Moscow"
        session.add(row)
    user.language, user.timezone = "ru", "Europe/Moscow"
    return user


def _chat(user: User, messages: list[dict], title: str = "Анализы / March") -> Chat:
    chat = Chat(user_id=user.id, title=title)
    with session_scope() as session:
        session.add(chat)
        session.flush()
        for number, fields in enumerate(messages):
            session.add(Message(chat_id=chat.id, created_at=START + timedelta(minutes=number), **fields))
            session.flush()
    return chat


@pytest.fixture
def full_chat(make_user, make_document, recording_server):
    """A Russian-speaking user's chat: a question with injected markup, an answer that called a tool, the tool's
    result, an answer citing two documents, and a thank-you; with the loopback server's record."""
    base, requested = recording_server
    user = _russian(make_user())
    lab = make_document(user, filename="Анализы 2026.pdf", media_type="application/pdf")
    guide = make_document(user, filename="guideline.pdf", media_type="application/pdf")
    usage = {"provider": "openai", "model": "gpt-test-mini", "tier": "medium"}
    chat = _chat(user, [
        {"role": "user", "content": f'{QUESTION} <img src="{base}/x"> ![p](file:///etc/passwd) ![i]({base}/md.png)'},
        {"role": "assistant", "content": "", **usage, "input_tokens": 1234, "output_tokens": 21,
         "tool_calls": [{"id": "call-1", "name": "search_documents", "arguments": {"query": "ферритин март"}}]},
        {"role": "tool", "tool_call_id": "call-1", "content": "[1] Анализы 2026.pdf, p. 3: Ферритин 35 нг/мл"},
        {"role": "assistant", "content": ANSWER, **usage, "input_tokens": 2345, "output_tokens": 56, "citations": [
            {"number": 1, "document_id": str(lab.id), "title": lab.filename, "page": 3, "chunk_id": str(uuid.uuid4()),
             "score": 0.03},
            {"number": 2, "document_id": str(guide.id), "title": guide.filename, "page": 12,
             "chunk_id": str(uuid.uuid4()), "score": 0.02}]},
        {"role": "user", "content": "Спасибо! Thanks"},
    ])
    return user, chat, requested


def _export(call, user, chat_id, format):
    return call(export_chat, user=user, chat_id=chat_id, format=format)


def test_json_holds_every_message_citation_tool_call_and_usage_in_a_stable_shape(call, full_chat):
    user, chat, _ = full_chat

    exported = _export(call, user, chat.id, "json")
    data = json.loads(exported.data)

    assert exported.media_type == "application/json" and exported.filename == "Анализы-March.json"
    assert (data["schema"], data["schema_version"], data["timezone"]) == ("assistant.chat-export", 1, "Europe/Moscow")
    assert data["chat"]["id"] == str(chat.id) and data["chat"]["title"] == "Анализы / March"
    assert (data["message_count"], data["exported_message_count"], data["omitted_message_count"]) == (5, 5, 0)
    assert data["usage"] == {"input_tokens": 3579, "output_tokens": 77}
    messages = data["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "assistant", "user"]  # the tool result is folded
    assert messages[0]["text"].startswith(QUESTION)
    assert messages[0]["created_at"] == START.astimezone(ZoneInfo("Europe/Moscow")).isoformat()
    assert messages[1]["tool_calls"] == [{"id": "call-1", "name": "search_documents",
                                         "arguments": {"query": "ферритин март"}, "is_error": False,
                                         "result": "[1] Анализы 2026.pdf, p. 3: Ферритин 35 нг/мл"}]
    assert messages[1]["usage"] == {"provider": "openai", "model": "gpt-test-mini", "tier": "medium",
                                    "input_tokens": 1234, "output_tokens": 21, "latency_ms": 0}
    assert messages[2]["text"] == ANSWER
    assert [(c["number"], c["document"], c["page"]) for c in messages[2]["citations"]] == [
        (1, "Анализы 2026.pdf", 3), (2, "guideline.pdf", 12)]
    assert messages[0]["usage"] is None and messages[3]["text"] == "Спасибо! Thanks"


def test_markdown_reads_as_a_transcript_with_citations_as_footnotes(call, full_chat):
    user, chat, _ = full_chat

    exported = _export(call, user, chat.id, "md")
    text = exported.data.decode()

    assert exported.media_type.startswith("text/markdown") and exported.filename.endswith(".md")
    assert text.startswith("# Анализы / March\n")
    assert QUESTION in text and ANSWER in text and "Спасибо! Thanks" in text
    assert text.index(QUESTION) < text.index("search_documents") < text.index(ANSWER) < text.index("Спасибо!")
    assert "[1] Анализы 2026.pdf, с. 3" in text and "[2] guideline.pdf, с. 12" in text
    assert "Вызов инструмента: search_documents" in text and '"query": "ферритин март"' in text
    assert "Ферритин 35 нг/мл" in text and "gpt-test-mini: 2\xa0345 токенов на входе, 56 на выходе" in text
    assert "### Вы · " in text and "12:30" in text  # the user's zone


def test_pdf_in_the_users_language_with_cyrillic_footnotes_and_nothing_fetched(call, full_chat):
    user, chat, requested = full_chat

    exported = _export(call, user, chat.id, "pdf")

    assert exported.media_type == "application/pdf" and exported.data.startswith(b"%PDF")
    with pymupdf.open(stream=exported.data, filetype="pdf") as pdf:
        text = " ".join(page.get_text() for page in pdf).replace("\n", " ")
    assert "Какой у меня ферритин? Ferritin in March" in text  # Markdown rendered, not shown raw
    assert "**" not in text
    assert "Ферритин 35 нг/мл [1]" in text and "Спасибо! Thanks" in text
    assert "[1] Анализы 2026.pdf, с. 3" in text and "[2] guideline.pdf, с. 12" in text
    assert "Вызов инструмента: search_documents" in text and "ферритин март" in text
    assert "gpt-test-mini: 1\xa0234 токенов на входе, 21 на выходе" in text
    assert "Ассистент" in text and "Выгрузка чата" in text
    assert requested == [] and "root:" not in text


def test_another_users_chat_is_not_found_like_a_missing_one(call, full_chat, make_user):
    _, chat, _ = full_chat
    stranger = make_user()

    for chat_id in (chat.id, uuid.uuid4()):
        for format in ("json", "md", "pdf"):
            with pytest.raises(NotFound) as refused:
                _export(call, stranger, chat_id, format)
            assert refused.value.code == "chat.not_found"
    with pytest.raises(NotFound):
        call(chat_export.export_ticket, user=stranger, chat_id=chat.id, login_session_id=uuid.uuid4(), format="md")
    owner_ticket = call(chat_export.export_ticket, user=full_chat[0], chat_id=chat.id, login_session_id=uuid.uuid4(),
                        format="pdf")
    assert owner_ticket[1] == "Анализы-March.pdf"
    with pytest.raises(InvalidInput):
        _export(call, full_chat[0], chat.id, "docx")


def test_a_chat_over_the_caps_exports_its_first_messages_and_says_how_many_were_left_out(call, make_user,
                                                                                         monkeypatch):
    monkeypatch.setattr(chat_export, "MAX_MESSAGES", 5)
    monkeypatch.setattr(chat_export, "MAX_PDF_MESSAGES", 4)
    monkeypatch.setattr(chat_export, "BATCH_SIZE", 2)
    user = make_user()
    chat = _chat(user, [{"role": "user" if n % 2 == 0 else "assistant", "content": f"message number {n}"}
                        for n in range(8)], title="Long")

    data = json.loads(_export(call, user, chat.id, "json").data)
    markdown = _export(call, user, chat.id, "md").data.decode()
    with pymupdf.open(stream=_export(call, user, chat.id, "pdf").data, filetype="pdf") as pdf:
        printed = " ".join(page.get_text() for page in pdf).replace("\n", " ")

    assert [m["text"] for m in data["messages"]] == [f"message number {n}" for n in range(5)]
    assert (data["message_count"], data["exported_message_count"], data["omitted_message_count"]) == (8, 5, 3)
    assert "Only the first 5 messages are exported; 3 later messages were left out." in markdown
    assert "message number 4" in markdown and "message number 5" not in markdown
    assert "Only the first 4 messages are exported; 4 later messages were left out." in printed
    assert "the Markdown and JSON exports hold up to 5" in printed
    assert "message number 3" in printed and "message number 4" not in printed


def test_odd_rows_are_kept_a_stray_tool_result_an_unnumbered_citation_and_a_failed_answer(call, make_user):
    user = make_user()
    chat = _chat(user, [
        {"role": "user", "content": "Question"},
        {"role": "tool", "tool_call_id": "nobody-called", "content": "stray result"},
        {"role": "assistant", "content": "Partial answer [1]", "status": "error", "error_code": "chat.stopped",
         "citations": [{"document_id": str(uuid.uuid4()), "title": "old.pdf", "page": None}]},
    ], title="")

    data = json.loads(_export(call, user, chat.id, "json").data)
    exported = _export(call, user, chat.id, "md")
    markdown = exported.data.decode()

    assert [(m["role"], m["text"]) for m in data["messages"]] == [
        ("user", "Question"), ("tool", "stray result"), ("assistant", "Partial answer [1]")]
    assert data["messages"][2]["citations"][0]["number"] == 1 and data["messages"][2]["error"] == "chat.stopped"
    assert exported.filename == "chat.md" and markdown.startswith("# New chat\n")
    assert "[1] old.pdf\n" in markdown and "*No answer: Stopped.*" in markdown and "stray result" in markdown

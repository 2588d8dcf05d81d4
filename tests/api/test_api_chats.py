"""``GET /api/v1/chats/{id}/export?format=pdf|md|json``: the caller's chat as an attachment, with a bearer token or
a one-minute ticket for that chat; another user's chat, or a ticket for another chat, is not found."""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_api
from assistant.core.db import session_scope
from assistant.core.security import decode_access_token
from assistant.models import Chat, Message
from assistant.services.reports.chat_export import export_ticket


@pytest.fixture
def client(db):
    with TestClient(create_api()) as test_client:
        yield test_client


def _chat(user, title: str, *texts: str) -> Chat:
    chat = Chat(user_id=user.id, title=title)
    with session_scope() as session:
        session.add(chat)
        session.flush()
        for number, text in enumerate(texts):
            session.add(Message(chat_id=chat.id, role="user" if number % 2 == 0 else "assistant", content=text))
            session.flush()
    return chat


@pytest.fixture
def owner(make_user, sign_in):
    """A user, their tokens and a chat with a question and an answer."""
    user = make_user(email="talker@example.com")
    chat = _chat(user, "Давление", "Какое у меня давление?", "120/80 on **March 3**.")
    return user, sign_in("talker@example.com"), chat


def _ticket(call, user, tokens, chat_id) -> str:
    ticket, _ = call(export_ticket, user=user, chat_id=chat_id, format="md",
                     login_session_id=decode_access_token(tokens.access_token).session_id)
    return ticket


def _get(client, chat_id, format="md", token=None, **params):
    return client.get(f"/api/v1/chats/{chat_id}/export", params={"format": format, **params},
                      headers={"Authorization": f"Bearer {token}"} if token else {})


def test_the_owner_downloads_each_format_with_a_token_or_a_ticket(client, call, owner):
    user, tokens, chat = owner

    for format, media_type in (("md", "text/markdown"), ("json", "application/json"), ("pdf", "application/pdf")):
        by_token = _get(client, chat.id, format, token=tokens.access_token)
        by_ticket = _get(client, chat.id, format, ticket=_ticket(call, user, tokens, chat.id))
        for response in (by_token, by_ticket):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith(media_type)
            disposition = f"attachment; filename*=utf-8''{quote('Давление')}.{format}"
            assert response.headers["content-disposition"] == disposition
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["content-security-policy"].startswith("sandbox")
            assert response.headers["cache-control"] == "private, no-store"
    assert "Какое у меня давление?" in _get(client, chat.id, "md", token=tokens.access_token).text
    exported = _get(client, chat.id, "json", token=tokens.access_token).json()
    assert [m["text"] for m in exported["messages"]] == ["Какое у меня давление?", "120/80 on **March 3**."]
    assert _get(client, chat.id, "pdf", token=tokens.access_token).content.startswith(b"%PDF")


def test_another_users_chat_and_a_ticket_for_another_chat_are_not_found(client, call, owner, make_user, sign_in):
    user, tokens, chat = owner
    second = _chat(user, "Second", "Another question")
    stranger = make_user(email="stranger@example.com")
    stranger_tokens = sign_in("stranger@example.com")

    refused = (_get(client, chat.id, token=stranger_tokens.access_token),
               _get(client, second.id, ticket=_ticket(call, user, tokens, chat.id)))
    missing = _get(client, uuid.uuid4(), token=stranger_tokens.access_token)

    assert {r.status_code for r in refused} == {missing.status_code} == {404}
    assert all(r.json() == missing.json() == {"detail": "Chat not found.", "code": "chat.not_found"} for r in refused)
    assert "Another question" not in json.dumps([r.json() for r in refused])
    assert _get(client, chat.id).status_code == 401
    own_chat = _chat(stranger, "Mine", "Hi")
    assert _get(client, own_chat.id, ticket=_ticket(call, stranger, stranger_tokens, own_chat.id)).status_code == 200


@pytest.mark.parametrize("format", ["docx", "", "PDF"])
def test_an_unknown_format_is_refused_clearly(client, owner, format):
    _, tokens, chat = owner

    response = _get(client, chat.id, format, token=tokens.access_token)

    assert response.status_code == 422
    assert "pdf" in json.dumps(response.json()) and "json" in json.dumps(response.json())

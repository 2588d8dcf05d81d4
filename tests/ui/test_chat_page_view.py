"""What the chat page reads for an open chat (on the real database, no browser): a memory change tool's
stored result becomes a card read from its change row, an error result stays a tool card, and a link to
an older message loads pages back to it."""

from __future__ import annotations

import json
import uuid

from assistant.core.db import session_scope
from assistant.models import Message
from assistant.services.chat import chats
from assistant.services.chat.chats import PAGE_SIZE
from assistant.services.memory import changes, entries
from assistant.ui.state.chat import ChatState


def _view(user, chat_id, reach=None):
    with session_scope() as session:
        return ChatState._chat_view(session, user, chat_id, "en", reach)


def _add(chat_id, **fields) -> Message:
    with session_scope() as session:
        message = Message(chat_id=chat_id, **fields)
        session.add(message)
    return message


def test_a_change_tools_result_is_a_card_read_from_its_change(make_user):
    user, stranger = make_user(), make_user()
    with session_scope() as session:
        chat = chats.create_chat(session=session, user=user, title="Memory")
    asked = _add(chat.id, role="user", content="I prefer morning appointments.")
    with session_scope() as session:
        change = changes.remember(session=session, user=user, provenance=entries.Provenance(chat.id, asked.id),
                                  fact=entries.validate_fact(content="Prefers morning appointments",
                                                             category="preference"))
        others = changes.remember(session=session, user=stranger, provenance=entries.Provenance(),
                                  fact=entries.validate_fact(content="Likes tea", category="preference"))
    calls = [{"id": call_id, "name": name, "arguments": {}} for call_id, name in
             (("c1", "save_memory"), ("c2", "forget_memory"), ("c3", "save_memory"), ("c4", "get_current_time"))]
    _add(chat.id, role="assistant", tool_calls=calls)
    _add(chat.id, role="tool", tool_call_id="c1", content=json.dumps({"change_id": str(change.id), "result": "x"}))
    _add(chat.id, role="tool", tool_call_id="c2", content="That remembered fact was not found.", is_error=True)
    _add(chat.id, role="tool", tool_call_id="c3", content=json.dumps({"change_id": str(others.id)}))
    _add(chat.id, role="tool", tool_call_id="c4", content=json.dumps({"change_id": str(change.id)}))

    card, error, foreign, other_tool = _view(user, chat.id)["messages"][2:]
    assert card["change_id"] == str(change.id)
    assert card["memory"] == {"change_id": str(change.id), "state": "applied", "pending": False, "can_undo": True,
                              "title": "Remembered: Prefers morning appointments", "detail": ""}
    assert (error["change_id"], error["memory"]) == ("", {})  # a tool error keeps the generic card
    assert foreign["change_id"] == ""  # another user's change is never read
    assert other_tool["change_id"] == ""

    with session_scope() as session:
        changes.undo(session=session, user=user, change_id=change.id)
    undone = _view(user, chat.id)["messages"][2]["memory"]
    assert (undone["title"], undone["detail"], undone["can_undo"]) == ("Undone", "Prefers morning appointments", False)


def test_a_link_to_an_older_message_loads_the_pages_back_to_it(make_user):
    user = make_user()
    with session_scope() as session:
        chat = chats.create_chat(session=session, user=user, title="Long")
    messages = [_add(chat.id, role="user" if n % 2 == 0 else "assistant", content=f"message {n}")
                for n in range(2 * PAGE_SIZE + 10)]

    latest = _view(user, chat.id)
    assert len(latest["messages"]) == PAGE_SIZE and latest["has_older"]
    assert _view(user, chat.id, uuid.uuid4())["messages"] == latest["messages"]  # not in the chat: no more pages

    reached = _view(user, chat.id, messages[PAGE_SIZE].id)
    assert [m["content"] for m in reached["messages"]][:1] == [f"message {PAGE_SIZE - 40}"]
    assert str(messages[PAGE_SIZE].id) in {m["id"] for m in reached["messages"]} and reached["has_older"]

    oldest = _view(user, chat.id, messages[0].id)
    assert len(oldest["messages"]) == len(messages) and not oldest["has_older"]

"""The summary of older turns: once enough messages left the history budget, the model condenses them into
the chat's summary, and later turns carry it in their context instead of those messages."""

from __future__ import annotations

import pytest
from support.llm_server import Reply, Turn, openai_events

from assistant.core.db import session_scope
from assistant.models import Chat
from assistant.services.chat import chats
from assistant.services.chat.turn_events import TurnFinished
from assistant.services.chat.upkeep import SUMMARY_EVERY

pytestmark = pytest.mark.anyio

#: 40 messages of about 130 tokens each: far more than the small window leaves for history.
HISTORY = [row for number in range(20) for row in (
    ("user", f"Question {number}: " + "q" * 500),
    ("assistant", f"Answer {number}: " + "a" * 500),
)]


def reply(text: str) -> Reply:
    return Reply(events=openai_events(Turn(text=(text,))))


def chat_row(chat_id) -> Chat:
    with session_scope() as session:
        return session.get(Chat, chat_id)


def first_sent_seq(call, user, chat_id, body) -> int:
    """The seq of the oldest stored message the request carried."""
    first = next(m for m in body["messages"] if m["role"] != "system")["content"]
    return next(m.seq for m in call(chats.list_messages, user=user, chat_id=chat_id, limit=200).messages
                if m.content == first)


async def test_older_turns_are_summarised_and_the_next_turn_carries_the_summary(
        make_user, call, add_messages, small_window, openai_online, llm_server, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user, title="Long")
    seqs = add_messages(chat.id, HISTORY)
    llm_server.script(reply("First answer."), reply("SUMMARY: Alice asked twenty questions."))

    events = await turn(user=user, chat_id=chat.id, text="Question 20")

    assert TurnFinished("complete", "", False, 12, 7) in events
    assert len(llm_server.requests) == 2
    first_kept = first_sent_seq(call, user, chat.id, llm_server.requests[0].body)
    omitted = seqs[:seqs.index(first_kept)]
    assert len(omitted) >= SUMMARY_EVERY
    summary_request = llm_server.requests[1].body
    assert "tools" not in summary_request
    asked = summary_request["messages"][-1]["content"]
    assert "Earlier summary" not in asked
    assert "user: Question 0: " in asked and f"Answer {len(omitted) // 2 - 1}: " in asked
    assert f"Question {len(omitted) // 2}: " not in asked  # what still fits the history is not summarised
    stored = chat_row(chat.id)
    assert (stored.summary, stored.summary_until_seq) == ("SUMMARY: Alice asked twenty questions.", omitted[-1])

    llm_server.script(reply("Second answer."))
    events = await turn(user=user, chat_id=chat.id, text="Question 21")

    assert len(llm_server.requests) == 3  # too few new messages left the history to summarise again
    system = llm_server.requests[2].body["messages"][0]["content"]
    assert system.endswith("## Summary of the earlier conversation\nSUMMARY: Alice asked twenty questions.")
    record = call(chats.get_message_context, user=user, message_id=events[0].answer_id)
    assert [section["kind"] for section in record] == ["preferences", "summary", "history", "message"]
    assert record[1]["content"] == "SUMMARY: Alice asked twenty questions."
    sent = [m["content"] for m in llm_server.requests[2].body["messages"][1:]]
    assert not any(content.startswith(("Question 0:", "Answer 0:")) for content in sent)


async def test_a_later_summary_builds_on_the_earlier_one(make_user, call, add_messages, small_window, openai_online,
                                                        llm_server, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user, title="Long")
    add_messages(chat.id, HISTORY)
    llm_server.script(reply("First answer."), reply("SUMMARY ONE"))
    await turn(user=user, chat_id=chat.id, text="Question 20")
    until = chat_row(chat.id).summary_until_seq
    add_messages(chat.id, HISTORY)  # twenty more exchanges
    llm_server.script(reply("Another answer."), reply("SUMMARY TWO"))

    await turn(user=user, chat_id=chat.id, text="Question 40")

    assert len(llm_server.requests) == 4
    asked = llm_server.requests[3].body["messages"][-1]["content"]
    assert asked.startswith("Earlier summary:\nSUMMARY ONE\n\nConversation:\n")
    stored = chat_row(chat.id)
    assert stored.summary == "SUMMARY TWO" and stored.summary_until_seq > until


async def test_a_short_cut_is_not_summarised_yet(make_user, call, add_messages, small_window, openai_online,
                                                 llm_server, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user, title="Medium length")
    add_messages(chat.id, HISTORY[:14])  # a few messages more than fit
    llm_server.script(reply("Answer."))

    await turn(user=user, chat_id=chat.id, text="Next question")

    first_kept = first_sent_seq(call, user, chat.id, llm_server.requests[0].body)
    assert first_kept > min(m.seq for m in call(chats.list_messages, user=user, chat_id=chat.id).messages)  # cut
    assert len(llm_server.requests) == 1
    assert (chat_row(chat.id).summary, chat_row(chat.id).summary_until_seq) == ("", 0)


async def test_a_failed_summary_changes_nothing(make_user, call, add_messages, small_window, openai_online,
                                                llm_server, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user, title="Long")
    add_messages(chat.id, HISTORY)
    llm_server.script(reply("Answer."), Reply(status=401, body={"error": {"message": "bad key", "type": "x"}}))

    events = await turn(user=user, chat_id=chat.id, text="Question 20")

    assert TurnFinished("complete", "", False, 12, 7) in events and len(llm_server.requests) == 2
    assert (chat_row(chat.id).summary, chat_row(chat.id).summary_until_seq) == ("", 0)


async def test_offline_nothing_is_summarised(make_user, call, add_messages, small_window, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user, title="Long")
    add_messages(chat.id, HISTORY)

    events = await turn(user=user, chat_id=chat.id, text="Question 20")

    assert events[0].offline
    assert (chat_row(chat.id).summary, chat_row(chat.id).summary_until_seq) == ("", 0)

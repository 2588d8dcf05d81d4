"""What the assistant is sent: the system prompt's layers in their order (primary, personal, skill,
preferences, memories, excerpts, summary), then as much recent history as the model's window allows,
without ever splitting a tool call from its result."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import col, select
from support.llm_server import Reply, Turn, openai_events

from assistant.core.db import session_scope
from assistant.models import Chat, ContextScope, Message, User
from assistant.services.chat import chats, skills
from assistant.services.chat.context import ContextSources, Excerpt, MemoryNote, assemble_context
from assistant.services.chat.context_files import save_context
from assistant.services.chat.tokens import estimate_message_tokens, estimate_tokens
from assistant.services.llm.tiers import get_tier
from assistant.services.tools.builtin import builtin_registry
from assistant.services.tools.spec import to_openai

pytestmark = pytest.mark.anyio

LAYERS = ["primary", "personal", "skill", "preferences", "memories", "excerpts", "summary"]
HEADINGS = ["## Instructions from the administrator", "## What the user wants you to know about them",
            "## Skill: Nurse", "## The user", "## Remembered facts about the user",
            "## Excerpts from the user's documents (cite them as [n])", "## Summary of the earlier conversation"]
#: 23:30 UTC on Saturday is already Sunday in Berlin.
NOW = datetime(2025, 3, 1, 23, 30, tzinfo=UTC)


def update_user(user: User, **values) -> User:
    with session_scope() as session:
        row = session.get(User, user.id)
        for key, value in values.items():
            setattr(row, key, value)
        session.add(row)
    for key, value in values.items():
        setattr(user, key, value)
    return user


def assemble(user: User, chat_id, *, sources=None, tools=True):
    """assemble_context for the chat's newest (already stored) message, as a turn does."""
    with session_scope() as session:
        chat = session.get(Chat, chat_id)
        newest = session.exec(
            select(Message).where(Message.chat_id == chat_id).order_by(col(Message.seq).desc()).limit(1)
        ).one()
        return assemble_context(session=session, user=session.get(User, user.id), chat=chat,
                                tier=get_tier(session=session, name=chat.tier), query=newest.content,
                                tools=builtin_registry().specs() if tools else None, sources=sources, now=NOW)


def set_summary(chat_id, summary: str, until_seq: int) -> None:
    with session_scope() as session:
        chat = session.get(Chat, chat_id)
        chat.summary, chat.summary_until_seq = summary, until_seq
        session.add(chat)


@pytest.fixture
def layered(make_user, call, admin, add_messages):
    """A user with every layer: primary (admin), personal, a skill, preferences, a summary of older turns;
    their chat has 4 summarised messages, 2 later ones and the newest question."""
    user = update_user(make_user(display_name="Alice"), language="ru", timezone="Europe/Berlin")
    call(save_context, user=admin, scope=ContextScope.PRIMARY, content="PRIMARY never diagnose")
    call(save_context, user=user, scope=ContextScope.PERSONAL, content="PERSONAL allergic to penicillin")
    skill = call(skills.create_skill, user=user, scope="personal",
                 data={"name": "Nurse", "system_prompt": "SKILL answer like a nurse"})
    chat = call(chats.create_chat, user=user, title="Health", skill_id=skill.id)
    old = add_messages(chat.id, [("user", "old question one"), ("assistant", "old answer one"),
                                 ("user", "old question two"), ("assistant", "old answer two")])
    set_summary(chat.id, "SUMMARY talked about blood pressure", old[-1])
    add_messages(chat.id, [("user", "recent question"), ("assistant", "recent answer"),
                           ("user", "What dose of ibuprofen is safe?")])
    asked = []
    sources = ContextSources(
        memories=lambda session, who, query: [MemoryNote("m1", "MEMORY takes ramipril 5 mg", "critical", "medication")],
        excerpts=lambda session, who, query: asked.append(query) or [
            Excerpt("doc-1", "Discharge letter", 2, "chunk-9", 0.87, "EXCERPT no NSAIDs for 2 weeks")],
    )
    return user, chat, skill, sources, asked


def test_the_system_prompt_layers_come_in_their_order(layered):
    user, chat, _, sources, asked = layered

    context = assemble(user, chat.id, sources=sources)

    assert [s.kind for s in context.sections] == [*LAYERS, "history", "message"]
    positions = [context.system.index(heading) for heading in HEADINGS]
    assert positions == sorted(positions) and positions[0] == 0
    markers = [context.system.index(marker) for marker in ("PRIMARY", "PERSONAL", "SKILL", "Name: Alice",
                                                           "MEMORY", "EXCERPT", "SUMMARY")]
    assert markers == sorted(markers)
    headings_first = [context.system.index(heading) < marker for heading, marker in zip(HEADINGS, markers, strict=True)]
    assert headings_first == [True] * 7
    preferences = context.sections[3].content
    assert "Preferred language: Russian" in preferences
    assert "Time zone: Europe/Berlin; today is Sunday, 2025-03-02" in preferences
    assert "- [m1] (critical, medication) MEMORY takes ramipril 5 mg" in context.sections[4].content
    assert "[1] Discharge letter, p. 2: EXCERPT no NSAIDs for 2 weeks" in context.sections[5].content
    assert context.sections[2].title == "Nurse"
    assert asked == ["What dose of ibuprofen is safe?"]
    # the summarised turns are left out of the history; the newest message ends it
    assert [(m.role, m.content) for m in context.messages] == [
        ("user", "recent question"), ("assistant", "recent answer"), ("user", "What dose of ibuprofen is safe?")]
    assert context.sections[-2].content == "2" and context.sections[-1].content == "What dose of ibuprofen is safe?"
    assert [e.chunk_id for e in context.excerpts] == ["chunk-9"]
    assert context.tokens == sum(s.tokens for s in context.sections) > 0


def test_absent_layers_are_left_out(make_user, call, add_messages):
    user = make_user(display_name="Bob")
    chat = call(chats.create_chat, user=user, title="Plain")
    add_messages(chat.id, [("user", "Hello")])

    context = assemble(user, chat.id, sources=ContextSources(memories=lambda s, u, q: [],
                                                             excerpts=lambda s, u, q: None))

    assert [s.kind for s in context.sections] == ["preferences", "message"]
    assert context.system.startswith("## The user\nName: Bob\nPreferred language: English")
    assert context.excerpts is None


def test_when_no_passage_matches_the_model_is_told_the_documents_do_not_cover_it(make_user, call, add_messages):
    user = make_user()
    chat = call(chats.create_chat, user=user, title="Knee")
    add_messages(chat.id, [("user", "What did the MRI of my knee show?")])

    context = assemble(user, chat.id, sources=ContextSources(excerpts=lambda s, u, q: []))

    assert [s.kind for s in context.sections] == ["preferences", "excerpts", "message"]
    assert context.excerpts == []
    assert "do not cover it" in context.system and "[1]" not in context.system


def test_a_switched_off_or_deleted_skill_is_left_out(make_user, call, admin, add_messages):
    user = make_user()
    general = call(skills.create_skill, user=admin, scope="general",
                   data={"name": "Coach", "system_prompt": "COACH be encouraging"})
    chat = call(chats.create_chat, user=user, title="Runs", skill_id=general.id)
    add_messages(chat.id, [("user", "Plan my week")])
    assert [s.kind for s in assemble(user, chat.id).sections] == ["skill", "preferences", "message"]

    call(skills.update_skill, user=admin, skill_id=general.id,
         data={"name": "Coach", "system_prompt": "COACH be encouraging", "is_active": False})
    off = assemble(user, chat.id)

    assert [s.kind for s in off.sections] == ["preferences", "message"] and "COACH" not in off.system

    call(skills.delete_skill, user=admin, skill_id=general.id)
    assert [s.kind for s in assemble(user, chat.id).sections] == ["preferences", "message"]


async def test_a_turn_sends_the_layers_and_records_what_the_assistant_saw(layered, call, openai_online,
                                                                          llm_server, turn):
    user, chat, _, sources, _ = layered
    llm_server.script(Reply(events=openai_events(Turn(text=("Ask your doctor.",)))))

    events = await turn(user=user, chat_id=chat.id, text="And paracetamol?", sources=sources)

    assert len(llm_server.requests) == 1  # the chat has its own title: no title request
    sent = llm_server.requests[0].body["messages"]
    assert sent[0]["role"] == "system"
    positions = [sent[0]["content"].index(heading) for heading in HEADINGS]
    assert positions == sorted(positions)
    assert [m["content"] for m in sent[1:]] == ["recent question", "recent answer",
                                                "What dose of ibuprofen is safe?", "And paracetamol?"]
    answer_id = events[0].answer_id
    record = call(chats.get_message_context, user=user, message_id=answer_id)
    assert [s["kind"] for s in record] == [*LAYERS, "history", "message"]
    assert record[-1]["content"] == "And paracetamol?" and record[-2]["content"] == "3"
    assert record[2]["title"] == "Nurse"


async def test_the_primary_context_reaches_a_plain_users_turn(make_user, call, admin, openai_online, llm_server,
                                                              turn):
    user = make_user()
    call(save_context, user=admin, scope=ContextScope.PRIMARY, content="Always answer in metric units.")
    chat = call(chats.create_chat, user=user, title="Units")
    llm_server.script(Reply(events=openai_events(Turn(text=("About 1.8 m.",)))))

    await turn(user=user, chat_id=chat.id, text="How tall is a tall person?")

    system = llm_server.requests[0].body["messages"][0]["content"]
    assert system.startswith("## Instructions from the administrator\nAlways answer in metric units.")


# --- the history budget ---------------------------------------------------------------------------------

def history_budget(system: str, window: int, max_tokens: int = 256) -> int:
    tools = estimate_tokens(json.dumps([to_openai(spec) for spec in builtin_registry().specs()]))
    return window - max_tokens - estimate_tokens(system) - tools


def cost(content: str, tool_calls=None) -> int:
    return estimate_message_tokens(content) + (estimate_tokens(json.dumps(tool_calls)) if tool_calls else 0)


LONG_HISTORY = [row for number in range(20) for row in (
    ("user", f"Question {number}: " + "q" * 60),
    ("assistant", f"Answer {number}: " + "a" * 500),
)]


def test_a_long_history_is_cut_to_the_newest_messages_that_fit(make_user, call, add_messages, small_window):
    user = make_user()
    chat = call(chats.create_chat, user=user, title="Long")
    seqs = add_messages(chat.id, [*LONG_HISTORY, ("user", "The newest question")])
    rows = [*LONG_HISTORY, ("user", "The newest question")]

    context = assemble(user, chat.id)

    sent = [(m.role, m.content) for m in context.messages]
    kept = len(sent)
    assert 1 < kept < len(rows)
    assert sent == rows[-kept:]  # a contiguous run ending with the newest message
    assert sent[0][0] == "user" and sent[-1] == ("user", "The newest question")
    assert context.omitted_until_seq == seqs[-kept - 1]
    budget = history_budget(context.system, small_window)
    assert sum(cost(content) for _, content in sent) <= budget
    previous_user = max(i for i in range(len(rows) - kept) if rows[i][0] == "user")
    assert sum(cost(content) for _, content in rows[previous_user:]) > budget  # no more would fit
    assert context.sections[-2].content == str(kept - 1)


def test_the_newest_message_is_sent_even_when_it_alone_exceeds_the_budget(make_user, call, add_messages,
                                                                          small_window):
    user = make_user()
    chat = call(chats.create_chat, user=user, title="Huge")
    seqs = add_messages(chat.id, [("user", "earlier"), ("assistant", "reply"), ("user", "z" * 12_000)])

    context = assemble(user, chat.id)

    assert [m.content for m in context.messages] == ["z" * 12_000]
    assert context.omitted_until_seq == seqs[1]
    assert [s.kind for s in context.sections] == ["preferences", "message"]


def test_a_tool_result_is_never_sent_without_its_call(make_user, call, add_messages, small_window):
    user = make_user()
    chat = call(chats.create_chat, user=user, title="Tools")
    big_call = [{"id": "call_big", "name": "get_current_time", "arguments": {}}]
    seqs = add_messages(chat.id, [
        ("user", "What time is it in Tokyo, and explain time zones at length?"),
        ("assistant", "Let me check. " + "t" * 7_000, {"tool_calls": big_call}),  # does not fit the budget
        ("tool", '{"local_time": "2025-03-01T09:00:00+09:00"}', {"tool_call_id": "call_big"}),
        ("assistant", "It is 9 am."),
        ("user", "Thanks!"),
    ])

    context = assemble(user, chat.id)

    # the result and the answer after it would fit, but not without the call: the history starts at a user
    assert [(m.role, m.content) for m in context.messages] == [("user", "Thanks!")]
    assert context.omitted_until_seq == seqs[3]


def wire_tool_ids(online_name: str, messages: list[dict]) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(index, call id) of every tool call offered and every result sent, in either wire format."""
    offered, answered = [], []
    for index, message in enumerate(messages):
        if online_name == "openai":
            offered += [(index, call["id"]) for call in message.get("tool_calls") or []]
            if message["role"] == "tool":
                answered.append((index, message["tool_call_id"]))
        elif isinstance(message["content"], list):
            offered += [(index, b["id"]) for b in message["content"] if b["type"] == "tool_use"]
            answered += [(index, b["tool_use_id"]) for b in message["content"] if b["type"] == "tool_result"]
    return offered, answered


async def test_calls_without_results_are_not_sent_and_complete_pairs_stay_together(make_user, call, add_messages,
                                                                                   online, llm_server, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user, title="Pairs", tier=online.tier)
    add_messages(chat.id, [
        ("user", "What time is it?"),
        ("assistant", "", {"tool_calls": [{"id": "call_ok", "name": "get_current_time", "arguments": {}}]}),
        ("tool", '{"local_time": "12:00"}', {"tool_call_id": "call_ok"}),
        ("assistant", "It is noon."),
        ("user", "And in Tokyo?"),  # this answer was stopped while its tool ran: no result stored
        ("assistant", "", {"tool_calls": [{"id": "call_orphan", "name": "get_current_time",
                                           "arguments": {"timezone": "Asia/Tokyo"}}]}),
        ("user", "Hello?"),
        ("assistant", "Checking…", {"tool_calls": [{"id": "call_orphan_2", "name": "get_current_time",
                                                    "arguments": {}}], "status": "incomplete"}),
        ("tool", "a result whose call is gone", {"tool_call_id": "call_missing"}),
    ])
    llm_server.script(Reply(events=online.events(Turn(text=("Sorry about that.",)))))

    await turn(user=user, chat_id=chat.id, text="Are you there?")

    body = llm_server.requests[0].body
    offered, answered = wire_tool_ids(online.name, body["messages"])
    assert [call_id for _, call_id in offered] == [call_id for _, call_id in answered] == ["call_ok"]
    assert answered[0][0] == offered[0][0] + 1  # the result right after its call
    text = json.dumps(body, ensure_ascii=False)
    for gone in ("call_orphan", "call_missing", "a result whose call is gone"):
        assert gone not in text
    assert "Checking…" in text  # the text of an answer is kept, only its unanswered calls are dropped


async def test_the_model_receives_only_the_history_that_fits(make_user, call, add_messages, small_window,
                                                             openai_online, llm_server, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user, title="Long")
    add_messages(chat.id, LONG_HISTORY)
    llm_server.script(Reply(events=openai_events(Turn(text=("Short answer.",)))),
                      Reply(events=openai_events(Turn(text=("A summary.",)))))  # older turns get summarised

    events = await turn(user=user, chat_id=chat.id, text="The newest question")

    body = llm_server.requests[0].body
    system, *history = body["messages"]
    rows = [*LONG_HISTORY, ("user", "The newest question")]
    assert system["role"] == "system" and body["max_tokens"] == 256
    assert [(m["role"], m["content"]) for m in history] == rows[-len(history):]
    assert history[0]["role"] == "user" and 1 < len(history) < len(rows)
    assert sum(cost(m["content"]) for m in history) <= history_budget(system["content"], small_window)
    record = call(chats.get_message_context, user=user, message_id=events[0].answer_id)
    assert [s["kind"] for s in record] == ["preferences", "history", "message"]
    assert record[1]["content"] == str(len(history) - 1)

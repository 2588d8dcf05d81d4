"""Which remembered facts an answer sees: importance first, then recall by similarity, within the budget;
never superseded, forgotten or proposed facts, never another user's."""

from __future__ import annotations

from assistant.services.chat.sources import memory_notes
from assistant.services.memory import changes, entries
from assistant.services.memory.entries import Provenance, validate_fact
from assistant.services.memory.recall import context_memories, search_memories


def add(call, user, content, category="other", importance=None):
    return call(entries.add_memory, user=user, content=content, category=category, importance=importance).entry


def recall(call, user, query, budget=4000, k=8):
    chosen = call(context_memories, user=user, query=query, budget_chars=budget, k=k)
    return [fact.content for fact in chosen.always], [fact.content for fact in chosen.recalled]


def test_critical_and_high_always_come_first_and_others_by_similarity(make_user, call):
    user = make_user()
    add(call, user, "Allergic to penicillin", "allergy")  # critical by default
    add(call, user, "Has asthma", "condition")  # high by default
    add(call, user, "Enjoys hiking in the Alps", "preference")
    add(call, user, "Sister Anna lives in Berlin", "person")
    add(call, user, "Goal: run a half marathon in May", "goal")
    always, recalled = recall(call, user, "What should I pack for my mountain hiking trip?")
    assert always == ["Allergic to penicillin", "Has asthma"]
    assert recalled[0] == "Enjoys hiking in the Alps"
    assert "Sister Anna lives in Berlin" not in recalled

    always, recalled = recall(call, user, "Когда у сестры день рождения?")
    assert always == ["Allergic to penicillin", "Has asthma"]


def test_russian_facts_are_recalled_by_their_words(make_user, call):
    user = make_user()
    add(call, user, "Принимает витамин D по утрам", "medication", importance="medium")
    add(call, user, "Любит зелёный чай", "preference")
    _, recalled = recall(call, user, "Сколько витамина D мне принимать?")
    assert recalled[0] == "Принимает витамин D по утрам"


def test_the_budget_bounds_the_facts_whatever_their_number(make_user, call):
    user = make_user()
    for number in range(30):
        add(call, user, f"Important fact number {number} about the garden shed and its tools", "other", "high")
    for number in range(30):
        add(call, user, f"Garden note {number}: tomatoes and cucumbers need water", "other", "low")
    always, recalled = recall(call, user, "How do I water my garden tomatoes?", budget=500, k=3)
    total = sum(map(len, always + recalled))
    assert total <= 500 and always
    assert len(recalled) <= 3


def test_superseded_forgotten_and_proposed_facts_are_never_used(make_user, call):
    user = make_user()
    old = add(call, user, "Takes metformin 500 mg daily", "medication", "medium")
    call(entries.edit_memory, user=user, memory_id=old.id, content="Takes metformin 1000 mg daily")
    gone = add(call, user, "Takes aspirin 100 mg daily", "medication", "medium")
    call(entries.forget_memory, user=user, memory_id=gone.id)
    fact = validate_fact(content="Takes atorvastatin 20 mg daily", category="medication")
    assert call(changes.remember, user=user, fact=fact, provenance=Provenance()).state == "pending"
    notes = call(memory_notes, user=user, query="Which medications do I take, metformin, aspirin, atorvastatin?")
    assert [note.text for note in notes] == ["Takes metformin 1000 mg daily"]
    found = call(search_memories, user=user, query="metformin aspirin atorvastatin")
    assert [hit.content for hit in found] == ["Takes metformin 1000 mg daily"]


def test_recall_and_search_never_cross_users(make_user, call):
    owner, other = make_user(), make_user()
    add(call, owner, "Allergic to bee stings", "allergy")
    add(call, owner, "Loves beekeeping", "preference")
    assert call(memory_notes, user=other, query="bees and bee stings") == []
    assert call(search_memories, user=other, query="bee stings beekeeping") == []

"""Memory as the user sees it change: dedupe, superseding with history, undo, proposals, isolation.

Real PostgreSQL and the real embedding model; each call is one committed request (``call``)."""

from __future__ import annotations

import uuid

import pytest

from assistant.core.errors import Conflict, InvalidInput, NotFound
from assistant.models import ChangeKind, ChangeState, MemoryChange, MemoryEntry, MemoryStatus
from assistant.services.memory import changes, entries, listing
from assistant.services.memory.entries import Provenance, validate_fact


def remember(call, user, content, category="allergy", **fields):
    fact = validate_fact(content=content, category=category, **fields)
    return call(changes.remember, user=user, fact=fact, provenance=Provenance())


def active(call, user, category=None):
    return call(listing.list_memories, user=user, category=category)


@pytest.fixture
def trusting(make_user, call):
    """A user who lets the assistant save health facts without confirming each."""
    user = make_user()

    def no_confirm(session, user):
        row = session.get(type(user), user.id)
        row.confirm_health_memories = False
        session.add(row)
        return row

    return call(no_confirm, user=user)


def test_the_same_allergy_twice_and_in_russian_twice_leaves_one_active_entry(trusting, call):
    first = remember(call, trusting, "Allergic to penicillin")
    again = remember(call, trusting, "allergic to penicillin")
    reworded = remember(call, trusting, "Penicillin allergy")
    assert first.kind == ChangeKind.CREATED
    assert again.kind == ChangeKind.DUPLICATE and again.memory_id == first.memory_id
    assert reworded.kind == ChangeKind.DUPLICATE
    russian = remember(call, trusting, "Аллергия на пенициллин")
    russian_again = remember(call, trusting, "У меня аллергия на пенициллин")
    assert russian.kind == russian_again.kind == ChangeKind.DUPLICATE
    assert russian.memory_id == russian_again.memory_id == first.memory_id
    assert [entry.content for entry in active(call, trusting)] == ["Allergic to penicillin"]
    different = remember(call, trusting, "Allergic to peanuts")
    assert different.kind == ChangeKind.CREATED
    assert len(active(call, trusting)) == 2


def test_a_dose_change_supersedes_and_keeps_history(trusting, call):
    old = remember(call, trusting, "Takes metformin 500 mg twice daily", category="medication")
    new = remember(call, trusting, "Takes metformin 1000 mg twice daily", category="medication",
                   valid_from="2026-03-03")
    assert new.kind == ChangeKind.SUPERSEDED and new.previous_id == old.memory_id
    assert new.previous_content == "Takes metformin 500 mg twice daily"
    [current] = active(call, trusting, "medication")
    assert current.content == "Takes metformin 1000 mg twice daily"
    history = call(listing.memory_history, user=trusting, memory_id=current.id)
    assert [entry.content for entry in history] == ["Takes metformin 1000 mg twice daily",
                                                    "Takes metformin 500 mg twice daily"]
    assert history[1].status == MemoryStatus.SUPERSEDED and history[1].superseded_by == current.id
    assert str(history[1].valid_until) == "2026-03-03"


def snapshot(call, user):
    def rows(session, user):
        found = session.exec(__import__("sqlmodel").select(MemoryEntry).where(MemoryEntry.user_id == user.id)).all()
        return sorted((str(row.id), row.content, row.status, row.superseded_by, row.valid_until, row.importance,
                       row.updated_at) for row in found)
    return call(rows, user=user)


def test_undo_restores_the_previous_state_exactly(trusting, call):
    remember(call, trusting, "Takes ramipril 5 mg daily", category="medication")
    before = snapshot(call, trusting)
    change = remember(call, trusting, "Takes ramipril 10 mg daily", category="medication")
    assert change.kind == ChangeKind.SUPERSEDED
    undone = call(changes.undo, user=trusting, change_id=change.id)
    assert undone.state == ChangeState.UNDONE
    assert snapshot(call, trusting) == before
    with pytest.raises(Conflict):
        call(changes.undo, user=trusting, change_id=change.id)

    created = remember(call, trusting, "Knee surgery in 2019", category="procedure")
    forgot = call(changes.dismiss, user=trusting, memory_id=created.memory_id, provenance=Provenance())
    call(changes.undo, user=trusting, change_id=forgot.id)
    call(changes.undo, user=trusting, change_id=created.id)
    assert snapshot(call, trusting) == before


def test_undo_refuses_once_the_fact_changed_again(trusting, call):
    change = remember(call, trusting, "Blood type A+", category="vital")
    call(entries.edit_memory, user=trusting, memory_id=change.memory_id, content="Blood type A negative")
    with pytest.raises(Conflict) as caught:
        call(changes.undo, user=trusting, change_id=change.id)
    assert caught.value.code == "memory.undo_stale"


def test_a_health_proposal_is_not_used_until_confirmed(make_user, call):
    user = make_user()  # confirms health facts (the default)
    proposal = remember(call, user, "Allergic to sulfonamides")
    assert proposal.state == ChangeState.PENDING
    assert active(call, user) == []
    assert [change.id for change in call(changes.pending_changes, user=user)] == [proposal.id]

    confirmed = call(changes.confirm, user=user, change_id=proposal.id)
    assert confirmed.state == ChangeState.CONFIRMED
    assert [entry.content for entry in active(call, user)] == ["Allergic to sulfonamides"]
    with pytest.raises(Conflict):
        call(changes.reject, user=user, change_id=proposal.id)

    rejected = remember(call, user, "Has type 2 diabetes", category="condition")
    call(changes.reject, user=user, change_id=rejected.id)
    assert [entry.content for entry in active(call, user)] == ["Allergic to sulfonamides"]
    preference = remember(call, user, "Prefers short answers", category="preference")
    assert preference.state == ChangeState.APPLIED  # not health data: no confirmation


def test_bad_input_is_refused_and_nothing_changes(trusting, call):
    remember(call, trusting, "Allergic to latex")
    before = snapshot(call, trusting)
    for fields in ({"content": "  "}, {"content": "x" * 1001}, {"content": "ok", "category": "mood"},
                   {"content": "ok", "category": "other", "importance": "urgent"},
                   {"content": "ok", "category": "other", "valid_from": "03/03/2026"}):
        with pytest.raises(InvalidInput):
            validate_fact(**{"category": "allergy", **fields})
    with pytest.raises(NotFound):
        call(changes.revise, user=trusting, memory_id=uuid.uuid4(), content="x", provenance=Provenance())
    assert snapshot(call, trusting) == before


def test_another_users_memory_is_not_found_on_every_path(trusting, make_user, call):
    owner_change = remember(call, trusting, "Allergic to latex")
    intruder = make_user()
    target = owner_change.memory_id
    for action in (lambda: call(changes.revise, user=intruder, memory_id=target, content="x", provenance=Provenance()),
                   lambda: call(changes.dismiss, user=intruder, memory_id=target, provenance=Provenance()),
                   lambda: call(entries.edit_memory, user=intruder, memory_id=target, content="x"),
                   lambda: call(entries.forget_memory, user=intruder, memory_id=target),
                   lambda: call(listing.memory_history, user=intruder, memory_id=target),
                   lambda: call(changes.undo, user=intruder, change_id=owner_change.id)):
        with pytest.raises(NotFound):
            action()
    assert call(changes.changes_by_id, user=intruder, change_ids=[owner_change.id]) == {}
    assert active(call, intruder) == []
    intruders_change = remember(call, intruder, "Allergic to latex")
    assert intruders_change.kind != ChangeKind.DUPLICATE  # dedupe never looks at another user's facts
    assert call(lambda session: session.get(MemoryChange, owner_change.id).state) == ChangeState.APPLIED


def test_a_superseded_fact_cannot_be_changed(trusting, call):
    old = remember(call, trusting, "Weight 80 kg", category="vital")
    remember(call, trusting, "Weight 78 kg", category="vital")
    with pytest.raises(NotFound) as caught:
        call(changes.revise, user=trusting, memory_id=old.memory_id, content="Weight 79 kg", provenance=Provenance())
    assert caught.value.code == "memory.not_active"


def test_restoring_a_fact_said_again_since_is_refused_and_unpinning_gives_the_usual_importance(trusting, call):
    first = call(entries.add_memory, user=trusting, content="Has asthma", category="condition").entry
    call(entries.forget_memory, user=trusting, memory_id=first.id)
    call(entries.add_memory, user=trusting, content="Has asthma", category="condition")
    with pytest.raises(Conflict) as caught:
        call(entries.restore_memory, user=trusting, memory_id=first.id)
    assert caught.value.code == "memory.already_active"
    assert len(active(call, trusting)) == 1

    [current] = active(call, trusting)
    pinned = call(entries.set_importance, user=trusting, memory_id=current.id, importance="critical")
    assert pinned.importance == "critical"
    unpinned = call(entries.set_importance, user=trusting, memory_id=current.id, importance=None)
    assert unpinned.importance == "high"  # a condition's usual importance

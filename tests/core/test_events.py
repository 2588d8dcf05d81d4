"""The event bus on the real database: a published event reaches a listener when its transaction commits
(never when it rolls back), an event over NOTIFY's limit travels as a stored id and arrives whole, bad
messages are ignored, and a handler that fails does not stop the next event."""

from __future__ import annotations

import asyncio
import json
import uuid

import psycopg
import pytest
from sqlmodel import select

from assistant.core import events
from assistant.core.db import session_scope
from assistant.models import EventPayload


def _collect(database_url: str, publish, count: int, timeout: float = 10) -> list[events.Event]:
    """Run a :class:`events.Listener`, call ``publish()`` in a thread once it listens, and return the first
    ``count`` events it handled."""

    async def main() -> list[events.Event]:
        received: list[events.Event] = []
        done = asyncio.Event()

        async def handler(event: events.Event) -> None:
            if event.payload.get("boom"):
                raise RuntimeError("handler failed")
            received.append(event)
            if len(received) >= count:
                done.set()

        listener = events.Listener(handler, url=database_url)
        task = asyncio.create_task(listener.run())
        try:
            await asyncio.wait_for(listener.ready.wait(), timeout)
            await asyncio.to_thread(publish)
            await asyncio.wait_for(done.wait(), timeout)
        finally:
            task.cancel()
        return received

    return asyncio.run(main())


def test_events_arrive_on_commit_in_order_and_never_on_rollback(database, db):
    alice, bob = uuid.uuid4(), uuid.uuid4()

    def publish() -> None:
        with pytest.raises(RuntimeError), session_scope() as session:
            events.publish([alice], "reminder", {"id": "rolled-back"}, session=session)
            raise RuntimeError("the transaction fails")
        with session_scope() as session:
            events.publish([alice, bob], "document", {"id": "1", "status": "processing"}, session=session)
            events.publish([alice], "document", {"boom": True}, session=session)
        events.publish([bob], "notification", {"id": "2"})
        events.publish([], "notification", {"id": "nobody"})

    received = _collect(database.url, publish, 2)
    assert [(e.topic, e.payload) for e in received] == [
        ("document", {"id": "1", "status": "processing"}), ("notification", {"id": "2"})]
    assert received[0].user_ids == frozenset({alice, bob}) and received[1].user_ids == frozenset({bob})


def test_an_event_over_the_notify_limit_is_sent_as_an_id_and_arrives_whole(database, db):
    user = uuid.uuid4()
    big = {"title": "Ж" * 5_000, "items": list(range(1_000))}
    assert len(events.encode([user], "report", big).encode()) > events.MAX_NOTIFY_BYTES

    with psycopg.connect(database.url, autocommit=True) as raw:
        raw.execute(f"LISTEN {events.CHANNEL}")
        received = _collect(database.url, lambda: events.publish([user], "report", big), 1)
        [note] = list(raw.notifies(timeout=1, stop_after=1))
    assert received == [events.Event(frozenset({user}), "report", big)]
    assert set(json.loads(note.payload)) == {"ref"}, "the message itself carries only the id"
    with session_scope() as session:
        [stored] = session.exec(select(EventPayload))
        assert str(stored.id) == json.loads(note.payload)["ref"]
        assert events.purge_stored_payloads(session) == 0, "kept for an hour"


def test_unknown_topics_are_refused_and_malformed_messages_ignored():
    with pytest.raises(ValueError, match="unknown event topic"):
        events.encode([uuid.uuid4()], "gossip", {})
    for message in ("", "not json", "[]", '{"u": ["x"], "t": "task", "p": {}}',
                    '{"u": [], "t": "gossip", "p": {}}', '{"u": [], "t": "task", "p": []}', '{"ref": "x"}'):
        assert events.decode(message) is None
    user = uuid.uuid4()
    assert events.decode(events.encode([user], "task", {"id": 1})) == events.Event(frozenset({user}), "task", {"id": 1})

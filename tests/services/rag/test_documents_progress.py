"""The web process learns of ingestion progress by LISTEN/NOTIFY, each user only of what they may see."""

from __future__ import annotations

import asyncio
import json

import psycopg
import pytest

from assistant.services.rag.progress import ProgressFeed

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def notify(url: str, **event) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_notify('document_progress', %s)", (json.dumps(event),))


async def test_watchers_get_their_own_and_their_collections_events_only(database):
    feed = ProgressFeed()
    async with feed.subscribe("ann", frozenset({"shared"})) as ann, feed.subscribe("bob", frozenset()) as bob:
        await asyncio.to_thread(notify, database.url, id="d1", owner_id="ann", collection_id=None, progress=40)
        await asyncio.to_thread(notify, database.url, id="d2", owner_id="admin", collection_id="shared", progress=5)
        await asyncio.to_thread(notify, database.url, id="d3", owner_id="bob", collection_id=None, progress=100)
        seen_by_ann = [await asyncio.wait_for(ann.get(), 5), await asyncio.wait_for(ann.get(), 5)]
        seen_by_bob = [await asyncio.wait_for(bob.get(), 5)]
        await asyncio.sleep(0.2)
        assert ann.empty() and bob.empty()
    assert [(e["id"], e["progress"]) for e in seen_by_ann] == [("d1", 40), ("d2", 5)]
    assert [e["id"] for e in seen_by_bob] == ["d3"]

"""Ingestion progress for the web process: one ``LISTEN document_progress`` connection per process,
fanned out to the open pages that watch documents, so nobody polls the database.

The worker sends ``NOTIFY document_progress`` after each step (payload in
:mod:`assistant.services.rag.paths`); :func:`watch` yields those a given user may see.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import psycopg

from assistant.core.db import database_url, libpq_url
from assistant.services.rag.paths import PROGRESS_CHANNEL

log = logging.getLogger(__name__)

#: Seconds before a lost LISTEN connection is opened again.
RECONNECT_SECONDS = 2.0


@dataclass(eq=False)
class _Subscriber:
    owner_id: str
    collection_ids: frozenset[str]
    queue: asyncio.Queue[dict[str, Any]]

    def wants(self, event: dict[str, Any]) -> bool:
        return event.get("owner_id") == self.owner_id or event.get("collection_id") in self.collection_ids


class ProgressFeed:
    """The process's listener; started by the first watcher, it lives as long as the event loop."""

    def __init__(self) -> None:
        self._subscribers: set[_Subscriber] = set()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def _listen(self) -> None:
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(libpq_url(database_url()), autocommit=True)
                async with conn:
                    await conn.execute(f"LISTEN {PROGRESS_CHANNEL}")
                    self._ready.set()
                    async for note in conn.notifies():
                        self._dispatch(note.payload)
            except (OSError, psycopg.Error):
                log.warning("document progress listener lost its connection; reconnecting", exc_info=True)
            self._ready.clear()
            await asyncio.sleep(RECONNECT_SECONDS)

    def _dispatch(self, payload: str) -> None:
        try:
            event = json.loads(payload)
        except ValueError:
            return
        for subscriber in list(self._subscribers):
            if subscriber.wants(event):
                subscriber.queue.put_nowait(event)

    @contextlib.asynccontextmanager
    async def subscribe(self, owner_id: str, collection_ids: frozenset[str]) -> AsyncIterator[
            asyncio.Queue[dict[str, Any]]]:
        """A queue of the progress events of ``owner_id``'s documents and of ``collection_ids``, while
        the context lasts; the listener is connected before it yields, so no event sent after is missed."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._listen())
        subscriber = _Subscriber(owner_id, collection_ids, asyncio.Queue())
        self._subscribers.add(subscriber)
        try:
            await asyncio.wait_for(self._ready.wait(), timeout=10)
            yield subscriber.queue
        finally:
            self._subscribers.discard(subscriber)


_feed: ProgressFeed | None = None


def feed() -> ProgressFeed:
    """The process's :class:`ProgressFeed` (created on first use, in the running event loop)."""
    global _feed
    if _feed is None:
        _feed = ProgressFeed()
    return _feed

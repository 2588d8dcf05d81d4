"""The event bus: any process publishes ``(user ids, topic, payload)``; every web process hands it to the
open tabs of those users.

Transport is PostgreSQL ``NOTIFY`` on the channel :data:`CHANNEL`
(https://www.postgresql.org/docs/16/sql-notify.html): a message published inside a transaction is
delivered when it commits (so a listener never sees rows that are not there yet) and not at all when it
rolls back; every session listening on the channel gets it, in every process. Each web process keeps
one ``LISTEN`` connection (:class:`Listener`) and dispatches each :class:`Event` to its handler.

Bounds and guarantees:

* Messages carry ids and small payloads only. A ``NOTIFY`` payload must be shorter than 8,000 bytes;
  an event whose message would exceed :data:`MAX_NOTIFY_BYTES` is stored in ``event_payloads`` and sent
  as its id, which the listener fetches (never dropped silently).
* Delivery is at most once to the processes listening at that moment: there is no replay. A tab that
  (re)connects loads the current state from the database, as every page does on load.
* Topics are the fixed set :data:`TOPICS`; publishing another is a programming error.

Wire format (JSON): ``{"u": ["<user uuid>", ...], "t": "<topic>", "p": {...}}``, or ``{"ref": "<uuid>"}``
for a stored payload.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg
from sqlalchemy import text
from sqlmodel import Session, col, delete

from assistant.core.db import affected_rows, database_url, in_session, libpq_url, session_scope
from assistant.models.base import utcnow
from assistant.models.platform import EventPayload

log = logging.getLogger(__name__)

#: The NOTIFY channel of the bus.
CHANNEL = "assistant_events"
#: The topics events may have: document progress, and those of the memory, reminders and reports issues.
TOPICS = frozenset({"document", "notification", "task", "reminder", "memory", "report"})
#: Longest NOTIFY message sent as is, in bytes of UTF-8 (PostgreSQL's limit is 8,000 by default).
MAX_NOTIFY_BYTES = 7_900
#: Stored payloads older than this are deleted by :func:`purge_stored_payloads`.
STORED_PAYLOAD_TTL = timedelta(hours=1)
#: Seconds before a lost LISTEN connection is opened again.
RECONNECT_SECONDS = 2.0


@dataclass(frozen=True)
class Event:
    """One published event: the users whose tabs receive it, its topic and a small JSON payload."""

    user_ids: frozenset[uuid.UUID]
    topic: str
    payload: dict[str, Any]


def encode(user_ids: Iterable[uuid.UUID], topic: str, payload: dict[str, Any]) -> str:
    """The NOTIFY message of an event (module docstring), without the size check.

    Raises:
        ValueError: ``topic`` is not one of :data:`TOPICS`.
        TypeError: ``payload`` is not JSON-serialisable.
    """
    if topic not in TOPICS:
        raise ValueError(f"unknown event topic {topic!r}")
    return json.dumps({"u": sorted(str(user_id) for user_id in user_ids), "t": topic, "p": payload},
                      separators=(",", ":"), ensure_ascii=False)


def publish(user_ids: Iterable[uuid.UUID], topic: str, payload: dict[str, Any], *,
            session: Session | None = None) -> None:
    """Send an event to the open tabs of ``user_ids``.

    With ``session`` the message goes out when that transaction commits (nothing if it rolls back);
    without, it is sent at once in a transaction of its own. No users: nothing is sent.

    Args:
        user_ids: the recipients (UUIDs).
        topic: one of :data:`TOPICS`.
        payload: JSON-serialisable, ids and small values; larger than :data:`MAX_NOTIFY_BYTES` once
            encoded, it is stored in ``event_payloads`` and sent as its id.

    Raises:
        ValueError: unknown topic. TypeError: payload not JSON-serialisable.
    """
    recipients = sorted(set(user_ids), key=str)
    if not recipients:
        return
    message = encode(recipients, topic, payload)
    if session is None:
        with session_scope() as own:
            _send(own, recipients, topic, payload, message)
    else:
        _send(session, recipients, topic, payload, message)


def _send(session: Session, recipients: list[uuid.UUID], topic: str, payload: dict[str, Any], message: str) -> None:
    if len(message.encode("utf-8")) > MAX_NOTIFY_BYTES:
        stored = EventPayload(user_ids=[str(user_id) for user_id in recipients], topic=topic, payload=payload)
        session.add(stored)
        session.flush()
        message = json.dumps({"ref": str(stored.id)})
    session.execute(text("SELECT pg_notify(:channel, :message)"), {"channel": CHANNEL, "message": message})


def decode(message: str) -> Event | uuid.UUID | None:
    """An :class:`Event` from a NOTIFY message, the id of a stored payload, or None for a malformed one."""
    try:
        data = json.loads(message)
        if "ref" in data:
            return uuid.UUID(data["ref"])
        users = frozenset(uuid.UUID(user_id) for user_id in data["u"])
        topic, payload = data["t"], data["p"]
    except (ValueError, KeyError, TypeError):
        return None
    if topic not in TOPICS or not isinstance(payload, dict):
        return None
    return Event(users, topic, payload)


def load_stored(session: Session, payload_id: uuid.UUID) -> Event | None:
    """The stored event ``payload_id`` (None once purged)."""
    stored = session.get(EventPayload, payload_id)
    if stored is None:
        return None
    return Event(frozenset(uuid.UUID(user_id) for user_id in stored.user_ids), stored.topic, stored.payload)


def purge_stored_payloads(session: Session) -> int:
    """Delete stored payloads older than :data:`STORED_PAYLOAD_TTL`; returns how many."""
    expired = col(EventPayload.created_at) < utcnow() - STORED_PAYLOAD_TTL
    return affected_rows(session.execute(delete(EventPayload).where(expired)))


Handler = Callable[[Event], Awaitable[None]]


class Listener:
    """A process's ``LISTEN`` connection: calls ``handler(event)`` for every event, in order.

    :meth:`run` reconnects after :data:`RECONNECT_SECONDS` when the connection is lost (events sent
    meanwhile are not replayed); a handler that raises is logged and the next event is handled.
    """

    def __init__(self, handler: Handler, *, url: str | None = None) -> None:
        self._handler = handler
        self._url = url
        self.ready = asyncio.Event()

    async def run(self) -> None:
        """Listen until cancelled."""
        while True:
            try:
                url = self._url if self._url is not None else await asyncio.to_thread(database_url)
                conn = await psycopg.AsyncConnection.connect(libpq_url(url), autocommit=True,
                                                             application_name="assistant-events")
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.ready.set()
                    log.debug("listening for events on %s", CHANNEL)
                    async for note in conn.notifies():
                        await self._dispatch(note.payload)
            except (OSError, psycopg.Error):
                log.warning("the event listener lost its database connection; reconnecting", exc_info=True)
            self.ready.clear()
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _dispatch(self, message: str) -> None:
        decoded = decode(message)
        if isinstance(decoded, uuid.UUID):
            payload_id = decoded
            decoded = await in_session(lambda session: load_stored(session, payload_id))
        if decoded is None:
            log.warning("ignored a malformed or expired event message (%d bytes)", len(message))
            return
        try:
            await self._handler(decoded)
        except Exception:
            log.exception("an event handler failed on a %s event", decoded.topic)

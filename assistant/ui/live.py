"""Live events to the open tabs of this web process (the web end of :mod:`assistant.core.events`).

:func:`listen_for_events` is a lifespan task of the app: one ``LISTEN`` connection per web process. For
each event it finds the tabs whose socket is connected to *this* process (with several web processes
and Reflex's Redis state manager every process listens, and each serves its own sockets) and whose
tokens belong to one of the event's users, and queues :meth:`LiveState.receive
<assistant.ui.state.live.LiveState.receive>` for each through Reflex's event processor, exactly as if
the tab had sent it: it runs under the tab's state lock, and the resulting delta goes to that tab.

No replay: an event reaches the tabs connected at that moment. A tab that reconnects (to this process
or another) is hydrated by Reflex and runs its page's ``on_load`` again, so it shows the current state
read from the database.

Cost: every event reads the signed-in account of each tab connected to this process (the access token
in its state, checked by signature, no database); fine for the tens of tabs of a household or team.
"""

from __future__ import annotations

import logging
from typing import Any

import reflex as rx
from reflex.istate.manager.token import BaseStateToken
from reflex_base.event import Event as ReflexEvent

from assistant.core import events
from assistant.ui.state.auth import AuthState
from assistant.ui.state.live import LiveState, tab_user

log = logging.getLogger(__name__)


async def listen_for_events(app: rx.App) -> None:
    """Lifespan task: deliver every event of the bus to this process's tabs until the app stops."""
    async def handle(event: events.Event) -> None:
        await deliver(app, event)

    await events.Listener(handle).run()


def _local_tabs(app: rx.App) -> list[str]:
    """Client tokens of the tabs whose socket is connected to this process (Reflex keeps every known
    socket in ``token_to_socket``; with Redis that includes other processes' sockets, marked by instance)."""
    namespace = app.event_namespace
    if namespace is None:
        return []
    manager = namespace._token_manager
    return [token for token, record in list(manager.token_to_socket.items())
            if record.instance_id == manager.instance_id]


async def deliver(app: rx.App, event: events.Event) -> int:
    """Queue :meth:`LiveState.receive` for each local tab of one of ``event.user_ids``; returns how many."""
    handler = f"{LiveState.get_full_name()}.receive"
    delivered = 0
    for token in _local_tabs(app):
        root = await app.state_manager.get_state(BaseStateToken(ident=token, cls=AuthState))
        auth = await root.get_state(AuthState)
        user_id = tab_user(auth.access_token)
        if user_id is None or user_id not in event.user_ids:
            continue
        payload: dict[str, Any] = {"topic": event.topic, "payload": event.payload, "user_id": str(user_id)}
        await app.event_processor.enqueue(token, ReflexEvent(name=handler, payload=payload))
        delivered += 1
    log.debug("a %s event went to %d tabs", event.topic, delivered)
    return delivered

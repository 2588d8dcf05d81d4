"""A minimal client of the app's event socket for ``scripts/bench_load.py``: one instance is one browser tab.

The compiled frontend talks to the backend over Socket.IO (Engine.IO 4, WebSocket transport only) at
``/_event/?token=<tab token>&EIO=4&transport=websocket``, namespace ``/_event``. It sends
``42/_event,["event", {"name": "<state path>.<handler>", "payload": {...}, "router_data": {...}}]`` and
receives ``42/_event,["event", {"delta": {<state path>: {<var>_rx_state_: value}}, "events": [...]}]``;
the server pings with ``2``, the client answers ``3``. The same approach as ``tests/support/event_socket.py``
(which the tests use to send what no page would send), kept here so the benchmark does not import the tests.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import aiohttp

NAMESPACE = "/_event"
#: Suffix of every state var name in deltas and in client-storage updates.
FIELD = "_rx_state_"
PREFIX = f"42{NAMESPACE},"


def state_names() -> dict[str, str]:
    """Full names of the states the benchmark addresses, as the frontend writes them (``root``, ``auth``,
    ``chat``, ``update_vars``, ``on_load``)."""
    from reflex.state import OnLoadInternalState, State, UpdateVarsInternalState

    from assistant.ui.state.auth import AuthState
    from assistant.ui.state.chat import ChatState

    return {
        "root": State.get_full_name(),
        "auth": AuthState.get_full_name(),
        "chat": ChatState.get_full_name(),
        "update_vars": UpdateVarsInternalState.get_full_name(),
        "on_load": OnLoadInternalState.get_full_name(),
    }


class Tab:
    """One open event socket: send events, read updates (each ``{"delta": ..., "events": [...]}``)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, names: dict[str, str]) -> None:
        self.ws = ws
        self.names = names

    async def update(self, timeout: float) -> dict[str, Any] | None:
        """The next update from the server (answering Engine.IO pings on the way); None after ``timeout``
        seconds without one.

        Raises:
            ConnectionError: the socket closed.
        """
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await self.ws.receive(timeout=left)
            except TimeoutError:
                return None
            if message.type != aiohttp.WSMsgType.TEXT:
                raise ConnectionError(f"event socket closed: {message.type!r} {message.data!r}")
            if message.data == "2":
                await self.ws.send_str("3")
            elif message.data.startswith(PREFIX):
                name, body = json.loads(message.data[len(PREFIX):])
                if name == "event":
                    return body
        return None

    async def until(self, found: Callable[[dict[str, Any]], bool], timeout: float, what: str) -> dict[str, Any]:
        """Read updates until ``found(update)``; return that update.

        Raises:
            TimeoutError: none matched within ``timeout`` seconds (``what`` names it in the message).
        """
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            body = await self.update(left)
            if body is not None and found(body):
                return body
        raise TimeoutError(f"no {what} within {timeout:.0f} s")

    def values(self, body: dict[str, Any], state: str) -> dict[str, Any]:
        """The vars an update sets on ``state`` (a key of :func:`state_names`), by name without the suffix."""
        delta = body.get("delta", {}).get(self.names[state], {})
        return {name.removesuffix(FIELD): value for name, value in delta.items()}

    async def send(self, name: str, payload: dict[str, Any] | None = None, path: str = "/chats") -> None:
        """Send one event; ``name`` is ``<state key>.<handler>`` (a key of :func:`state_names`), ``path`` the
        page the tab shows."""
        state, _, handler = name.rpartition(".")
        body = {"name": f"{self.names[state]}.{handler}", "payload": payload or {},
                "router_data": {"pathname": path, "asPath": path, "query": {}}}
        await self.ws.send_str(PREFIX + json.dumps(["event", body]))

    async def sign_in(self, access_token: str, refresh_token: str, timeout: float) -> None:
        """Put a token pair into the tab's storage as the browser does from LocalStorage and load ``/chats``;
        returns once the page shows the account."""
        auth = self.names["auth"]
        storage = {f"{auth}.access_token{FIELD}": access_token, f"{auth}.refresh_token{FIELD}": refresh_token}
        await self.send("update_vars.update_vars_internal", {"vars": storage})
        await self.send("on_load.on_load_internal")
        await self.until(lambda body: bool(self.values(body, "auth").get("user_email")), timeout, "signed-in page")


@asynccontextmanager
async def open_tab(base_url: str, origin: str, names: dict[str, str], timeout: float) -> AsyncIterator[Tab]:
    """Open the event socket of the backend at ``base_url`` as a new tab, sending ``origin`` as ``Origin``.

    Raises:
        aiohttp.WSServerHandshakeError: the server refused the handshake.
        ConnectionError: no Engine.IO open packet or no namespace connect.
    """
    parts = urlsplit(base_url)
    url = f"ws://{parts.hostname}:{parts.port}{NAMESPACE}/?token={uuid.uuid4()}&EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as client, \
            client.ws_connect(url, headers={"Origin": origin}, autoping=False, max_msg_size=0) as ws:
        opened = await ws.receive(timeout=timeout)
        if not str(opened.data).startswith("0{"):
            raise ConnectionError(f"no Engine.IO open packet: {opened.data!r}")
        await ws.send_str(f"40{NAMESPACE},")
        connected = await ws.receive(timeout=timeout)
        if not str(connected.data).startswith(f"40{NAMESPACE},"):
            raise ConnectionError(f"namespace refused: {connected.data!r}")
        yield Tab(ws, names)

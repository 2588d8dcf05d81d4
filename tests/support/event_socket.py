"""A raw connection to the app's event socket, for tests that send what no page of the app would send.

The compiled frontend talks to the backend over Socket.IO (Engine.IO 4, WebSocket transport only) at
``/_event/?token=<tab token>``, namespace ``/_event``: it sends ``["event", {"name": <state path>.<handler>,
"payload": {...}, "router_data": {...}}]`` and receives ``["event", {"delta": {<state path>: {<var>_rx_state_:
value}}, "events": [...]}]``. This module speaks the same frames with aiohttp, so a test can choose the
``Origin`` and ``X-Forwarded-For`` headers, the source address and every event name and payload.

Everything here is async; :func:`run` runs a coroutine on a fresh event loop in its own thread, so a
synchronous test can use it whatever loop Playwright has left in the main thread.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp

T = TypeVar("T")

NAMESPACE = "/_event"
#: Suffix of every state var name in deltas and in client-storage updates.
FIELD = "_rx_state_"


def run(coroutine: Coroutine[Any, Any, T], timeout: float = 180) -> T:
    """Run ``coroutine`` to completion on a new event loop in another thread and return its result."""
    outcome: dict[str, Any] = {}

    def _target() -> None:
        try:
            outcome["value"] = asyncio.run(asyncio.wait_for(coroutine, timeout))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=_target, daemon=True)
    thread.start()
    thread.join(timeout + 10)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class SocketRefused(Exception):
    """The server refused the WebSocket handshake."""

    def __init__(self, status: int) -> None:
        super().__init__(f"WebSocket handshake refused with HTTP {status}")
        self.status = status


def state_names() -> dict[str, str]:
    """Full names of the states the tests address, as the frontend writes them."""
    from reflex.state import OnLoadInternalState, State, UpdateVarsInternalState

    from assistant.ui.state.account import LoginState, ProfileState, RegisterState
    from assistant.ui.state.admin import AdminState
    from assistant.ui.state.auth import AuthState

    return {
        "root": State.get_full_name(),
        "auth": AuthState.get_full_name(),
        "login": LoginState.get_full_name(),
        "register": RegisterState.get_full_name(),
        "profile": ProfileState.get_full_name(),
        "admin": AdminState.get_full_name(),
        "update_vars": UpdateVarsInternalState.get_full_name(),
        "on_load": OnLoadInternalState.get_full_name(),
    }


class EventSocket:
    """One open event socket (one browser tab, as far as the server knows)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, token: str) -> None:
        self.ws = ws
        self.token = token
        self.names = state_names()
        self.storage: dict[str, str] = {}

    async def _frame(self, timeout: float) -> str | None:
        """The next Socket.IO frame, answering Engine.IO pings on the way; None on timeout."""
        while True:
            try:
                message = await self.ws.receive(timeout=timeout)
            except TimeoutError:
                return None
            if message.type != aiohttp.WSMsgType.TEXT:
                raise ConnectionError(f"event socket closed: {message.type!r} {message.data!r}")
            if message.data == "2":
                await self.ws.send_str("3")
                continue
            return message.data

    async def send(self, name: str, payload: dict | None = None, path: str = "/chats") -> None:
        """Send one event; ``name`` is ``<state key>.<handler>`` (see :func:`state_names`) or a full name."""
        state, _, handler = name.rpartition(".")
        full = f"{self.names.get(state, state)}.{handler}"
        body = {"name": full, "payload": payload or {}, "router_data": {"pathname": path, "asPath": path}}
        await self.ws.send_str(f"42{NAMESPACE}," + json.dumps(["event", body]))

    async def updates(self, quiet: float = 1.0) -> list[dict]:
        """Every update received until the server has been quiet for ``quiet`` seconds."""
        received = []
        while (frame := await self._frame(quiet)) is not None:
            if frame.startswith(f"42{NAMESPACE},"):
                name, body = json.loads(frame[len(NAMESPACE) + 3 :])
                if name == "event":
                    received.append(body)
        return received

    async def wait_for(self, state: str, var: str, timeout: float = 30) -> dict[str, Any]:
        """Wait for a delta that sets ``var`` on ``state``; returns every var that delta sets on ``state``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        key = self.names.get(state, state)
        while (left := deadline - loop.time()) > 0:
            frame = await self._frame(left)
            if frame is None:
                break
            if frame.startswith(f"42{NAMESPACE},"):
                _, body = json.loads(frame[len(NAMESPACE) + 3 :])
                values = body.get("delta", {}).get(key, {})
                if var + FIELD in values:
                    return {name.removesuffix(FIELD): value for name, value in values.items()}
        raise TimeoutError(f"no update of {state}.{var} within {timeout} s")

    async def state(self, state: str = "auth") -> dict[str, Any]:
        """The server's current values of ``state``'s vars (by name, without the suffix), read through
        the hydrate event the frontend sends on every (re)connect; events sent before are handled first.

        Hydration resets the browser-storage vars (the frontend sends them again), so this puts back
        the tokens :meth:`sign_in` stored and their values are not part of the answer."""
        await self.updates(quiet=0.5)
        await self.send("root.hydrate")
        key = self.names.get(state, state)
        dump = None
        while dump is None and (frame := await self._frame(30)) is not None:
            if frame.startswith(f"42{NAMESPACE},"):
                _, body = json.loads(frame[len(NAMESPACE) + 3 :])
                values = body.get("delta", {}).get(key)
                if values and len(values) > 2:  # the full dump, not a single var's update
                    dump = {name.removesuffix(FIELD): value for name, value in values.items()}
        if dump is None:
            raise TimeoutError("no hydrate reply")
        if self.storage:
            await self.send("update_vars.update_vars_internal", {"vars": self.storage})
            await self.updates(quiet=0.5)
        return dump

    async def sign_in(self, access_token: str, refresh_token: str, path: str = "/chats") -> dict[str, Any]:
        """Put a token pair into the tab's storage as the browser does from LocalStorage, load ``path``
        and return what the page then shows of the account (``user_email``, ``user_role``, ``is_admin``)."""
        auth = self.names["auth"]
        self.storage = {f"{auth}.access_token{FIELD}": access_token, f"{auth}.refresh_token{FIELD}": refresh_token}
        await self.send("update_vars.update_vars_internal", {"vars": self.storage}, path=path)
        await self.send("on_load.on_load_internal", path=path)
        shown = await self.wait_for("auth", "user_email")
        for update in await self.updates(quiet=0.5):
            values = update.get("delta", {}).get(auth, {})
            shown.update({name.removesuffix(FIELD): value for name, value in values.items()})
        return shown


@asynccontextmanager
async def event_socket(
    base_url: str,
    *,
    origin: str | None = "same",
    headers: dict[str, str] | None = None,
    local_address: str | None = None,
) -> AsyncIterator[EventSocket]:
    """Open the event socket of the app at ``base_url`` as a new tab.

    Args:
        origin: the ``Origin`` header; ``"same"`` for ``base_url``'s own origin, None for none at all.
        headers: more handshake headers (``X-Forwarded-For``, say).
        local_address: the source address to connect from (any of 127.0.0.0/8 works on Linux).

    Raises:
        SocketRefused: the server refused the handshake (its HTTP status is in ``status``).
    """
    parts = urlsplit(base_url)
    handshake = dict(headers or {})
    if origin is not None:
        handshake["Origin"] = f"{parts.scheme}://{parts.netloc}" if origin == "same" else origin
    token = str(uuid.uuid4())
    host = parts.hostname if local_address is None else "127.0.0.1"
    url = f"ws://{host}:{parts.port}{NAMESPACE}/?token={token}&EIO=4&transport=websocket"
    connector = aiohttp.TCPConnector(local_addr=(local_address, 0) if local_address else None)
    async with aiohttp.ClientSession(connector=connector) as client:
        try:
            ws = await client.ws_connect(url, headers=handshake, autoping=False)
        except aiohttp.WSServerHandshakeError as exc:
            raise SocketRefused(exc.status) from exc
        async with ws:
            opened = await ws.receive(timeout=20)
            if not str(opened.data).startswith("0{"):
                raise ConnectionError(f"no Engine.IO open packet: {opened.data!r}")
            await ws.send_str(f"40{NAMESPACE},")
            connected = await ws.receive(timeout=20)
            if not str(connected.data).startswith(f"40{NAMESPACE},"):
                raise SocketRefused(403 if str(connected.data).startswith(f"44{NAMESPACE}") else 0)
            yield EventSocket(ws, token)

"""The log context of an HTTP request (see :mod:`assistant.core.logging`): a request id (the client's
``X-Request-ID`` when it is plain and short, else a new one), sent back in ``X-Request-ID``; the signed-in
user's id is added by :func:`assistant.api.deps.get_current_user` once known. Each request ends with a
DEBUG line ``GET /path -> 200 in 12 ms`` (logger ``assistant.api``) that carries both."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.core.logging import log_context, new_request_id

log = logging.getLogger("assistant.api")

REQUEST_ID_HEADER = b"x-request-id"


class RequestContext:
    """ASGI middleware: every HTTP request runs inside ``log_context(request_id=...)`` (module docstring);
    WebSocket and lifespan traffic pass through unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = dict(scope.get("headers") or []).get(REQUEST_ID_HEADER, b"").decode("latin-1")
        request_id = new_request_id(offered)
        started, status = time.monotonic(), 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != REQUEST_ID_HEADER]
                message = {**message, "headers": [*headers, (REQUEST_ID_HEADER, request_id.encode("ascii"))]}
            await send(message)

        with log_context(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                log.debug("%s %s -> %d in %.0f ms", scope.get("method", ""), scope.get("path", ""), status,
                          (time.monotonic() - started) * 1000)

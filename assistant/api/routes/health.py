"""``GET /health``: the instance's health for load balancers, compose and monitoring (no sign-in, nothing
secret). Served at the root of the backend, beside Reflex's own ``/ping``."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from assistant.services.admin.system import Health, check_health

router = APIRouter(tags=["health"])

#: Seconds one process reuses a health result: callers hammering the unauthenticated route cost at most one
#: database connection per this many seconds.
CACHE_SECONDS = 1.0
_lock = threading.Lock()
_last: tuple[float, Health] | None = None


def _recent_health() -> Health:
    """The last result if it is under :data:`CACHE_SECONDS` old, else a new check (one at a time)."""
    global _last
    with _lock:
        if _last is None or time.monotonic() - _last[0] > CACHE_SECONDS:
            _last = (time.monotonic(), check_health())
        return _last[1]


def health_body(health: Health) -> dict[str, Any]:
    """The JSON of :class:`~assistant.services.admin.system.Health` without host names, process ids or error
    texts: ``{"status": "ok"|"failing", "failing": [names], "checks": {name: {"ok", "detail"}},
    "workers": [{"leader", "live", "age_seconds", "services": {name: state}}]}``."""
    return {
        "status": "ok" if health.ok else "failing",
        "failing": health.failing,
        "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in health.checks},
        "workers": [{"leader": w.is_leader, "live": w.live, "age_seconds": w.age_seconds, "services": w.services}
                    for w in health.workers],
    }


@router.get("/health", responses={200: {"description": "Every part is healthy"},
                                  503: {"description": "A part is failing; `failing` names it"}})
async def health() -> JSONResponse:
    """Database reachable, migrations at head, a live worker, the leader's scheduler (and Telegram bot when a
    token is stored) running, the embedding model ready: 200 when all are, else 503 naming the failing ones."""
    result = await asyncio.to_thread(_recent_health)
    return JSONResponse(health_body(result), status_code=200 if result.ok else 503,
                        headers={"Cache-Control": "no-store"})

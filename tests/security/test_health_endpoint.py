"""``GET /health`` on the running app (`assistant run --prebuilt`: the web app and its worker), as a load
balancer or compose sees it: served at the root beside ``/ping`` without signing in, 200 once the worker leads,
and nothing in it that names a host, a process or a secret; every response names its request id."""

from __future__ import annotations

import time

import httpx
from support.live_app import LiveApp


def test_health_at_the_root_without_sign_in_and_without_secrets(live_app: LiveApp) -> None:
    deadline = time.monotonic() + 120
    while True:
        response = httpx.get(f"{live_app.url}/health", timeout=30)
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok" and body["failing"] == []
    assert {"database", "migrations", "worker", "scheduler", "embeddings"} <= set(body["checks"])
    assert response.headers["cache-control"] == "no-store"
    text = response.text
    assert live_app.jwt_secret not in text and "postgresql://" not in text and "hostname" not in text
    assert all(set(worker) == {"leader", "live", "age_seconds", "services"} for worker in body["workers"])

    # A plain client-chosen request id comes back; a forged one (a log line in disguise) is replaced.
    with live_app.api() as client:
        plain = client.get("/auth/me", headers={"X-Request-ID": "probe-42"})
        forged = client.get("/auth/me", headers={"X-Request-ID": 'x" "level": "ERROR'})
    assert plain.status_code == 401 and plain.headers["x-request-id"] == "probe-42"
    assert forged.headers["x-request-id"] != 'x" "level": "ERROR' and len(forged.headers["x-request-id"]) == 16

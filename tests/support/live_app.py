"""The shared running app of ``tests/security`` (the ``live_app`` fixture there) and how tests talk to it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from support.browser import PASSWORD

#: The reverse proxy the shared app trusts; connect from it with ``local_address=PROXY``.
PROXY = "127.0.0.2"
MAX_FAILURES_PER_ADDRESS = 6
MAX_FAILURES_PER_ACCOUNT = 5  # the default
#: Seconds the shared app makes a client wait after its free failures (the default is 2).
LOGIN_DELAY_SECONDS = 60
OWNER = "owner@example.org"


@dataclass(frozen=True)
class LiveApp:
    """The shared running app: ``url`` is what the browser opens, ``jwt_secret`` its signing key."""

    url: str
    jwt_secret: str

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 80

    def api(self, *, local_address: str | None = None, **headers: str) -> httpx.Client:
        """An HTTP client for ``/api/v1``, connecting from ``local_address`` when given."""
        transport = httpx.HTTPTransport(local_address=local_address) if local_address else None
        host = "127.0.0.1" if local_address else urlsplit(self.url).hostname
        return httpx.Client(base_url=f"http://{host}:{self.port}/api/v1", transport=transport, headers=headers,
                            timeout=60)

    def register(self, email: str, password: str = PASSWORD, **extra: object) -> httpx.Response:
        with self.api() as client:
            return client.post("/auth/register", json={"email": email, "password": password, **extra})

    def login(self, email: str, password: str = PASSWORD) -> dict:
        """Sign in through the API (from 127.0.0.1, never throttled by these tests) and return the tokens."""
        with self.api() as client:
            response = client.post("/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return response.json()

    def account(self, email: str, password: str = PASSWORD) -> dict:
        """Register ``email`` (a plain user) and sign it in; returns the login response."""
        response = self.register(email, password, display_name=email.split("@")[0])
        assert response.status_code == 201, response.text
        return self.login(email, password)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}

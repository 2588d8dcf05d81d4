"""Login throttling on the running app, attacked by rotating addresses.

The app lets 5 failed logins per account (since its last success) and 6 per client address (20 by default)
pass over 15 minutes; after that each try waits a delay (60 s here, doubling per further failure, capped),
and a try made during the delay is refused with 429 and the seconds to wait, never a lockout. The client
address is the TCP peer; ``X-Forwarded-For`` is believed only from a configured reverse proxy
(``ASSISTANT_TRUSTED_PROXIES``, here 127.0.0.2), and then only its last untrusted hop.

* A direct client that sends a new ``X-Forwarded-For`` with every try is still one address and is
  delayed, over the REST API and over the sign-in page's socket.
* Behind the trusted proxy each forwarded client has its own count: the guesser is delayed, a neighbour
  behind the same proxy is not, and a hop the guesser prepends does not help.
* Guessing one account's password from ever new addresses (and spellings of its e-mail) is delayed by
  the per-account count, even for the right password right afterwards; other accounts are unaffected.

Each test connects from its own loopback address (127.0.0.0/8 all reaches the app on Linux), because the
app is shared and counts per address.
"""

from __future__ import annotations

import asyncio

from support.browser import PASSWORD
from support.event_socket import FIELD, event_socket, run
from support.live_app import LOGIN_DELAY_SECONDS, MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS, PROXY, LiveApp

TOO_MANY = "Too many failed sign-in attempts"


def login(live_app: LiveApp, email: str, password: str, *, source: str, forwarded_for: str | None = None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    with live_app.api(local_address=source, **headers) as client:
        return client.post("/auth/login", json={"email": email, "password": password})


def test_rotating_forwarded_for_from_a_direct_client_does_not_escape_the_address_limit(live_app: LiveApp) -> None:
    live_app.account("bystander-a@example.org")
    source = "127.0.0.3"  # not the trusted proxy
    for i in range(MAX_FAILURES_PER_ADDRESS):
        response = login(live_app, f"guess{i}@example.org", "wrong-pass-1", source=source,
                         forwarded_for=f"203.0.113.{i + 1}")
        assert response.status_code == 401

    # A fresh forwarded address, a real account and its right password: still this client, still stopped.
    blocked = login(live_app, "bystander-a@example.org", PASSWORD, source=source, forwarded_for="198.51.100.200")
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "auth.too_many_attempts"
    assert TOO_MANY in blocked.json()["detail"]
    assert 0 < int(blocked.headers["Retry-After"]) <= LOGIN_DELAY_SECONDS
    # Only that client: the account signs in from elsewhere.
    assert login(live_app, "bystander-a@example.org", PASSWORD, source="127.0.0.4").status_code == 200


def test_behind_the_trusted_proxy_each_forwarded_client_has_its_own_count(live_app: LiveApp) -> None:
    live_app.account("neighbour@example.org")
    guesser, neighbour = "198.51.100.66", "198.51.100.77"
    for i in range(MAX_FAILURES_PER_ADDRESS):
        response = login(live_app, f"proxied-guess{i}@example.org", "wrong-pass-1", source=PROXY,
                         forwarded_for=guesser)
        assert response.status_code == 401

    assert login(live_app, "neighbour@example.org", PASSWORD, source=PROXY, forwarded_for=guesser).status_code == 429
    assert login(live_app, "neighbour@example.org", PASSWORD, source=PROXY, forwarded_for=neighbour).status_code == 200
    # The guesser writes the neighbour's address in front; the proxy appends the real one, which counts.
    spoofed = login(live_app, "neighbour@example.org", PASSWORD, source=PROXY,
                    forwarded_for=f"{neighbour}, {guesser}")
    assert spoofed.status_code == 429
    # And the proxy itself, seen as a client, is not blamed for its clients' failures.
    assert login(live_app, "neighbour@example.org", PASSWORD, source=PROXY).status_code == 200


def test_one_account_cannot_be_guessed_from_rotating_addresses(live_app: LiveApp) -> None:
    live_app.account("target@example.org")
    live_app.account("other-target@example.org")
    spellings = ["target@example.org", "TARGET@example.org", " target@example.org ", "Target@Example.Org"]
    for i in range(MAX_FAILURES_PER_ACCOUNT):
        if i % 2:  # directly, from a new address each time
            response = login(live_app, spellings[i % 4], f"guess-{i}-x", source=f"127.0.0.{20 + i}")
        else:  # through the trusted proxy, a new forwarded address each time
            response = login(live_app, spellings[i % 4], f"guess-{i}-x", source=PROXY,
                             forwarded_for=f"192.0.2.{20 + i}")
        assert response.status_code == 401

    # Now even the right password, from addresses never seen, has to wait for this account...
    assert login(live_app, "target@example.org", PASSWORD, source="127.0.0.30").status_code == 429
    assert login(live_app, "target@example.org", PASSWORD, source=PROXY, forwarded_for="192.0.2.99").status_code == 429
    # ...and only for this one.
    assert login(live_app, "other-target@example.org", PASSWORD, source="127.0.0.30").status_code == 200


async def _socket_login(live_app: LiveApp, email: str, password: str, *, source: str, forwarded_for: str) -> str:
    """Sign in through the login page's event on a new socket; returns the form's error or "signed in"."""
    async with event_socket(live_app.url, local_address=source, headers={"X-Forwarded-For": forwarded_for}) as tab:
        await tab.send("login.submit", {"form": {"email": email, "password": password}}, path="/login")
        login_key, auth_key = tab.names["login"], tab.names["auth"]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while loop.time() < deadline:
            for update in await tab.updates(quiet=0.5):
                delta = update.get("delta", {})
                if delta.get(auth_key, {}).get("access_token" + FIELD):
                    return "signed in"
                if error := delta.get(login_key, {}).get("form_error" + FIELD):
                    return error
        raise TimeoutError("the login form never answered")


def test_the_sign_in_page_holds_with_rotating_forwarded_for(live_app: LiveApp) -> None:
    live_app.account("page-bystander@example.org")
    source = "127.0.0.40"
    for i in range(MAX_FAILURES_PER_ADDRESS):
        answer = run(_socket_login(live_app, f"page-guess{i}@example.org", "wrong-pass-1", source=source,
                                   forwarded_for=f"203.0.113.{100 + i}"))
        assert answer == "Wrong e-mail or password."
    answer = run(_socket_login(live_app, "page-bystander@example.org", PASSWORD, source=source,
                               forwarded_for="203.0.113.250"))
    assert answer.startswith(TOO_MANY)


def test_the_sign_in_page_counts_each_client_behind_the_trusted_proxy(live_app: LiveApp) -> None:
    live_app.account("page-neighbour@example.org")
    for i in range(MAX_FAILURES_PER_ADDRESS):
        answer = run(_socket_login(live_app, f"page-proxied{i}@example.org", "wrong-pass-1", source=PROXY,
                                   forwarded_for="198.51.100.166"))
        assert answer == "Wrong e-mail or password."
    blocked = run(_socket_login(live_app, "page-neighbour@example.org", PASSWORD, source=PROXY,
                                forwarded_for="198.51.100.166"))
    assert blocked.startswith(TOO_MANY)
    allowed = run(_socket_login(live_app, "page-neighbour@example.org", PASSWORD, source=PROXY,
                                forwarded_for="198.51.100.177"))
    assert allowed == "signed in"

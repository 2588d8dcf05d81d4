"""Attacks on the running app (`assistant run` on a fresh data folder, as `make run` starts it) and on its
services: the fixtures of the browser tests (``tests/support/app.py``), the database ones of
``tests/conftest.py``, and ``live_app``.

``live_app`` (module) is one app for the account, token, throttling, socket, upload and id tests (a fresh
instance, on the port of the run's one frontend build, kept running from one of these modules to the next:
``tests/conftest.py`` runs them one after another), started with what an operator would configure and
a test needs to know: a JWT secret from the environment, a reverse proxy at ``127.0.0.2``
(``ASSISTANT_TRUSTED_PROXIES``) and six failed logins per address (the default is 20; fewer keep the
bcrypt work short). Its first account, the superadmin, exists before any
test runs, so every account a test registers is a plain user. Tests (of all these modules) share it, so each
uses its own e-mail addresses and its own source address (any of 127.0.0.0/8) for anything that counts
failures.

The app module is imported here, in the main thread, before any test runs: Reflex registers every state
class in a context variable of the thread that first imports it, so a state module first imported in an
event-socket thread or an async test would leave its subclasses unregistrable from the main thread
(``LookupError: RegistrationContext``) and a test's result would depend on which tests ran before it.
"""

from __future__ import annotations

import secrets
from contextlib import ExitStack

import pytest
from support.app import app_url, kept_app, patient_expect, shot, start_app  # noqa: F401 - fixtures
from support.live_app import LOGIN_DELAY_SECONDS, MAX_FAILURES_PER_ADDRESS, OWNER, PROXY, LiveApp

import assistant.assistant  # noqa: F401 - every page and state registered in the main thread, as the server does


@pytest.fixture(scope="module")
def live_app(start_app) -> LiveApp:  # noqa: F811 - the imported fixture
    def _start(stack: ExitStack) -> LiveApp:
        secret = secrets.token_urlsafe(48)
        settings = {
            "ASSISTANT_JWT_SECRET": secret,
            "ASSISTANT_TRUSTED_PROXIES": PROXY,
            "ASSISTANT_LOGIN_FREE_FAILURES_PER_ADDRESS": str(MAX_FAILURES_PER_ADDRESS),
            # The first delay after the free failures outlasts any test's next try on a busy machine.
            "ASSISTANT_LOGIN_DELAY_FIRST_SECONDS": str(LOGIN_DELAY_SECONDS),
        }
        app = LiveApp(url=stack.enter_context(start_app(settings)), jwt_secret=secret)
        first = app.register(OWNER, display_name="Owner")
        assert first.status_code == 201 and first.json()["role"] == "superadmin", first.text
        return app

    return kept_app("security live_app", _start)

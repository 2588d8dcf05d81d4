"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for tests of the e-mail channel.

``with smtp_server(username="mailer", password="s3cret") as server:`` listens on ``server.port`` (plain SMTP,
AUTH PLAIN/LOGIN allowed without TLS, required when a username is given); ``server.messages`` are the received
mails as :class:`email.message.EmailMessage`; ``server.wait_for(n)`` waits for the n-th; ``server.stop()`` and
``server.start()`` take it down and up again on the same port (an SMTP outage).
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpServer:
    """The receiving server (module docstring)."""

    def __init__(self, username: str | None, password: str | None) -> None:
        self.username, self.password = username, password
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 Message accepted"

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = (isinstance(data, LoginPassword) and data.login.decode() == self.username
              and data.password.decode() == self.password)
        return AuthResult(success=ok, handled=False)

    def start(self) -> None:
        auth = self.username is not None
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, auth_require_tls=False,
                                      authenticator=self._authenticate if auth else None,
                                      auth_required=auth)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        """The received mails once there are at least ``count``; AssertionError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.1)
        raise AssertionError(f"expected {count} mail(s) within {timeout}s, got {len(self.messages)}")


@contextmanager
def smtp_server(*, username: str | None = None, password: str | None = None) -> Iterator[SmtpServer]:
    """A running :class:`SmtpServer`, stopped on leaving."""
    server = SmtpServer(username, password)
    server.start()
    try:
        yield server
    finally:
        server.stop()

"""The e-mail channel against a real SMTP server on loopback (aiosmtpd): what arrives, and what each failure says."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from support.smtp_server import SmtpServer, free_port, smtp_server

from assistant.core.errors import Forbidden, InvalidInput
from assistant.models import Notification, User
from assistant.models.reminder import Reminder
from assistant.models.user import Role
from assistant.services.channels import DeliveryError
from assistant.services.channels.config import SmtpConfig, TlsMode, save_smtp
from assistant.services.channels.email import deliver, send_mail, send_test_mail

SENDER = "assistant@example.org"


@pytest.fixture
def server():
    with smtp_server(username="mailer", password="s3cret-pass") as running:
        yield running


def _configure(call, admin: User, server: SmtpServer, *, password: str = "s3cret-pass", port: int | None = None,
               host: str = "127.0.0.1") -> None:
    call(save_smtp, actor=admin, host=host, port=port or server.port, tls=TlsMode.NONE.value, username="mailer",
         sender=SENDER, password=password)


def _verified(call, user: User, *, language: str = "en", timezone: str = "UTC") -> User:
    def _set(*, session):
        row = session.get(User, user.id)
        row.email_verified_at = datetime.now(UTC)
        row.language, row.timezone = language, timezone
        session.add(row)
        session.flush()
        return row

    return call(_set)


def _notification(call, user: User, *, title: str, body: str = "", reminder: Reminder | None = None,
                  occurrence_at: datetime | None = None) -> Notification:
    def _add(*, session):
        row = Notification(user_id=user.id, type="reminder", channel="email", title=title, body=body,
                           reminder_id=reminder.id if reminder else None, occurrence_at=occurrence_at)
        session.add(row)
        session.flush()
        return row

    return call(_add)


def test_a_notification_arrives_with_headers_and_both_bodies(call, make_user, server):
    admin = make_user(role=Role.ADMIN)
    user = _verified(call, make_user(), language="ru", timezone="Europe/Berlin")
    _configure(call, admin, server)
    occurrence = datetime(2026, 7, 1, 6, 30, tzinfo=UTC)
    notification = _notification(call, user, title="Take the <script>alert(1)</script> pill",
                                 body="Two tablets **after** breakfast <img src=x onerror=alert(2)>",
                                 occurrence_at=occurrence)

    reply = call(deliver, notification=notification, user=user)

    assert "Message accepted" in reply
    mail = server.wait_for(1)[0]
    assert mail["From"] == SENDER
    assert mail["To"] == user.email
    assert mail["Subject"] == "Take the <script>alert(1)</script> pill"
    assert server.envelopes[0] == (SENDER, [user.email])
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Take the <script>alert(1)</script> pill" in text
    assert "Two tablets **after** breakfast" in text
    assert "08:30" in text and "Europe/Berlin" in text and "Когда" in text  # Berlin summer time, in Russian
    assert "http://" in text and "/notifications" in text
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<strong>after</strong>" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html  # shown as text, never a tag
    assert "/notifications" in html and "08:30" in html


def test_the_occurrence_is_shown_in_the_reminder_s_zone(call, make_user, server):
    admin = make_user(role=Role.ADMIN)
    user = _verified(call, make_user(), timezone="UTC")
    _configure(call, admin, server)
    occurrence = datetime(2026, 1, 10, 14, 0, tzinfo=UTC)

    def _reminder(*, session):
        row = Reminder(user_id=user.id, title="Call", timezone="Asia/Tokyo", starts_at=datetime(2026, 1, 10, 23, 0))
        session.add(row)
        session.flush()
        return row

    reminder = call(_reminder)
    notification = _notification(call, user, title="Call", reminder=reminder, occurrence_at=occurrence)
    call(deliver, notification=notification, user=user)
    text = server.wait_for(1)[0].get_body(("plain",)).get_content()
    assert "11:00" in text and "Asia/Tokyo" in text


def test_an_unverified_address_gets_nothing(call, make_user, server):
    admin = make_user(role=Role.ADMIN)
    user = make_user()
    _configure(call, admin, server)
    notification = _notification(call, user, title="Hello")
    with pytest.raises(DeliveryError) as caught:
        call(deliver, notification=notification, user=user)
    assert not caught.value.retryable
    assert "not verified" in caught.value.reason
    assert server.messages == []


def test_nothing_is_sent_without_smtp_settings(call, make_user):
    user = _verified(call, make_user())
    notification = _notification(call, user, title="Hello")
    with pytest.raises(DeliveryError) as caught:
        call(deliver, notification=notification, user=user)
    assert not caught.value.retryable and "not configured" in caught.value.reason


def test_a_wrong_password_gives_the_535_reply_and_is_not_retried(call, make_user, server, caplog):
    admin = make_user(role=Role.ADMIN)
    user = _verified(call, make_user())
    _configure(call, admin, server, password="wrong-Passw0rd")
    notification = _notification(call, user, title="Hello")
    with caplog.at_level("DEBUG"), pytest.raises(DeliveryError) as caught:
        call(deliver, notification=notification, user=user)
    assert caught.value.reason.startswith("535")
    assert not caught.value.retryable
    assert "wrong-Passw0rd" not in caught.value.reason
    assert "wrong-Passw0rd" not in caplog.text and "535" in caplog.text
    assert server.messages == []


def test_smtp_down_is_retryable_and_up_again_delivers(call, make_user, server):
    admin = make_user(role=Role.ADMIN)
    user = _verified(call, make_user())
    _configure(call, admin, server)
    notification = _notification(call, user, title="Hello\r\nBcc: victim@example.com")
    server.stop()
    with pytest.raises(DeliveryError) as caught:
        call(deliver, notification=notification, user=user)
    assert caught.value.retryable
    assert f"cannot connect to 127.0.0.1:{server.port}" in caught.value.reason
    server.start()
    call(deliver, notification=notification, user=user)
    mail = server.wait_for(1)[0]
    assert mail["Subject"] == "Hello Bcc: victim@example.com" and mail["Bcc"] is None
    assert server.envelopes == [(SENDER, [user.email])]


def test_a_4xx_reply_is_retryable_and_a_5xx_is_not():
    class Refusing(SmtpServer):
        code = "451 4.3.0 Try again later"

        async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802 - aiosmtpd hook
            return self.code

    refusing = Refusing(None, None)
    refusing.start()
    try:
        config = SmtpConfig(host="127.0.0.1", port=refusing.port, tls=TlsMode.NONE, username="", password="",
                            sender=SENDER)
        with pytest.raises(DeliveryError) as temporary:
            asyncio.run(send_mail(config, to="a@example.com", subject="s", text="t", html="<p>t</p>"))
        assert temporary.value.retryable and temporary.value.reason == "451 4.3.0 Try again later"
        refusing.code = "550 5.1.1 No such user"
        with pytest.raises(DeliveryError) as permanent:
            asyncio.run(send_mail(config, to="a@example.com", subject="s", text="t", html="<p>t</p>"))
        assert not permanent.value.retryable and permanent.value.reason == "550 5.1.1 No such user"
    finally:
        refusing.stop()


def test_the_test_mail_reaches_the_admin_and_says_what_failed(call, make_user, server):
    admin = make_user(role=Role.ADMIN)
    _configure(call, admin, server)
    reply = call(send_test_mail, actor=admin)
    assert "Message accepted" in reply
    mail = server.wait_for(1)[0]
    assert mail["To"] == admin.email and mail["From"] == SENDER
    assert f"127.0.0.1:{server.port}" in mail.get_body(("plain",)).get_content()

    _configure(call, admin, server, password="not-the-Passw0rd")
    with pytest.raises(InvalidInput) as wrong_password:
        call(send_test_mail, actor=admin)
    assert wrong_password.value.code == "email.test_failed"
    assert wrong_password.value.params["reason"].startswith("535")

    closed = free_port()
    _configure(call, admin, server, port=closed)
    with pytest.raises(InvalidInput) as wrong_host:
        call(send_test_mail, actor=admin)
    assert wrong_host.value.params["reason"].startswith(f"cannot connect to 127.0.0.1:{closed}")
    assert len(server.messages) == 1


def test_only_admins_send_test_mails(call, make_user, server):
    admin = make_user(role=Role.ADMIN)
    _configure(call, admin, server)
    with pytest.raises(Forbidden):
        call(send_test_mail, actor=make_user())
    assert server.messages == []


def test_a_slow_server_times_out_as_retryable(configure, call, make_user):
    configure(channel_timeout_seconds=1)

    class Silent(SmtpServer):
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
            await asyncio.sleep(3)
            return "250 OK"

    silent = Silent(None, None)
    silent.start()
    try:
        config = SmtpConfig(host="127.0.0.1", port=silent.port, tls=TlsMode.NONE, username="", password="",
                            sender=SENDER)
        with pytest.raises(DeliveryError) as caught:
            asyncio.run(send_mail(config, to="a@example.com", subject="s", text="t", html="<p>t</p>"))
        assert caught.value.retryable and caught.value.reason.startswith("timed out")
    finally:
        silent.stop()

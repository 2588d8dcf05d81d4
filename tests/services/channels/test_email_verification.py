"""Verifying an account's address through the link in a real mail (aiosmtpd on loopback)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import text as sql
from support.smtp_server import smtp_server

from assistant.core.errors import InvalidInput
from assistant.models import Notification, User
from assistant.models.user import Role
from assistant.services.channels import DeliveryError, available_channels
from assistant.services.channels.config import TlsMode, save_smtp
from assistant.services.channels.email import deliver
from assistant.services.channels.verification import send_verification, verify_email

SENDER = "assistant@example.org"


@pytest.fixture
def server(call, make_user):
    with smtp_server() as running:
        call(save_smtp, actor=make_user(role=Role.ADMIN), host="127.0.0.1", port=running.port,
             tls=TlsMode.NONE.value, username="", sender=SENDER, password=None)
        yield running


def _fresh(call, user: User) -> User:
    return call(lambda *, session: session.get(User, user.id))


def _link_code(server, index: int) -> str:
    mail = server.wait_for(index + 1)[index]
    text = mail.get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/verify-email\?code=\S+", text)
    assert link is not None, text
    html = mail.get_body(("html",)).get_content()
    assert link.group(0) in html
    return parse_qs(urlsplit(link.group(0)).query)["code"][0]


def test_the_link_verifies_once_and_then_mail_is_delivered(call, make_user, server):
    user = make_user()
    call(send_verification, user=user)
    mail = server.wait_for(1)[0]
    assert mail["To"] == user.email and mail["From"] == SENDER
    assert mail["Subject"] == "Confirm your e-mail address"
    code = _link_code(server, 0)

    verified = call(verify_email, code=code)
    assert verified.id == user.id and verified.email_verified_at is not None
    user = _fresh(call, user)
    assert user.email_verified_at is not None
    with pytest.raises(InvalidInput) as reused:
        call(verify_email, code=code)
    assert reused.value.code == "channels.code_invalid"

    assert "email" in call(available_channels, user=user)
    notification = call(lambda *, session: _add(session, user))
    call(deliver, notification=notification, user=user)
    assert server.wait_for(2)[1]["To"] == user.email


def _add(session, user: User) -> Notification:
    row = Notification(user_id=user.id, type="info", channel="email", title="Hi")
    session.add(row)
    session.flush()
    return row


def test_an_expired_link_fails_and_verifies_nothing(call, make_user, server, db):
    user = make_user()
    call(send_verification, user=user)
    code = _link_code(server, 0)
    with db.begin() as conn:
        conn.execute(sql("UPDATE one_time_codes SET expires_at = :at WHERE user_id = :user"),
                     {"at": datetime.now(UTC) - timedelta(seconds=1), "user": user.id})
    with pytest.raises(InvalidInput) as expired:
        call(verify_email, code=code)
    assert expired.value.code == "channels.code_expired"
    assert _fresh(call, user).email_verified_at is None


def test_a_new_link_replaces_the_old_one_and_mails_in_the_user_s_language(call, make_user, server):
    user = make_user()

    def _russian(*, session):
        row = session.get(User, user.id)
        row.language = "ru"
        session.add(row)
        return row

    user = call(_russian)
    call(send_verification, user=user)
    call(send_verification, user=user)
    first, second = _link_code(server, 0), _link_code(server, 1)
    assert server.messages[1]["Subject"] == "Подтвердите адрес электронной почты"
    assert "Ссылка действует один раз" in server.messages[1].get_body(("plain",)).get_content()
    with pytest.raises(InvalidInput):
        call(verify_email, code=first)
    call(verify_email, code=second)
    assert _fresh(call, user).email_verified_at is not None


def test_a_link_for_an_old_address_does_not_verify_the_new_one(call, make_user, server):
    user = make_user()
    call(send_verification, user=user)
    code = _link_code(server, 0)

    def _readdress(*, session):
        row = session.get(User, user.id)
        row.email = f"new-{row.email}"
        session.add(row)

    call(_readdress)
    with pytest.raises(InvalidInput) as changed:
        call(verify_email, code=code)
    assert changed.value.code == "email.verification_address_changed"
    assert _fresh(call, user).email_verified_at is None


def test_without_smtp_or_with_smtp_down_nothing_is_sent_or_stored(call, make_user, db):
    user = make_user()
    with pytest.raises(InvalidInput) as unconfigured:
        call(send_verification, user=user)
    assert unconfigured.value.code == "email.not_configured"

    with smtp_server() as down:
        call(save_smtp, actor=make_user(role=Role.ADMIN), host="127.0.0.1", port=down.port,
             tls=TlsMode.NONE.value, username="", sender=SENDER, password=None)
        down.stop()
        with pytest.raises(InvalidInput) as failed:
            call(send_verification, user=user)
    assert failed.value.code == "email.verification_failed"
    assert failed.value.params["reason"].startswith(f"cannot connect to 127.0.0.1:{down.port}")
    with db.connect() as conn:
        assert conn.execute(sql("SELECT count(*) FROM one_time_codes")).scalar_one() == 0


def test_an_unverified_address_gets_no_notification(call, make_user, server):
    user = make_user()
    call(send_verification, user=user)
    server.wait_for(1)
    notification = call(lambda *, session: _add(session, user))
    with pytest.raises(DeliveryError):
        call(deliver, notification=notification, user=user)
    assert "email" not in call(available_channels, user=user)
    assert len(server.messages) == 1

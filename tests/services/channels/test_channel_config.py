"""The SMTP settings: the password encrypted at rest, never returned, replaceable and removable; admins only."""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import text as sql
from support.smtp_server import smtp_server

from assistant.core.errors import Forbidden, InvalidInput
from assistant.models.user import Role
from assistant.services.channels.config import SMTP_KEY, TlsMode, save_smtp, smtp_config, smtp_view
from assistant.services.channels.email import send_test_mail

PASSWORD = "Sm7p-secret-value"
SENDER = "assistant@example.org"


def _raw(db) -> str:
    with db.connect() as conn:
        value = conn.execute(sql("SELECT value FROM app_settings WHERE key = :key"), {"key": SMTP_KEY}).scalar_one()
    return json.dumps(value)


def test_the_password_is_encrypted_at_rest_and_never_shown_or_logged(call, make_user, db, caplog):
    admin = make_user(role=Role.ADMIN)
    with caplog.at_level("DEBUG"), smtp_server(username="mailer", password=PASSWORD) as server:
        view = call(save_smtp, actor=admin, host="127.0.0.1", port=server.port, tls=TlsMode.NONE.value,
                    username="mailer", sender=SENDER, password=PASSWORD)
        assert view.password_set
        assert PASSWORD not in repr(view) and PASSWORD not in json.dumps(dataclasses.asdict(view))
        raw = _raw(db)
        assert PASSWORD not in raw and '"password": "gAAAA' in raw  # a Fernet token
        assert call(smtp_config).password == PASSWORD
        assert "Message accepted" in call(send_test_mail, actor=admin)

        call(save_smtp, actor=admin, host="127.0.0.1", port=server.port, tls=TlsMode.NONE.value,
             username="mailer", sender=SENDER, password="Wrong-password-1")
        with pytest.raises(InvalidInput):
            call(send_test_mail, actor=admin)
    assert PASSWORD not in caplog.text and "Wrong-password-1" not in caplog.text
    assert "535" in caplog.text


def test_an_empty_password_field_keeps_it_and_remove_clears_it(call, make_user, db):
    admin = make_user(role=Role.ADMIN)
    settings = {"host": "mail.example.org", "port": 587, "tls": TlsMode.STARTTLS.value, "username": "me",
                "sender": SENDER}
    call(save_smtp, actor=admin, **settings, password=PASSWORD)
    kept = call(save_smtp, actor=admin, **{**settings, "port": 2525}, password=None)
    assert kept.password_set and kept.port == 2525
    assert call(smtp_config).password == PASSWORD
    removed = call(save_smtp, actor=admin, **settings, password="")
    assert not removed.password_set
    assert call(smtp_config).password == ""
    assert '"password"' not in _raw(db)


@pytest.mark.parametrize(("field", "value", "code"), [
    ("host", "", "channels.smtp_host_invalid"),
    ("port", 70000, "channels.smtp_port_invalid"),
    ("tls", "ssl3", "channels.smtp_tls_invalid"),
    ("sender", "not an address", "channels.smtp_sender_invalid"),
])
def test_bad_settings_are_refused_and_nothing_changes(call, make_user, field, value, code):
    admin = make_user(role=Role.ADMIN)
    good = {"host": "mail.example.org", "port": 587, "tls": TlsMode.STARTTLS.value, "username": "",
            "sender": SENDER}
    call(save_smtp, actor=admin, **good, password=None)
    with pytest.raises(InvalidInput) as caught:
        call(save_smtp, actor=admin, **{**good, field: value}, password=None)
    assert caught.value.code == code
    assert call(smtp_view, actor=admin).host == "mail.example.org"


def test_a_user_can_neither_read_nor_change_the_settings(call, make_user):
    user = make_user()
    with pytest.raises(Forbidden):
        call(smtp_view, actor=user)
    with pytest.raises(Forbidden):
        call(save_smtp, actor=user, host="evil.example", port=25, tls="none", username="", sender=SENDER,
             password=None)
    assert call(smtp_config) is None

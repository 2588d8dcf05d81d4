"""The states behind the admin page's "E-mail (SMTP)" section, the Settings page's "E-mail address" section and the
``/verify-email`` page, driven as a tab's events drive them, against a real SMTP server (aiosmtpd): what the page
shows, that the password never reaches the state, and that a plain user's admin events are refused."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
import reflex as rx
from support.smtp_server import smtp_server
from support.states import open_tab, run_background

from assistant.core.db import session_scope
from assistant.models import User
from assistant.models.user import Role
from assistant.services.channels.config import smtp_config
from assistant.ui.state.channels_admin import SmtpSettingsState
from assistant.ui.state.email_address import EmailAddressState, VerifyEmailState

PASSWORD = "Smtp-Passw0rd-x"
SENDER = "assistant@example.org"


def _form(port: int, password: str = "", host: str = "127.0.0.1") -> dict[str, str]:
    return {"smtp_host": host, "smtp_port": str(port), "smtp_tls": "none", "smtp_username": "mailer",
            "smtp_password": password, "smtp_sender": SENDER}


def _shown(state: Any) -> str:
    return json.dumps({name: getattr(state, name) for name in state.base_vars}, default=str)


def _open_link(state: Any, link: str) -> None:
    state.router_data = {"pathname": "/verify-email", "asPath": link}
    state.router = rx.state.RouterData.from_router_data(state.router_data)
    asyncio.run(state.verify())


def test_admin_sets_smtp_sends_a_test_mail_and_never_holds_the_password(make_user, sign_in):
    admin = make_user(role=Role.ADMIN)
    with smtp_server(username="mailer", password=PASSWORD) as server:
        tab = open_tab(SmtpSettingsState, sign_in(admin.email))
        asyncio.run(tab.load_smtp())
        assert tab.smtp_host == "" and not tab.smtp_password_set

        asyncio.run(tab.save_smtp_settings(_form(server.port, PASSWORD)))
        assert tab.smtp_message == "SMTP settings saved." and tab.smtp_error == ""
        assert (tab.smtp_host, tab.smtp_port, tab.smtp_tls, tab.smtp_sender) == ("127.0.0.1", str(server.port),
                                                                                 "none", SENDER)
        assert tab.smtp_password_set and PASSWORD not in _shown(tab)

        run_background(tab, "send_smtp_test")
        assert tab.smtp_test_error == ""
        assert tab.smtp_test_result.startswith(f"Test mail sent to {admin.email}. The server answered:")
        assert server.wait_for(1)[0]["To"] == admin.email

        asyncio.run(tab.save_smtp_settings(_form(server.port, "Wrong-passw0rd")))
        run_background(tab, "send_smtp_test")
        assert tab.smtp_test_error.startswith("The test mail was not sent: 535")
        asyncio.run(tab.save_smtp_settings(_form(server.port)))  # empty field: keeps the stored (wrong) one
        run_background(tab, "send_smtp_test")
        assert "535" in tab.smtp_test_error
        asyncio.run(tab.save_smtp_settings(_form(server.port, PASSWORD)))

        closed = server.port
        server.stop()
        run_background(tab, "send_smtp_test")
        assert tab.smtp_test_error.startswith(f"The test mail was not sent: cannot connect to 127.0.0.1:{closed}")
        server.start()

    asyncio.run(tab.save_smtp_settings({**_form(closed), "smtp_port": "seventy"}))
    assert tab.smtp_error == "The SMTP port must be a number from 1 to 65535." and tab.smtp_message == ""
    asyncio.run(tab.remove_smtp_password())
    assert not tab.smtp_password_set and tab.smtp_message == "The SMTP password was removed."
    with session_scope() as session:
        assert smtp_config(session=session).password == ""


def test_a_plain_user_s_smtp_events_are_refused_and_change_nothing(make_user, sign_in):
    user = make_user()
    with smtp_server() as server:
        tab = open_tab(SmtpSettingsState, sign_in(user.email))
        for event in (lambda: asyncio.run(tab.load_smtp()),
                      lambda: asyncio.run(tab.save_smtp_settings(_form(server.port, "x-Passw0rd"))),
                      lambda: asyncio.run(tab.remove_smtp_password()), lambda: run_background(tab, "send_smtp_test")):
            reaction = str(event())
            assert "You do not have permission" in reaction and "/chats" in reaction
        assert server.messages == []
    assert tab.smtp_host == "" and tab.smtp_message == "" and tab.smtp_test_result == ""
    with session_scope() as session:
        assert smtp_config(session=session) is None


def test_a_user_verifies_the_address_from_settings_and_the_link(make_user, sign_in):
    admin, user = make_user(role=Role.ADMIN), make_user()
    settings = open_tab(EmailAddressState, sign_in(user.email))
    asyncio.run(settings.load_email())
    assert settings.email_address == user.email and not settings.email_verified
    assert not settings.email_smtp_configured  # the button is disabled with the reason

    with smtp_server() as server:
        admin_tab = open_tab(SmtpSettingsState, sign_in(admin.email))
        asyncio.run(admin_tab.save_smtp_settings({**_form(server.port), "smtp_username": ""}))
        asyncio.run(settings.load_email())
        assert settings.email_smtp_configured
        run_background(settings, "send_verification_link")
        assert settings.email_message == f"A link was sent to {user.email}. Open it within 24 hours."
        text = server.wait_for(1)[0].get_body(("plain",)).get_content()
        link = re.search(r"\S+/verify-email\?code=\S+", text).group(0)

    signed_out = open_tab(VerifyEmailState)
    _open_link(signed_out, link)
    assert signed_out.verify_outcome == "verified" and signed_out.verified_address == user.email
    _open_link(signed_out, link)  # reloading the page keeps showing success
    assert signed_out.verify_outcome == "verified"
    other_tab = open_tab(VerifyEmailState)
    _open_link(other_tab, link)
    assert other_tab.verify_outcome == "failed"
    assert other_tab.verify_error_key == "channels.code_invalid"
    asyncio.run(settings.load_email())
    assert settings.email_verified
    with session_scope() as session:
        assert session.get(User, user.id).email_verified_at is not None


def test_sending_the_link_while_smtp_is_down_says_why(make_user, sign_in):
    admin, user = make_user(role=Role.ADMIN), make_user()
    with smtp_server() as server:
        asyncio.run(open_tab(SmtpSettingsState, sign_in(admin.email)).save_smtp_settings(
            {**_form(server.port), "smtp_username": ""}))
        server.stop()
        settings = open_tab(EmailAddressState, sign_in(user.email))
        run_background(settings, "send_verification_link")
        server.start()
    assert settings.email_error.startswith("The verification mail was not sent: cannot connect to 127.0.0.1:")
    assert settings.email_message == "" and not settings.email_sending


@pytest.mark.parametrize("code", ["", "nonsense", "x" * 500])
def test_a_bad_link_shows_the_translated_error(db, code):
    page = open_tab(VerifyEmailState)
    page.lang = "ru"
    _open_link(page, f"http://localhost/verify-email?code={code}")
    assert page.verify_outcome == "failed"
    assert page.tr[page.verify_error_key] == "Эта ссылка недействительна или уже использована."

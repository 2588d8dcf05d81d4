"""The instance's channel settings, which admins change at run time: the SMTP server and the Telegram bot.

Stored in ``app_settings`` under :data:`SMTP_KEY` and :data:`TELEGRAM_KEY`; the SMTP password and the bot token
are encrypted with Fernet (:func:`assistant.core.security.encrypt_secret`) and never leave this module in
clear except to the code that sends. What the browser gets (:class:`SmtpView`, :class:`TelegramView`) says
only whether a secret is set. Every send reads the settings afresh, so a change applies without a restart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlmodel import Session

from assistant.core.errors import InvalidInput
from assistant.core.security import decrypt_secret, encrypt_secret
from assistant.models import AppSetting, User
from assistant.models.user import Role
from assistant.services.admin.settings import write_setting_row
from assistant.services.auth.permissions import require_role

SMTP_KEY = "channel_smtp"
TELEGRAM_KEY = "channel_telegram"
#: A bot token as BotFather issues it: ``<bot id>:<35 characters>``.
BOT_TOKEN_PATTERN = re.compile(r"^\d{5,20}:[A-Za-z0-9_-]{30,60}$")
_HOST_PATTERN = re.compile(r"^[A-Za-z0-9.\-\[\]:]{1,253}$")


class TlsMode(StrEnum):
    """``starttls``: plain connection upgraded with STARTTLS (port 587); ``implicit``: TLS from the first byte
    (port 465); ``none``: no encryption (a relay on the same host only)."""

    STARTTLS = "starttls"
    IMPLICIT = "implicit"
    NONE = "none"


@dataclass(frozen=True)
class SmtpConfig:
    """The SMTP settings with the password in clear: only for the code that sends."""

    host: str
    port: int
    tls: TlsMode
    username: str
    password: str
    sender: str


@dataclass(frozen=True)
class SmtpView:
    """The SMTP settings as an admin's page shows them: ``password_set`` instead of the password."""

    host: str = ""
    port: int = 587
    tls: str = TlsMode.STARTTLS.value
    username: str = ""
    sender: str = ""
    password_set: bool = False


@dataclass(frozen=True)
class TelegramView:
    """The bot as an admin's page shows it: whether a token is set, and the bot's username once checked."""

    token_set: bool = False
    bot_username: str = ""


def _stored(session: Session, key: str) -> dict[str, Any]:
    row = session.get(AppSetting, key)
    return dict(row.value) if row is not None and isinstance(row.value, dict) else {}


def smtp_config(*, session: Session) -> SmtpConfig | None:
    """The SMTP server to send with, or None when no host and sender are set.

    Raises:
        ConfigurationError: the stored password cannot be decrypted (the secret key changed).
    """
    stored = _stored(session, SMTP_KEY)
    if not stored.get("host") or not stored.get("sender"):
        return None
    password = decrypt_secret(stored["password"]) if stored.get("password") else ""
    return SmtpConfig(host=stored["host"], port=int(stored.get("port", 587)),
                      tls=TlsMode(stored.get("tls", TlsMode.STARTTLS.value)),
                      username=stored.get("username", ""), password=password, sender=stored["sender"])


def smtp_view(*, session: Session, actor: User) -> SmtpView:
    """The SMTP settings for an admin's page (no password).

    Raises:
        Forbidden: the actor is not an admin.
    """
    require_role(actor, Role.ADMIN)
    stored = _stored(session, SMTP_KEY)
    return SmtpView(host=stored.get("host", ""), port=int(stored.get("port", 587)),
                    tls=stored.get("tls", TlsMode.STARTTLS.value), username=stored.get("username", ""),
                    sender=stored.get("sender", ""), password_set=bool(stored.get("password")))


def save_smtp(*, session: Session, actor: User, host: str, port: int, tls: str, username: str, sender: str,
              password: str | None) -> SmtpView:
    """Store the SMTP settings. ``password``: None keeps the stored one, ``""`` removes it, anything else
    replaces it (encrypted).

    Raises:
        Forbidden: the actor is not an admin.
        InvalidInput: ``channels.smtp_host_invalid``, ``channels.smtp_port_invalid`` (not 1-65535),
            ``channels.smtp_tls_invalid``, ``channels.smtp_sender_invalid`` (not an address); nothing changes.
    """
    require_role(actor, Role.ADMIN)
    host = host.strip()
    if not _HOST_PATTERN.fullmatch(host):
        raise InvalidInput("channels.smtp_host_invalid")
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise InvalidInput("channels.smtp_port_invalid")
    if tls not in {mode.value for mode in TlsMode}:
        raise InvalidInput("channels.smtp_tls_invalid")
    try:
        sender = validate_email(sender.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidInput("channels.smtp_sender_invalid") from exc
    stored = _stored(session, SMTP_KEY)
    value: dict[str, Any] = {"host": host, "port": port, "tls": tls, "username": username.strip()[:320],
                             "sender": sender}
    if password is None:
        if stored.get("password"):
            value["password"] = stored["password"]
    elif password:
        value["password"] = encrypt_secret(password)
    write_setting_row(session, SMTP_KEY, value, actor=actor)
    return smtp_view(session=session, actor=actor)


def telegram_token(*, session: Session) -> str | None:
    """The bot token in clear (only for the code that talks to Telegram), or None when none is set.

    Raises:
        ConfigurationError: the stored token cannot be decrypted (the secret key changed).
    """
    stored = _stored(session, TELEGRAM_KEY)
    return decrypt_secret(stored["token"]) if stored.get("token") else None


def telegram_view(*, session: Session, actor: User) -> TelegramView:
    """The bot for an admin's page (no token).

    Raises:
        Forbidden: the actor is not an admin.
    """
    require_role(actor, Role.ADMIN)
    stored = _stored(session, TELEGRAM_KEY)
    return TelegramView(token_set=bool(stored.get("token")), bot_username=stored.get("bot_username", ""))


def bot_username(*, session: Session) -> str:
    """The bot's username as last confirmed by Telegram (``getMe``), ``""`` before; for deep links."""
    return str(_stored(session, TELEGRAM_KEY).get("bot_username", ""))


def save_telegram_token(*, session: Session, actor: User, token: str) -> TelegramView:
    """Store a new bot token (encrypted; ``""`` removes the bot). The bot's username is forgotten until the
    next :func:`set_bot_username`.

    Raises:
        Forbidden: the actor is not an admin.
        InvalidInput: ``channels.bot_token_invalid``: not shaped like a BotFather token; nothing changes.
    """
    require_role(actor, Role.ADMIN)
    token = token.strip()
    if token and not BOT_TOKEN_PATTERN.fullmatch(token):
        raise InvalidInput("channels.bot_token_invalid")
    write_setting_row(session, TELEGRAM_KEY, {"token": encrypt_secret(token)} if token else {}, actor=actor)
    return telegram_view(session=session, actor=actor)


def set_bot_username(*, session: Session, username: str) -> None:
    """Remember the bot's username that Telegram's ``getMe`` returned for the stored token."""
    stored = _stored(session, TELEGRAM_KEY)
    if stored.get("token"):
        write_setting_row(session, TELEGRAM_KEY, {**stored, "bot_username": username}, actor=None)

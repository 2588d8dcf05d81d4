"""The e-mail channel: one mail per notification to the account's verified address, through the SMTP server the
admin configured (:mod:`.config`), with a plain-text and an HTML body rendered from the Jinja2 templates in
``assistant/templates/email`` in the user's language and time zone.

:func:`send_mail` talks SMTP (aiosmtplib) and turns every failure into a :class:`DeliveryError` whose reason is
the server's exact reply (``535 5.7.8 Authentication failed``) or the network error (``cannot connect to
mail.example.com:587: ...``), never the password. :func:`deliver` and :func:`send_test_mail` are synchronous:
call them from a worker thread or ``asyncio.to_thread``, not on a running event loop (they run the SMTP
conversation with ``asyncio.run``).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import cache
from typing import Any

import aiosmtplib
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.core.errors import ConfigurationError, InvalidInput
from assistant.core.i18n import format_datetime, translate
from assistant.core.markup import markdown_html
from assistant.models import Notification, User
from assistant.models.reminder import Reminder
from assistant.models.user import Role
from assistant.services.auth.permissions import require_role
from assistant.services.channels import DeliveryError
from assistant.services.channels.config import SmtpConfig, TlsMode, smtp_config

log = logging.getLogger(__name__)

#: Raised by :func:`send_test_mail` with ``reason``: what failed, word for word.
TEST_FAILED = "email.test_failed"
#: Raised by :func:`send_test_mail` when no SMTP host and sender are saved.
NOT_CONFIGURED = "email.not_configured"
_NOT_CONFIGURED_REASON = "SMTP is not configured"
_NOT_VERIFIED_REASON = "the address is not verified"


@cache
def _templates() -> Environment:
    """The mail templates; HTML ones (``*.html.j2``) autoescape everything that is not :class:`Markup`."""
    return Environment(loader=PackageLoader("assistant", "templates/email"),
                       autoescape=lambda name: name is not None and name.endswith(".html.j2"),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render(template: str, language: str, /, **context: Any) -> tuple[str, str]:
    """The plain-text and HTML bodies of the mail ``template`` (``notification``, ``verification``, ``test``),
    rendered from ``<name>.txt.j2`` and ``<name>.html.j2`` with ``context`` and ``t`` (translate in
    ``language``)."""
    def t(key: str, **params: Any) -> str:
        return translate(key, language, **params)

    environment = _templates()
    text = environment.get_template(f"{template}.txt.j2").render(t=t, language=language, **context)
    html = environment.get_template(f"{template}.html.j2").render(t=t, language=language, **context)
    return text, html


def _reason(config: SmtpConfig, reason: str) -> str:
    return reason.replace(config.password, "********") if config.password else reason


def _reply(code: int, message: str) -> str:
    return f"{code} {message}".strip()


def _failure(config: SmtpConfig, exc: Exception) -> DeliveryError:
    """The :class:`DeliveryError` for an aiosmtplib or network failure (retryable: 4xx, timeouts, refused
    connections; not: 5xx, authentication, TLS and protocol errors)."""
    where = f"{config.host}:{config.port}"
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        exc = exc.recipients[0]
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        retryable = 400 <= exc.code < 500 and not isinstance(exc, aiosmtplib.SMTPAuthenticationError)
        return DeliveryError(_reason(config, _reply(exc.code, exc.message)), retryable=retryable)
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return DeliveryError(_reason(config, f"timed out talking to {where}: {exc}"), retryable=True)
    if isinstance(exc, ssl.SSLError):
        return DeliveryError(_reason(config, f"TLS with {where} failed: {exc}"), retryable=False)
    if isinstance(exc, aiosmtplib.SMTPConnectError):
        cause = exc.__cause__ or exc
        return DeliveryError(_reason(config, f"cannot connect to {where}: {cause}"), retryable=True)
    if isinstance(exc, ConnectionError | OSError):
        return DeliveryError(_reason(config, f"connection to {where} failed: {exc}"), retryable=True)
    return DeliveryError(_reason(config, f"{where}: {exc}"), retryable=False)


async def send_mail(config: SmtpConfig, *, to: str, subject: str, text: str, html: str) -> str:
    """Send one mail from ``config.sender`` to ``to`` (``subject`` on one line: line breaks become spaces) with a
    plain-text and an HTML alternative; returns the server's reply to DATA (``"2.0.0 Ok: queued as ..."``).
    TLS as ``config.tls`` says, logging in when a user name is set; every step waits at most
    ``channel_timeout_seconds``.

    Raises:
        DeliveryError: the reply (``"535 5.7.8 ..."``) or network error; retryable for refused connections,
            timeouts and 4xx replies, not for authentication failures, 5xx replies and TLS errors.
    """
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = to
    message["Subject"] = " ".join(subject.split())  # one line: a line break in a header is refused
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=config.sender.rpartition("@")[2] or None)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    try:
        _refused, reply = await aiosmtplib.send(
            message, hostname=config.host, port=config.port,
            username=config.username or None, password=(config.password or None) if config.username else None,
            timeout=get_settings().channel_timeout_seconds,
            use_tls=config.tls == TlsMode.IMPLICIT, start_tls=config.tls == TlsMode.STARTTLS)
    except (aiosmtplib.SMTPException, OSError) as exc:
        error = _failure(config, exc)
        log.warning("mail to %s through %s:%s failed: %s", to, config.host, config.port, error.reason)
        raise error from None
    log.info("mail to %s through %s:%s accepted: %s", to, config.host, config.port, reply)
    return reply


def sending_config(*, session: Session) -> SmtpConfig | None:
    """The SMTP settings to send with (:func:`.config.smtp_config`), None when not configured.

    Raises:
        DeliveryError: not retryable, the stored password cannot be decrypted (the secret key changed).
    """
    try:
        return smtp_config(session=session)
    except ConfigurationError as exc:
        raise DeliveryError("the stored SMTP password cannot be decrypted (the secret key changed)",
                            retryable=False) from exc


def _notification_mail(session: Session, notification: Notification, user: User) -> tuple[str, str, str]:
    """Subject, text and HTML of ``notification`` for ``user``."""
    language = user.language
    zone = user.timezone
    if notification.reminder_id is not None:
        reminder = session.get(Reminder, notification.reminder_id)
        if reminder is not None:
            zone = reminder.timezone
    when = (format_datetime(notification.occurrence_at, language, zone, date="full")
            if notification.occurrence_at is not None else "")
    base = get_settings().base_url
    text, html = render("notification", language, title=notification.title, body=notification.body,
                        body_html=markdown_html(notification.body) if notification.body else Markup(""),
                        when=when, zone=zone, link=f"{base}/notifications", settings_link=f"{base}/settings")
    return notification.title, text, html


def deliver(*, session: Session, notification: Notification, user: User) -> str:
    """Mail ``notification`` (an ``email`` row of ``user``) to the account's verified address; returns the SMTP
    server's reply to DATA, for the delivery log. Synchronous (module docstring).

    Raises:
        DeliveryError: not retryable when SMTP is not configured, the address is not verified or the row is
            not the user's; otherwise as :func:`send_mail`.
    """
    if notification.user_id != user.id:
        raise DeliveryError("the notification is not this user's", retryable=False)
    config = sending_config(session=session)
    if config is None:
        raise DeliveryError(_NOT_CONFIGURED_REASON, retryable=False)
    if user.email_verified_at is None:
        raise DeliveryError(_NOT_VERIFIED_REASON, retryable=False)
    subject, text, html = _notification_mail(session, notification, user)
    return asyncio.run(send_mail(config, to=user.email, subject=subject, text=text, html=html))


def send_test_mail(*, session: Session, actor: User) -> str:
    """Mail a test message to the admin ``actor``'s own address (verified or not) with the saved SMTP settings;
    returns the server's reply to DATA. Synchronous (module docstring).

    Raises:
        Forbidden: the actor is not an admin.
        InvalidInput: :data:`NOT_CONFIGURED`; :data:`TEST_FAILED` with ``reason``: the server's reply or the
            network error, word for word (``535 ...``, ``cannot connect to host:port: ...``).
    """
    require_role(actor, Role.ADMIN)
    try:
        config = sending_config(session=session)
    except DeliveryError as exc:
        raise InvalidInput(TEST_FAILED, reason=exc.reason) from None
    if config is None:
        raise InvalidInput(NOT_CONFIGURED)
    text, html = render("test", actor.language, host=config.host, port=str(config.port), tls=config.tls.value,
                        sender=config.sender, link=get_settings().base_url)
    try:
        return asyncio.run(send_mail(config, to=actor.email, subject=translate("email.test_subject", actor.language),
                                     text=text, html=html))
    except DeliveryError as exc:
        raise InvalidInput(TEST_FAILED, reason=exc.reason) from None

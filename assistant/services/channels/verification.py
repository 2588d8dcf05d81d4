"""Proving an account's e-mail address: a mail with a single-use link (:mod:`.codes`, 24 hours), and the page
that link opens (``/verify-email?code=...``), which marks the address verified. Nothing is mailed to an
address before that (:func:`assistant.services.channels.email.deliver` refuses)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.core.errors import InvalidInput, NotFound
from assistant.core.i18n import translate
from assistant.models import CodePurpose, User
from assistant.services.channels import DeliveryError
from assistant.services.channels.codes import consume_code, issue_code
from assistant.services.channels.email import NOT_CONFIGURED, render, send_mail, sending_config

#: How long a verification link works.
VERIFICATION_TTL = timedelta(hours=24)
#: The path of the page the link opens (``assistant.ui.routes.VERIFY_EMAIL``).
VERIFY_PATH = "/verify-email"
#: Raised by :func:`send_verification` with ``reason``: the SMTP reply or network error.
SEND_FAILED = "email.verification_failed"
#: Raised by :func:`verify_email` when the account's address changed after the link was sent.
ADDRESS_CHANGED = "email.verification_address_changed"


def verification_link(code: str) -> str:
    """The absolute address of the page that verifies with ``code``."""
    return f"{get_settings().base_url}{VERIFY_PATH}?code={quote(code, safe='')}"


def send_verification(*, session: Session, user: User) -> None:
    """Mail ``user`` a link that verifies the account's current address, in their language; the code is kept
    (in the caller's transaction) only when the server accepted the mail, and replaces earlier unused links.
    Synchronous: call it from a thread, not on a running event loop.

    Raises:
        InvalidInput: :data:`assistant.services.channels.email.NOT_CONFIGURED` (no SMTP settings), or
            :data:`SEND_FAILED` with ``reason`` (the server's reply or the network error); nothing is stored.
    """
    try:
        config = sending_config(session=session)
    except DeliveryError as exc:
        raise InvalidInput(SEND_FAILED, reason=exc.reason) from None
    if config is None:
        raise InvalidInput(NOT_CONFIGURED)
    savepoint = session.begin_nested()
    code = issue_code(session=session, user=user, purpose=CodePurpose.EMAIL_VERIFICATION, ttl=VERIFICATION_TTL,
                      target=user.email)
    hours = int(VERIFICATION_TTL.total_seconds() // 3600)
    text, html = render("verification", user.language, name=user.preferred_name or user.display_name,
                        address=user.email, link=verification_link(code), hours=hours)
    try:
        asyncio.run(send_mail(config, to=user.email, subject=translate("email.verification_subject", user.language),
                              text=text, html=html))
    except DeliveryError as exc:
        savepoint.rollback()
        raise InvalidInput(SEND_FAILED, reason=exc.reason) from None
    savepoint.commit()


def verify_email(*, session: Session, code: str) -> User:
    """Use the link's ``code``: marks the address it was sent to verified, if it is still the account's address
    (a user may verify signed in or not: the code is the proof). Returns the account.

    Raises:
        InvalidInput: ``channels.code_invalid`` (unknown or used), ``channels.code_expired``, or
            :data:`ADDRESS_CHANGED`; nothing is verified.
    """
    row = consume_code(session=session, purpose=CodePurpose.EMAIL_VERIFICATION, code=code.strip())
    user = session.get(User, row.user_id)
    if user is None:
        raise NotFound("errors.not_found")
    if user.email.lower() != row.target.lower():
        raise InvalidInput(ADDRESS_CHANGED)
    user.email_verified_at = datetime.now(UTC)
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class EmailStatus:
    """What the Settings page shows of the account's address: the address, whether it is verified, and whether
    mail can be sent at all (SMTP configured)."""

    address: str
    verified: bool
    smtp_configured: bool


def email_status(*, session: Session, user: User) -> EmailStatus:
    """The account's address and its state, for ``user``'s own Settings page."""
    try:
        configured = sending_config(session=session) is not None
    except DeliveryError:
        configured = True  # configured, but broken: sending says why
    return EmailStatus(address=user.email, verified=user.email_verified_at is not None, smtp_configured=configured)

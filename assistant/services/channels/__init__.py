"""Channels beyond the app: e-mail (:mod:`.email`) and Telegram (:mod:`.telegram`), their instance settings
(:mod:`.config`, secrets encrypted at rest) and the one-time codes that verify an address or link a chat
(:mod:`.codes`).

A channel's ``deliver`` sends one notification row and returns what the server answered (logged in
``notification_deliveries``), or raises :class:`DeliveryError`; the worker's delivery job
(:mod:`assistant.services.notifications`) retries a retryable failure with backoff and marks the row failed
with the reason once it gives up.
"""

from __future__ import annotations

from sqlmodel import Session, select

from assistant.models import Channel, TelegramLink, User
from assistant.services.channels.config import smtp_config, telegram_token


class DeliveryError(Exception):
    """A send failed. ``reason``: what the server or the network said, shown to the user on the notifications
    page and logged (never a secret); ``retryable``: worth another try later (a timeout, a refused connection,
    an SMTP 4xx) rather than hopeless (a 5xx reply, a blocked bot, an address no longer verified)."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


def available_channels(*, session: Session, user: User) -> set[str]:
    """The channels ``user`` can be reached on now: the app always; e-mail when SMTP is configured and the
    address verified; Telegram when a bot token is set and a chat linked."""
    channels = {Channel.IN_APP.value}
    if user.email_verified_at is not None and smtp_config(session=session) is not None:
        channels.add(Channel.EMAIL.value)
    if telegram_token(session=session) is not None and session.exec(
            select(TelegramLink.chat_id).where(TelegramLink.user_id == user.id)).first() is not None:
        channels.add(Channel.TELEGRAM.value)
    return channels

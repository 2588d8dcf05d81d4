"""Linking a Telegram chat to an account: the user asks for a deep link in Settings (:func:`start_link`), opens
it in Telegram, and the bot receives ``/start <code>`` from their chat (:func:`link_chat`). One chat per account
and one account per chat; the code works once, for :data:`LINK_TTL`.

Rules chosen here: linking again from another chat moves the link to that chat (the old chat is no longer
answered); a chat already linked to another account is refused (that account must unlink first), so nobody
takes over someone else's chat by sending a code of their own from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from assistant.core.errors import InvalidInput
from assistant.models import CodePurpose, TelegramLink, User
from assistant.models.base import utcnow
from assistant.services.channels.codes import consume_code, issue_code
from assistant.services.channels.config import bot_username, telegram_token

#: How long a deep link works.
LINK_TTL = timedelta(minutes=10)
#: Raised by :func:`start_link` when no bot is set up or its username is not known yet (check the bot).
NO_BOT = "telegram.no_bot"
#: Why linking is not offered when a token is set but Telegram has not confirmed the bot (no username yet).
BOT_UNCHECKED = "telegram.bot_unchecked"
#: Raised by :func:`link_chat` for a chat linked to another account.
CHAT_TAKEN = "telegram.chat_taken"


@dataclass(frozen=True)
class LinkedChat:
    """The chat linked to an account, as Settings shows it: Telegram's ``chat_id``, the ``@username`` (may be
    ``""``: not every Telegram account has one) and when it was linked to this chat (aware UTC)."""

    chat_id: int
    username: str
    linked_at: datetime


@dataclass(frozen=True)
class LinkStatus:
    """What Settings shows: ``available`` when a bot is set up and checked (else ``reason``, an i18n key:
    :data:`NO_BOT` or :data:`BOT_UNCHECKED`), and the linked chat (None when none)."""

    available: bool
    reason: str
    chat: LinkedChat | None


def link_status(*, session: Session, user: User) -> LinkStatus:
    """Whether ``user`` can link a chat now, and the chat linked to the account."""
    chat = linked_chat(session=session, user=user)
    if telegram_token(session=session) is None:
        return LinkStatus(available=False, reason=NO_BOT, chat=chat)
    if not bot_username(session=session):
        return LinkStatus(available=False, reason=BOT_UNCHECKED, chat=chat)
    return LinkStatus(available=True, reason="", chat=chat)


def start_link(*, session: Session, user: User) -> str:
    """A deep link ``https://t.me/<bot>?start=<code>`` for ``user``, with a new one-time code valid for
    :data:`LINK_TTL` (earlier unused codes stop working).

    Raises:
        InvalidInput: :data:`NO_BOT` when no token is set, :data:`BOT_UNCHECKED` when the bot's username is
            not known yet.
    """
    username = bot_username(session=session)
    if telegram_token(session=session) is None:
        raise InvalidInput(NO_BOT)
    if not username:
        raise InvalidInput(BOT_UNCHECKED)
    code = issue_code(session=session, user=user, purpose=CodePurpose.TELEGRAM_LINK, ttl=LINK_TTL)
    return f"https://t.me/{username}?start={code}"


def link_chat(*, session: Session, code: str, chat_id: int, username: str) -> User:
    """Link Telegram's ``chat_id`` (``username`` without ``@``, may be ``""``) to the account that ``code`` was
    issued to, using the code. Returns that user. An account linked to another chat moves to this one (its
    "Telegram" chat in the app is kept).

    Raises:
        InvalidInput: ``channels.code_invalid`` (unknown, used, or another purpose), ``channels.code_expired``,
            :data:`CHAT_TAKEN` (the chat is another account's); nothing changes.
    """
    row = consume_code(session=session, purpose=CodePurpose.TELEGRAM_LINK, code=code)
    owner = session.exec(select(TelegramLink).where(TelegramLink.chat_id == chat_id).with_for_update()).first()
    if owner is not None and owner.user_id != row.user_id:
        raise InvalidInput(CHAT_TAKEN)
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise InvalidInput("channels.code_invalid")
    link = session.get(TelegramLink, user.id, with_for_update=True)
    if link is None:
        link = TelegramLink(user_id=user.id, chat_id=chat_id)
    link.chat_id, link.username, link.linked_at = chat_id, username[:64], utcnow()
    session.add(link)
    session.flush()
    return user


def unlink(*, session: Session, user: User) -> bool:
    """Unlink ``user``'s Telegram chat (the bot stops answering it for them); True when one was linked."""
    link = session.get(TelegramLink, user.id, with_for_update=True)
    if link is None:
        return False
    session.delete(link)
    session.flush()
    return True


def linked_chat(*, session: Session, user: User) -> LinkedChat | None:
    """The chat linked to ``user``'s account, or None."""
    link = session.get(TelegramLink, user.id)
    if link is None:
        return None
    return LinkedChat(chat_id=link.chat_id, username=link.username, linked_at=link.linked_at)


def user_for_chat(*, session: Session, chat_id: int) -> tuple[User, TelegramLink] | None:
    """The active account linked to Telegram's ``chat_id`` with its link (for the bot), or None."""
    link = session.exec(select(TelegramLink).where(TelegramLink.chat_id == chat_id)).first()
    if link is None:
        return None
    user = session.get(User, link.user_id)
    if user is None or not user.is_active:
        return None
    return user, link

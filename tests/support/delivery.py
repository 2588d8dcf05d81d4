"""Users who can be reached beyond the app, for the delivery tests: SMTP configured (to a loopback aiosmtpd), the
address verified, a bot token set (a loopback Bot API) and a chat linked; and reminder rows as the reminders
service leaves them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from assistant.core.db import session_scope
from assistant.models import DeliveryPreferences, Notification, NotificationDelivery, TelegramLink, User
from assistant.models.reminder import Reminder, ReminderKind
from assistant.services.channels.config import TlsMode, save_smtp, save_telegram_token
from assistant.services.scheduler.signals import signal_scheduler
from support.smtp_server import SmtpServer
from support.telegram_api import VALID_TOKEN

SENDER = "assistant@example.org"
SMTP_USER, SMTP_PASSWORD = "mailer", "s3cret-pass"


def set_up_mail(admin: User, server: SmtpServer, *, password: str = SMTP_PASSWORD) -> None:
    """The instance mails through ``server`` (plain SMTP on loopback, with a login)."""
    with session_scope() as session:
        save_smtp(session=session, actor=admin, host="127.0.0.1", port=server.port, tls=TlsMode.NONE.value,
                  username=SMTP_USER, sender=SENDER, password=password)


def set_up_bot(admin: User) -> None:
    """The instance has the loopback Bot API's token (``ASSISTANT_TELEGRAM_API_URL`` points at the server)."""
    with session_scope() as session:
        save_telegram_token(session=session, actor=admin, token=VALID_TOKEN)


def reachable(user: User, *, email: bool = True, chat_id: int | None = None, timezone: str = "UTC") -> User:
    """``user`` with a verified address (``email``) and a linked Telegram chat (``chat_id``); returns the row."""
    with session_scope() as session:
        row = session.get_one(User, user.id)
        row.timezone = timezone
        if email:
            row.email_verified_at = datetime.now(UTC)
        session.add(row)
        if chat_id is not None:
            session.add(TelegramLink(user_id=user.id, chat_id=chat_id, username="alice"))
        session.flush()
        return row


def prefer(user: User, channels: dict[str, list[str]], *, quiet: tuple[time, time] | None = None) -> None:
    """Store ``user``'s delivery preferences as given (seconds of the quiet times kept, for near-future tests)."""
    with session_scope() as session:
        prefs = session.get(DeliveryPreferences, user.id) or DeliveryPreferences(user_id=user.id)
        prefs.channels = channels
        prefs.quiet_start, prefs.quiet_end = quiet if quiet is not None else (None, None)
        session.add(prefs)


def make_reminder(user: User, *, due: datetime, title: str = "Take metformin", channels: list[str] | None = None,
                  escalate_after_minutes: int | None = None, timezone: str = "UTC",
                  kind: str = ReminderKind.GENERAL.value) -> Reminder:
    """A committed one-time reminder whose next occurrence is ``due`` (aware)."""
    reminder = Reminder(user_id=user.id, title=title, note="With breakfast.", kind=kind, timezone=timezone,
                        starts_at=due.astimezone(ZoneInfo(timezone)).replace(tzinfo=None),
                        channels=channels or ["in_app"], escalate_after_minutes=escalate_after_minutes,
                        next_occurrence_at=due, next_fire_at=due)
    with session_scope() as session:
        session.add(reminder)
    return reminder


def signalled_reminder(user: User, *, in_seconds: float, title: str = "Take metformin",
                       kind: str = ReminderKind.GENERAL.value, timezone: str = "UTC",
                       channels: list[str] | None = None) -> Reminder:
    """A one-time reminder due ``in_seconds`` from now, seconds kept (the reminders service drops them, which
    makes a test wait for the next whole minute), as that service leaves it: the committed row (see
    :func:`make_reminder`) and the scheduler's signal, so a running worker sets its job at once."""
    reminder = make_reminder(user, due=datetime.now(UTC) + timedelta(seconds=in_seconds), title=title, kind=kind,
                             timezone=timezone, channels=channels)
    with session_scope() as session:
        signal_scheduler(session, "reminder", reminder.id)
    return reminder


def rows_of(reminder_id: uuid.UUID) -> dict[str, Notification]:
    """The reminder's notification rows by channel (one occurrence)."""
    with session_scope() as session:
        rows = session.exec(select(Notification).where(Notification.reminder_id == reminder_id)).all()
    by_channel = {row.channel: row for row in rows}
    assert len(by_channel) == len(rows), "one row per channel"
    return by_channel


def attempts_of(notification_id: uuid.UUID) -> list[tuple[int, str, str]]:
    """The delivery log of a row: ``(attempt, outcome, detail)`` in order."""
    with session_scope() as session:
        rows = session.exec(select(NotificationDelivery).where(NotificationDelivery.notification_id == notification_id)
                            .order_by(col(NotificationDelivery.attempt))).all()
    return [(row.attempt, row.outcome, row.detail) for row in rows]

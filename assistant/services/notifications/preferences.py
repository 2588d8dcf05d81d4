"""A user's delivery rules: which channels besides the app each type of notification goes to, and quiet hours.

Stored in ``delivery_preferences`` (one row per user; a user without one has the defaults: the app only, no
quiet hours). The daily review's fields of the same row belong to :mod:`assistant.services.review`; saving
here leaves them as they are.

Quiet hours are two local wall-clock times in the user's time zone: from ``quiet_start`` (inclusive) to
``quiet_end`` (exclusive) e-mail and Telegram messages are held and sent at ``quiet_end``
(:func:`held_until`); a start after the end spans midnight (22:00-07:00). The app's bell is never held. Local
times are placed in the zone as the reminders place theirs
(:func:`assistant.services.scheduler.recurrence.to_utc`): an end that falls in the spring gap is read with the
offset before the gap (02:30 in Berlin on that day is 03:30 CEST), an end that occurs twice in autumn means the
first of the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from assistant.core.errors import InvalidInput
from assistant.models import DeliveryPreferences, NotificationType, TelegramLink, User
from assistant.models.reminder import Channel
from assistant.services.channels import available_channels
from assistant.services.channels.config import smtp_config, telegram_token
from assistant.services.scheduler.recurrence import to_utc

#: The notification types a user picks channels for, in the order the settings show them (``info`` goes to
#: the app only).
PREFERENCE_TYPES = (NotificationType.REMINDER.value, NotificationType.TASK.value,
                    NotificationType.AI_GENERATED.value, NotificationType.ALERT.value)
#: The channels a preference may name (the app always gets its row).
EXTRA_CHANNELS = (Channel.TELEGRAM.value, Channel.EMAIL.value)


@dataclass(frozen=True)
class PreferencesInput:
    """What the settings form gives: ``channels``: ``{type: [channel, ...]}`` for types of
    :data:`PREFERENCE_TYPES` and channels of :data:`EXTRA_CHANNELS` (a type left out goes to the app only);
    ``quiet_start``/``quiet_end``: ``"HH:MM"`` text or times, both empty/None for no quiet hours."""

    channels: dict[str, list[str]]
    quiet_start: time | str | None = None
    quiet_end: time | str | None = None


def get_preferences(*, session: Session, user: User) -> DeliveryPreferences:
    """``user``'s delivery preferences: the stored row, or an unsaved one with the defaults."""
    return session.get(DeliveryPreferences, user.id) or DeliveryPreferences(user_id=user.id)


def unreachable_reasons(*, session: Session, user: User) -> dict[str, str]:
    """Why ``user`` cannot be reached on each channel of :data:`EXTRA_CHANNELS`: an i18n key, ``""`` when they
    can (as :func:`assistant.services.channels.available_channels` decides): ``delivery.reason.email_off``
    (no SMTP server set up), ``delivery.reason.email_unverified``, ``delivery.reason.telegram_off`` (no bot),
    ``delivery.reason.telegram_unlinked``."""
    if smtp_config(session=session) is None:
        email = "delivery.reason.email_off"
    else:
        email = "" if user.email_verified_at is not None else "delivery.reason.email_unverified"
    if telegram_token(session=session) is None:
        telegram = "delivery.reason.telegram_off"
    else:
        linked = session.exec(select(TelegramLink.chat_id).where(TelegramLink.user_id == user.id)).first()
        telegram = "" if linked is not None else "delivery.reason.telegram_unlinked"
    return {Channel.EMAIL.value: email, Channel.TELEGRAM.value: telegram}


def _quiet_time(value: time | str | None) -> time | None:
    if value is None:
        return None
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    text = value.strip()
    if not text:
        return None
    try:
        return time.fromisoformat(text).replace(second=0, microsecond=0, tzinfo=None)
    except ValueError:
        raise InvalidInput("delivery.quiet_invalid", value=text[:20]) from None


def _channels(session: Session, user: User, chosen: dict[str, Any]) -> dict[str, list[str]]:
    if not isinstance(chosen, dict):
        raise InvalidInput("delivery.type_invalid")
    reachable = available_channels(session=session, user=user)
    result: dict[str, list[str]] = {}
    for kind, channels in chosen.items():
        if kind not in PREFERENCE_TYPES:
            raise InvalidInput("delivery.type_invalid")
        if not isinstance(channels, list) or any(channel not in EXTRA_CHANNELS for channel in channels):
            raise InvalidInput("delivery.channel_invalid")
        for channel in channels:
            if channel not in reachable:
                raise InvalidInput(f"delivery.unavailable.{channel}")
        if channels:
            result[kind] = [channel for channel in EXTRA_CHANNELS if channel in channels]
    return result


def save_preferences(*, session: Session, user: User, data: PreferencesInput) -> DeliveryPreferences:
    """Store ``user``'s channels per type and quiet hours (the review's fields are kept).

    Returns:
        The flushed row.

    Raises:
        InvalidInput: ``delivery.type_invalid`` (a type not in :data:`PREFERENCE_TYPES`),
            ``delivery.channel_invalid`` (a channel not in :data:`EXTRA_CHANNELS`),
            ``delivery.unavailable.email`` / ``delivery.unavailable.telegram`` (the user cannot be reached
            there now: :func:`assistant.services.channels.available_channels`), ``delivery.quiet_invalid``
            (not a time), ``delivery.quiet_incomplete`` (one end only), ``delivery.quiet_empty`` (start equals
            end). Nothing changes.
    """
    channels = _channels(session, user, data.channels)
    start, end = _quiet_time(data.quiet_start), _quiet_time(data.quiet_end)
    if (start is None) != (end is None):
        raise InvalidInput("delivery.quiet_incomplete")
    if start is not None and start == end:
        raise InvalidInput("delivery.quiet_empty")
    prefs = session.get(DeliveryPreferences, user.id, with_for_update=True) or DeliveryPreferences(user_id=user.id)
    prefs.channels, prefs.quiet_start, prefs.quiet_end = channels, start, end
    session.add(prefs)
    session.flush()
    return prefs


def channels_for(prefs: DeliveryPreferences, notification_type: str) -> list[str]:
    """The channels besides the app that ``prefs`` names for ``notification_type`` (unknown ones dropped)."""
    chosen = prefs.channels.get(notification_type, []) if isinstance(prefs.channels, dict) else []
    return [channel for channel in EXTRA_CHANNELS if isinstance(chosen, list) and channel in chosen]


def held_until(prefs: DeliveryPreferences, tz: str, at: datetime) -> datetime | None:
    """When an e-mail or Telegram message due at ``at`` (aware) may go out, if quiet hours hold it.

    Args:
        prefs: the user's preferences (``quiet_start``/``quiet_end``, local times).
        tz: the user's IANA time zone.
        at: the moment the message is due.

    Returns:
        The end of the quiet hours ``at`` falls in (aware, UTC), or None when it falls in none (or there are
        no quiet hours). ``[start, end)``: a message due exactly at the end is not held.
    """
    start, end = prefs.quiet_start, prefs.quiet_end
    if start is None or end is None or start == end:
        return None
    local = at.astimezone(ZoneInfo(tz))
    clock, day = local.time().replace(tzinfo=None), local.date()
    if start < end:
        if not start <= clock < end:
            return None
    elif clock >= start:
        day += timedelta(days=1)
    elif clock >= end:
        return None
    release = to_utc(datetime.combine(day, end), tz)
    return release if release > at else None

"""The bell (in the header of every signed-in page) and the notifications page (``/notifications``).

:class:`BellState` holds the bell's number and its short list of what needs attention, and the user's answers
(mark read, mark all read, Done/Taken, Snooze) wherever they are pressed; :class:`NotificationsState` holds the
page's list and filter. Both hold display dicts built on a worker thread (texts translated, times in the
user's time zone, written in the tab's language).

The bell loads when a signed-in page mounts (``on_mount`` in the shell, so every page has it without its own
``on_load``), and again on every ``notification`` event of the bus (:class:`~assistant.ui.state.live.LiveState`
calls :meth:`BellState._on_event`): one transaction reading the count, the list and, for a newly delivered
notification, its title for a toast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import reflex as rx
from babel.dates import format_timedelta
from sqlmodel import Session

from assistant.core.errors import AppError, NotFound
from assistant.core.i18n import format_date, format_datetime, format_time, translate
from assistant.models import Notification, NotificationStatus, ReminderKind, User
from assistant.models.base import utcnow
from assistant.models.reminder import Channel
from assistant.models.user import Role
from assistant.services.notifications import inbox
from assistant.services.scheduler.reminders import check_snooze_minutes
from assistant.ui import routes
from assistant.ui.state.auth import AuthState, guarded, parse_id

T = TypeVar("T")

FILTERS = tuple(kind.value for kind in inbox.InboxFilter)
#: Rows the page shows at first, and how many more "Show more" adds.
PAGE_SIZE = 50
#: The most rows the page shows (one more is read to know whether there are more).
MAX_SHOWN = inbox.MAX_LIMIT - 1
#: The badge writes larger numbers as "99+".
BADGE_MAX = 99
#: Under this many seconds ago a time reads "just now".
JUST_NOW_SECONDS = 60
#: Statuses whose arrival in another process is announced with a toast.
_ANNOUNCED = (NotificationStatus.SENT.value, NotificationStatus.MISSED.value)


def _moment(value: datetime, now: datetime, lang: str, tz: str) -> str:
    """A time as the user reads it in the zone ``tz``: the time of day today, date and time otherwise."""
    if format_date(value, lang, tz) == format_date(now, lang, tz):
        return format_time(value, lang, tz)
    return format_datetime(value, lang, tz)


def _relative(value: datetime, now: datetime, lang: str) -> str:
    """"5 minutes ago", "in 10 minutes", "just now" in ``lang``."""
    delta = value - now
    if abs(delta.total_seconds()) < JUST_NOW_SECONDS:
        return translate("notifications.time.just_now", lang)
    return format_timedelta(delta, add_direction=True, locale=lang)


def _status_text(row: Notification, medication: bool, now: datetime, lang: str, tz: str) -> str:
    """What became of a notification: new, read, done/taken at ..., snoozed until ..., missed, not delivered."""
    status = row.status
    if status == NotificationStatus.ACKNOWLEDGED and row.acknowledged_at is not None:
        key = "notifications.status.taken_at" if medication else "notifications.status.done_at"
        return translate(key, lang, time=_moment(row.acknowledged_at, now, lang, tz))
    if status == NotificationStatus.PENDING:
        due = row.scheduled_at or row.created_at
        key = "notifications.status.snoozed_until" if row.snooze_count else "notifications.status.scheduled_for"
        return translate(key, lang, time=_moment(due, now, lang, tz))
    if status in (NotificationStatus.SENT, NotificationStatus.DELIVERED) and row.read_at is None:
        return translate("notifications.status.new", lang)
    return translate(f"notifications.status.{status}", lang)


def _link(row: Notification, lang: str) -> tuple[str, str]:
    """Where a notification leads: ``(address, text)`` of its task's or reminder's page, or ``("", "")``."""
    if row.task_id is not None:
        return routes.TASKS, translate("notifications.open_task", lang)
    if row.reminder_id is not None:
        return routes.REMINDERS, translate("notifications.open_reminder", lang)
    return "", ""


def _item(entry: inbox.InboxItem, now: datetime, lang: str, tz: str) -> dict[str, Any]:
    """One notification as the bell and the page show it."""
    row = entry.notification
    href, link_text = _link(row, lang)
    medication = entry.reminder_kind == ReminderKind.MEDICATION
    answerable = inbox.is_about_reminder(row) and row.status not in (NotificationStatus.ACKNOWLEDGED,
                                                                      NotificationStatus.FAILED)
    failed = row.status == NotificationStatus.FAILED
    when = row.occurrence_at or row.sent_at or row.scheduled_at or row.created_at
    unread = row.read_at is None and row.status in (NotificationStatus.SENT, NotificationStatus.DELIVERED,
                                                    NotificationStatus.MISSED)
    return {
        "id": str(row.id), "title": row.title, "body": row.body, "status": row.status,
        "type_text": translate(f"notifications.type.{row.type}", lang),
        "channel": row.channel, "channel_text": translate(f"delivery.channel.{row.channel}", lang),
        "reason": translate("delivery.failed_reason", lang, reason=row.last_error or "") if failed else "",
        "status_text": _status_text(row, medication, now, lang, tz),
        "when": translate("notifications.when", lang, time=_moment(when, now, lang, tz),
                          relative=_relative(when, now, lang)),
        "when_full": format_datetime(when, lang, tz, date="full"),
        "href": href, "link_text": link_text, "unread": unread, "can_ack": answerable, "can_snooze": answerable,
        "ack_text": translate("notifications.taken" if medication else "notifications.done", lang),
    }


@dataclass(frozen=True)
class _Bell:
    count: int
    items: list[dict[str, Any]]
    toast: str = ""


def _read_bell(session: Session, user: User, lang: str) -> _Bell:
    now = utcnow()
    count = inbox.unread_count(session=session, user=user)
    items = inbox.attention_items(session=session, user=user)
    return _Bell(count=count, items=[_item(entry, now, lang, user.timezone) for entry in items])


def _announcement(session: Session, user: User, payload: dict[str, Any], lang: str) -> str:
    """The toast of a notification the worker just delivered (or found missed: its title says so) to ``user``
    in the app; "" for any other change, another user's or a gone notification."""
    if payload.get("status") not in _ANNOUNCED:
        return ""
    try:
        row = inbox.get_notification(session=session, user=user,
                                     notification_id=parse_id(payload.get("notification_id")))
    except NotFound:
        return ""
    if row.channel != Channel.IN_APP or row.status not in _ANNOUNCED:
        return ""
    if row.status == NotificationStatus.SENT and inbox.is_about_reminder(row):
        return translate("notifications.toast.reminder", lang, title=row.title)
    return row.title


def _on_notifications_page(state: AuthState) -> bool:
    return routes.path_segments(state.router.url.path) == routes.path_segments(routes.NOTIFICATIONS)


class BellState(AuthState):
    """The bell's number and list, and the answers to a notification (from the bell or the page)."""

    count: int = 0
    #: The badge: "3", "99+"; the button's accessible name: "Notifications: 3 need your attention".
    count_text: str = ""
    label: str = ""
    items: list[dict[str, Any]] = []

    def _show(self, bell: _Bell) -> None:
        self.count, self.items = bell.count, bell.items
        self.count_text = f"{BADGE_MAX}+" if bell.count > BADGE_MAX else str(bell.count)
        self.label = translate("notifications.bell.label", self.lang, count=bell.count)

    async def _read(self, extra: Callable[[Session, User], T]) -> T:
        """Run ``extra(session, user)`` then read the bell, in one transaction for the re-checked user."""
        async with self:
            lang = self.lang

        def work(session: Session, user: User) -> tuple[T, _Bell]:
            result = extra(session, user)
            session.flush()
            return result, _read_bell(session, user, lang)

        result, bell = await self._run_as_user(work)
        async with self:
            self._show(bell)
        return result

    async def _on_event(self, payload: dict[str, Any]) -> str:
        """A ``notification`` event for this tab's account: read the bell again; returns the toast to show
        ("" for none). The payload only picks the toast; the row is read for the signed-in user."""
        async with self:
            lang = self.lang
        return await self._read(lambda session, user: _announcement(session, user, payload, lang))

    async def _answer(self, action: Callable[[Session, User], object]) -> None:
        """Run one of the user's answers, show the bell as it is now, and the page's list when it is open."""
        await self._read(action)
        if _on_notifications_page(self):
            page = await self.get_state(NotificationsState)
            await page._reload()

    @rx.event
    async def load(self) -> None:
        """``on_mount`` of the bell: its number and list. A refused session is left to the page's
        ``AuthState.check_login`` (it signs out and says why)."""
        try:
            await self._read(lambda session, user: None)
        except AppError:
            return

    @rx.event
    @guarded
    async def mark_read(self, notification_id: str) -> None:
        """Mark one notification read."""
        ident = parse_id(notification_id, inbox.NOT_FOUND)
        await self._answer(lambda session, user: inbox.mark_read(session=session, user=user, notification_id=ident))

    @rx.event
    @guarded
    async def mark_all_read(self) -> Any:
        """Mark every unread notification read (open reminders stay until answered)."""
        await self._answer(lambda session, user: inbox.mark_all_read(session=session, user=user))
        return rx.toast.success(self._t("notifications.all_read"))

    @rx.event
    @guarded
    async def acknowledge(self, notification_id: str) -> None:
        """Done/Taken on a reminder's notification."""
        ident = parse_id(notification_id, inbox.NOT_FOUND)
        await self._answer(lambda session, user: inbox.acknowledge(session=session, user=user, notification_id=ident))

    async def _snooze(self, notification_id: object, minutes: object) -> Any:
        ident = parse_id(notification_id, inbox.NOT_FOUND)
        length = check_snooze_minutes(minutes)
        await self._answer(lambda session, user: inbox.snooze(session=session, user=user, notification_id=ident,
                                                              minutes=length))
        return rx.toast.success(translate("notifications.snoozed", self.lang, minutes=length))

    @rx.event
    @guarded
    async def snooze(self, notification_id: str, minutes: int) -> Any:
        """Snooze for one of the presets (10 min, 1 h)."""
        return await self._snooze(notification_id, minutes)

    @rx.event
    @guarded
    async def snooze_custom(self, form: dict[str, Any]) -> Any:
        """The page's custom snooze form: ``notification_id`` and ``minutes``, 1 to 1,440 (a refused
        length: a toast, nothing changed)."""
        return await self._snooze(form.get("notification_id", ""), form.get("minutes", ""))


@dataclass(frozen=True)
class _Page:
    items: list[dict[str, Any]]
    has_more: bool


def _read_page(session: Session, user: User, show: str, limit: int, lang: str) -> _Page:
    now = utcnow()
    rows = inbox.list_notifications(session=session, user=user, filter=show, limit=limit + 1)
    return _Page(items=[_item(entry, now, lang, user.timezone) for entry in rows[:limit]],
                 has_more=len(rows) > limit and limit < MAX_SHOWN)


class NotificationsState(AuthState):
    """The page's list, its filter and how many rows it shows."""

    items: list[dict[str, Any]] = []
    show: str = inbox.InboxFilter.ALL.value
    limit: int = PAGE_SIZE
    has_more: bool = False

    async def _reload(self) -> None:
        """Read the list again as stored (after an answer, a filter change or a ``notification`` event)."""
        async with self:
            show, limit, lang = self.show, self.limit, self.lang
        page = await self._run_as_user(lambda session, user: _read_page(session, user, show, limit, lang))
        async with self:
            self.items, self.has_more = page.items, page.has_more

    @rx.event
    @guarded
    async def load(self) -> None:
        """``on_load``: the first page of the chosen filter. Skipped when ``AuthState.check_login`` just found
        no session (it has already reacted)."""
        self.limit = PAGE_SIZE
        if self._role_shown(Role.USER):
            await self._reload()

    @rx.event
    @guarded
    async def set_show(self, value: str | list[str]) -> None:
        """Show all, what needs attention, reminders or missed ones (the segmented control sends a string)."""
        self.show = value if isinstance(value, str) and value in FILTERS else inbox.InboxFilter.ALL.value
        self.limit = PAGE_SIZE
        await self._reload()

    @rx.event
    @guarded
    async def show_more(self) -> None:
        """Show :data:`PAGE_SIZE` more rows (up to :data:`MAX_SHOWN`)."""
        self.limit = min(self.limit + PAGE_SIZE, MAX_SHOWN)
        await self._reload()

"""The admin console's Audit log page: the entries newest first, filtered by action, actor, target and dates
(days in the admin's time zone), paged; values before and after shown as ``key: value`` lines. Every event
re-checks the admin role in the database."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx
from sqlmodel import Session

from assistant.core.errors import InvalidInput
from assistant.core.i18n import format_datetime
from assistant.models import AuditEntry, User
from assistant.models.user import Role
from assistant.services.admin import audit
from assistant.ui.state.auth import AuthState, guarded

PAGE_SIZE = 50


def readable(value: Any) -> str:
    """A logged value as a reader takes it in: one ``key: value`` line per key of a dict (nested values as
    compact JSON), a list as comma-separated items, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return "\n".join(f"{key}: {readable(item) if isinstance(item, list) else _scalar(item)}"
                         for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(_scalar(item) for item in value)
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _day(text: str, zone: ZoneInfo, *, end: bool) -> datetime | None:
    """The start of the day ``text`` (``YYYY-MM-DD``) in ``zone``, or of the day after it for ``end``.

    Raises:
        InvalidInput: ``audit.bad_date``.
    """
    if not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput("audit.bad_date") from exc
    return datetime.combine(day + timedelta(days=1 if end else 0), time(0), tzinfo=zone)


def _row(entry: AuditEntry, language: str, zone: ZoneInfo) -> dict[str, str]:
    return {
        "id": str(entry.id),
        "when": format_datetime(entry.created_at, language, zone, date="medium", time="medium"),
        "actor": entry.actor_email,
        "action": entry.action,
        "target": " ".join(part for part in (entry.target_type, entry.target_label or entry.target_id) if part),
        "before": readable(entry.before),
        "after": readable(entry.after),
        "address": entry.client_address,
    }


class AuditState(AuthState):
    """``entries`` as shown (``when``, ``actor``, ``action``, ``target``, ``before``, ``after``, ``address``),
    ``total`` matching, the page's ``offset``; the filters as typed; ``actions`` for the action filter."""

    entries: list[dict[str, str]] = []
    actions: list[str] = []
    total: int = 0
    offset: int = 0
    filter_action: str = ""
    filter_actor: str = ""
    filter_target: str = ""
    filter_since: str = ""
    filter_until: str = ""

    @rx.var
    def page_label(self) -> str:
        """``first-last / total`` of the entries shown."""
        if not self.total:
            return "0"
        return f"{self.offset + 1}-{self.offset + len(self.entries)} / {self.total}"

    @rx.var
    def has_previous(self) -> bool:
        return self.offset > 0

    @rx.var
    def has_next(self) -> bool:
        return self.offset + PAGE_SIZE < self.total

    async def _show(self, offset: int) -> None:
        """Read the page at ``offset`` with the filters in state, as a re-checked admin."""
        filters = (self.filter_action, self.filter_actor, self.filter_target, self.filter_since, self.filter_until)
        language = self.lang

        def read(session: Session, actor: User) -> tuple[list[dict[str, str]], int, list[str]]:
            action, actor_text, target_text, since, until = filters
            zone = ZoneInfo(actor.timezone)
            page = audit.list_entries(session=session, actor=actor, action=action, actor_text=actor_text,
                                      target_text=target_text, since=_day(since, zone, end=False),
                                      until=_day(until, zone, end=True), offset=offset, limit=PAGE_SIZE)
            return ([_row(entry, language, zone) for entry in page.entries], page.total,
                    audit.known_actions(session=session, actor=actor))

        self.entries, self.total, self.actions = await self._run_as_user(read, minimum_role=Role.ADMIN)
        self.offset = offset

    @rx.event
    @guarded
    async def load(self) -> None:
        """``on_load``: the newest entries with the filters kept (skipped when the page's check found no session)."""
        if self._role_shown(Role.USER):  # signed in (a plain user is refused, not shown an empty page)
            await self._show(0)

    @rx.event
    @guarded
    async def apply_filters(self, form: dict[str, Any]) -> None:
        """Filter by the form's ``action`` (``""`` or ``all``: every action), ``actor``, ``target``, ``since``
        and ``until`` (days, both included); back to the first page."""
        action = str(form.get("action", ""))
        self.filter_action = "" if action == "all" else action
        self.filter_actor = str(form.get("actor", ""))
        self.filter_target = str(form.get("target", ""))
        self.filter_since = str(form.get("since", ""))
        self.filter_until = str(form.get("until", ""))
        await self._show(0)

    @rx.event
    @guarded
    async def next_page(self) -> None:
        await self._show(self.offset + PAGE_SIZE)

    @rx.event
    @guarded
    async def previous_page(self) -> None:
        await self._show(max(0, self.offset - PAGE_SIZE))

"""The admin Analytics page: the period shown and every table's rows (what the charts and tables show).
Every event re-checks the admin role; the SQL runs on a worker thread."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

import reflex as rx
from sqlmodel import Session

from assistant.core.i18n import translate
from assistant.core.security import decode_access_token
from assistant.models import User
from assistant.models.user import Role
from assistant.services.analytics import export, instance
from assistant.services.analytics.periods import Period, last_days, parse_period
from assistant.services.analytics.tables import Cell
from assistant.ui.state.auth import AuthState, guarded

#: The preset ranges (days up to today) offered above the charts; the page opens on the second.
PRESETS = (7, 30, 90)


#: The columns whose values are names from the code, shown in the admin's language (the CSV keeps the codes):
#: column -> catalogue prefix of the value's label.
_LABELLED = {"channel": "delivery.channel", "status": "documents.status"}


def _shown(column: str, value: Cell, lang: str) -> str | int | float:
    """A cell as the page holds it: days as ``YYYY-MM-DD``, channels and document statuses (and the total row)
    translated, other values as they are."""
    if isinstance(value, date):
        return value.isoformat()
    if column in _LABELLED and isinstance(value, str):
        return translate("analytics.total" if value == "total" else f"{_LABELLED[column]}.{value}", lang)
    return value


def _tables(session: Session, user: User, period: Period, lang: str) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows as ``{column: value}`` (on a worker thread)."""
    return {table.key: [{column: _shown(column, value, lang) for column, value in zip(table.columns, row, strict=True)}
                        for row in table.rows]
            for table in instance.all_tables(session=session, user=user, period=period)}


class AnalyticsState(AuthState):
    """``tables``: table key -> rows (``{column: value}``), as the service computed them for ``start`` to
    ``end`` (``YYYY-MM-DD``) in ``timezone`` (the admin's own)."""

    #: Every key is there from the start (empty until loaded): the page reads ``tables[key]`` before the first load.
    tables: dict[str, list[dict[str, Any]]] = {key: [] for key in instance.TABLES}
    start: str = ""
    end: str = ""
    timezone: str = ""
    #: Which time zone the days are counted in, as a sentence.
    zone_hint: str = ""
    #: Said when the range asked for was longer than allowed and was clamped.
    range_notice: str = ""
    #: The inputs are drawn again (with ``start`` and ``end``) when this changes.
    form_key: int = 0

    async def _show(self, choose: Any) -> None:
        """Compute every table for the period ``choose(timezone)`` returns (the admin's zone) and show it."""
        lang = self.lang

        def work(session: Session, user: User) -> tuple[Period, dict[str, list[dict[str, Any]]]]:
            period = choose(user.timezone)
            return period, _tables(session, user, period, lang)

        period, tables = await self._run_as_user(work, minimum_role=Role.ADMIN)
        async with self:
            self.tables = tables
            self.start, self.end, self.timezone = period.start.isoformat(), period.end.isoformat(), period.timezone
            self.zone_hint = self._t("analytics.hint", timezone=period.timezone)
            self.range_notice = (self._t("analytics.clamped", start=self.start, end=self.end)
                                 if period.clamped else "")
            self.form_key += 1

    @rx.event
    @guarded
    async def load(self) -> None:
        """``on_load``: the last 30 days (a non-admin is sent home). Skipped when ``AuthState.check_login``
        found no session."""
        if not self._role_shown(Role.USER):
            return
        await self._show(lambda zone: last_days(PRESETS[1], timezone=zone))

    @rx.event
    @guarded
    async def show_last(self, days: int) -> None:
        """Show the last ``days`` days (one of :data:`PRESETS`; anything else is bounded by the service)."""
        await self._show(lambda zone: last_days(int(days), timezone=zone))

    @rx.event
    @guarded
    async def show_range(self, form: dict[str, Any]) -> None:
        """Show the days ``form["start"]`` to ``form["end"]`` (``YYYY-MM-DD``); a range longer than 366 days
        is clamped to its last 366 days and says so."""
        start, end = str(form.get("start", "")), str(form.get("end", ""))
        await self._show(lambda zone: parse_period(start=start, end=end, timezone=zone))

    @rx.event
    @guarded
    async def download_csv(self, key: str) -> Any:
        """Download table ``key`` for the period shown, as CSV: a one-minute ticket for this login session,
        then ``rx.download`` of ``/api/v1/analytics/{key}.csv?...``."""
        await self._run_as_user(lambda session, user: None, minimum_role=Role.ADMIN)  # renews the access token
        async with self:
            login_session_id = decode_access_token(self.access_token).session_id
            start, end, zone = self.start, self.end, self.timezone
        issued = await self._run_as_user(
            lambda session, user: export.download_ticket(session=session, user=user, key=str(key),
                                                         login_session_id=login_session_id),
            minimum_role=Role.ADMIN)
        query = urlencode({"start": start, "end": end, "tz": zone, "ticket": issued})
        return rx.download(url=f"/api/v1/analytics/{key}.csv?{query}",
                           filename=f"analytics-{key}-{start}-{end}.csv")

"""The Reports page (``/reports``): the user's health summaries and data exports, newest first, with their
status and live progress, Download (a one-minute ticket, then the browser fetches
``/api/v1/reports/{id}/file?ticket=…`` as an attachment) and Delete; and the form "New health summary" (sections,
an optional period, a title). The rows are read again on every ``report`` event of the bus
(:mod:`assistant.ui.state.live`). :func:`report_view` is also what a chat's report card shows
(:mod:`assistant.ui.state.report_card`)."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx
from sqlmodel import Session

from assistant.core.errors import InvalidInput
from assistant.core.i18n import format_datetime, format_size, translate
from assistant.core.security import decode_access_token
from assistant.models import Report, ReportStatus, User
from assistant.models.user import Role
from assistant.services.reports import jobs
from assistant.services.reports.health import SECTIONS, parse_day, request_health_summary
from assistant.ui.state.auth import AuthState, guarded, parse_id

NOT_FOUND = "reports.not_found"


def report_view(report: Report, lang: str, timezone: str) -> dict[str, Any]:
    """A report as a row or a card shows it: ``{"id", "title", "kind", "kind_text", "status", "status_text",
    "stage_text", "progress" (0-100), "created", "detail" (pages, size, "available until" for an expiring
    file), "error" (why it failed), "ready", "open" (queued or running), "failed"}``, text in ``lang``, times
    in ``timezone``."""
    ready = report.status == ReportStatus.COMPLETED
    detail = []
    if ready:
        if report.page_count:
            detail.append(translate("reports.page.pages", lang, count=report.page_count))
        detail.append(format_size(report.size_bytes, lang))
        if report.expires_at is not None:
            detail.append(translate("reports.page.available_until", lang,
                                    time=format_datetime(report.expires_at, lang, timezone)))
    return {
        "id": str(report.id), "title": report.title, "kind": report.kind,
        "kind_text": translate(f"reports.kind.{report.kind}", lang),
        "status": report.status, "status_text": translate(f"reports.status.{report.status}", lang),
        "stage_text": translate(f"reports.stage.{report.stage}", lang) if report.stage else "",
        "progress": report.progress, "created": format_datetime(report.created_at, lang, timezone),
        "detail": " · ".join(detail),
        "error": translate(report.error_code, lang) if report.status == ReportStatus.FAILED and report.error_code
        else "",
        "ready": ready, "open": report.status in (ReportStatus.QUEUED, ReportStatus.RUNNING),
        "failed": report.status == ReportStatus.FAILED,
    }


def _rows(session: Session, user: User, lang: str) -> list[dict[str, Any]]:
    return [report_view(report, lang, user.timezone) for report in jobs.list_reports(session=session, user=user)]


async def download_report(state: AuthState, report_id: str) -> Any:
    """The reaction that downloads ``state``'s user's completed report ``report_id``: a one-minute ticket for
    this login session, then ``rx.download`` of ``/api/v1/reports/{id}/file?ticket=…``.

    Raises:
        NotFound: ``reports.not_found`` (missing, another user's, not completed).
    """
    ident = parse_id(report_id, NOT_FOUND)
    await state._run_as_user(lambda session, user: None)  # renews an expired access token first
    login_session_id = decode_access_token(state.access_token).session_id

    def work(session: Session, user: User) -> tuple[str, str]:
        report = jobs.get_report(session=session, user=user, report_id=ident)
        issued = jobs.download_ticket(session=session, user=user, report_id=ident, login_session_id=login_session_id)
        return issued, jobs.download_name(report)

    issued, name = await state._run_as_user(work)
    return rx.download(url=f"/api/v1/reports/{ident}/file?ticket={issued}", filename=name)


class ReportsState(AuthState):
    """The Reports page: the rows shown and the new summary form's refusal."""

    rows: list[dict[str, Any]] = []
    form_error: str = ""
    #: Changed after a summary is queued, so the form is drawn again with its defaults.
    form_key: int = 0

    async def _reload(self) -> None:
        """Show the user's reports as stored (on load, after a change, on a ``report`` event)."""
        async with self:
            lang = self.lang
        rows = await self._run_as_user(lambda session, user: _rows(session, user, lang))
        async with self:
            self.rows = rows

    @rx.event
    @guarded
    async def load(self) -> None:
        """``on_load``: the rows, the form empty. Skipped when ``AuthState.check_login`` found no session."""
        self.form_error = ""
        if self._role_shown(Role.USER):
            await self._reload()

    @rx.event
    @guarded
    async def create(self, form: dict[str, Any]) -> Any:
        """Queue a health summary with the checked sections (``section_<name>``), the period (``date_from``,
        ``date_to``, either empty) and the title; a refusal is shown in the form."""
        sections = [name for name in SECTIONS if form.get(f"section_{name}") in (True, "on")]
        title = str(form.get("title", ""))[:jobs.MAX_TITLE_CHARS + 1]
        self.form_error = ""
        try:
            date_from, date_to = parse_day(str(form.get("date_from", ""))), parse_day(str(form.get("date_to", "")))
            await self._run_as_user(lambda session, user: request_health_summary(
                session=session, user=user, sections=sections, date_from=date_from, date_to=date_to, title=title))
        except InvalidInput as exc:
            self.form_error = self._t(exc.code, **exc.params)
            return None
        self.form_key += 1
        await self._reload()
        return rx.toast.info(self._t("reports.page.queued"))

    @rx.event
    @guarded
    async def download(self, report_id: str) -> Any:
        """Download a completed report (see :func:`download_report`)."""
        return await download_report(self, report_id)

    @rx.event
    @guarded
    async def delete(self, report_id: str) -> Any:
        """Delete a report and its file (confirmed in a dialog first); a job building it stops."""
        ident: uuid.UUID = parse_id(report_id, NOT_FOUND)
        await self._run_as_user(lambda session, user: jobs.delete_report(session=session, user=user, report_id=ident))
        await self._reload()
        return rx.toast.success(self._t("reports.page.deleted"))


"""The Settings page's "Your data" section: export all of the account's data (a report job whose progress shows
live), download the zip, and delete the account after typing the password again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import reflex as rx
from sqlmodel import Session

from assistant.core.errors import Conflict, InvalidInput
from assistant.core.security import decode_access_token
from assistant.models import OPEN_REPORT_STATUSES, Report, ReportKind, ReportStatus, User
from assistant.models.base import utcnow
from assistant.services.account.deletion import delete_account
from assistant.services.account.export import request_data_export
from assistant.services.reports import jobs
from assistant.ui import routes
from assistant.ui.state.auth import AuthState, guarded, parse_id


@dataclass(frozen=True)
class _Export:
    """The latest data export as the section shows it (``status`` "" when there is none worth showing)."""

    id: str = ""
    status: str = ""
    progress: int = 0
    stage: str = ""
    error_code: str = ""


def _view(report: Report | None) -> _Export:
    if report is None or (report.status == ReportStatus.COMPLETED.value and report.expires_at is not None
                          and report.expires_at <= utcnow()):
        return _Export()
    return _Export(id=str(report.id), status=report.status, progress=report.progress, stage=report.stage,
                   error_code=report.error_code)


def _latest(session: Session, user: User) -> _Export:
    reports = jobs.list_reports(session=session, user=user, kind=ReportKind.DATA_EXPORT, limit=1)
    return _view(reports[0] if reports else None)


class AccountDataState(AuthState):
    """The latest export's job (id, status, percent, translated stage or failure) and the delete dialog."""

    export_id: str = ""
    export_status: str = ""
    export_progress: int = 0
    export_stage: str = ""
    export_error: str = ""
    delete_open: bool = False
    delete_error: str = ""
    deleting: bool = False

    @rx.var
    def export_open(self) -> bool:
        """Whether the export is queued or being built."""
        return self.export_status in OPEN_REPORT_STATUSES

    def _show_export(self, export: _Export) -> None:
        self.export_id, self.export_status, self.export_progress = export.id, export.status, export.progress
        self.export_stage = self._t(f"reports.stage.{export.stage}") if export.stage else ""
        self.export_error = (self._t("account.data.export_failed", reason=self._t(export.error_code or
                                                                                    "reports.failed.render"))
                             if export.status == ReportStatus.FAILED.value else "")

    async def _reload(self) -> None:
        """Read the latest export again for the signed-in user (a live ``report`` event: its payload is not
        trusted)."""
        export = await self._run_as_user(_latest)
        async with self:
            self._show_export(export)

    @rx.event
    @guarded
    async def load_data_export(self) -> None:
        """``on_mount`` of the section: the latest export, if any."""
        self._show_export(await self._run_as_user(_latest))
        self.delete_open, self.delete_error = False, ""

    @rx.event
    @guarded
    async def export_data(self) -> None:
        """Queue an export of all the account's data (the open one if there is one already)."""
        self._show_export(await self._run_as_user(
            lambda session, user: _view(request_data_export(session=session, user=user))))

    @rx.event
    @guarded
    async def download_export(self) -> Any:
        """Fetch the finished zip: a one-minute ticket for it and this login session, followed by the browser as
        an attachment (``GET /api/v1/reports/{id}/file?ticket=…``)."""
        report_id: uuid.UUID = parse_id(self.export_id, "reports.not_found")
        await self._run_as_user(lambda session, user: None)  # renews an expired access token first
        login_session_id = decode_access_token(self.access_token).session_id

        def ticket(session: Session, user: User) -> tuple[str, str]:
            report = jobs.get_report(session=session, user=user, report_id=report_id)
            issued = jobs.download_ticket(session=session, user=user, report_id=report_id,
                                          login_session_id=login_session_id)
            return issued, jobs.download_name(report)

        issued, name = await self._run_as_user(ticket)
        return rx.download(url=f"/api/v1/reports/{report_id}/file?ticket={issued}", filename=name)

    @rx.event
    def set_delete_open(self, value: bool) -> None:
        """Open or close the delete dialog (a new opening starts without a message)."""
        self.delete_open = bool(value)
        self.delete_error = ""

    @rx.event(background=True)
    @guarded
    async def delete_my_account(self, form: dict[str, Any]) -> Any:
        """Delete the account and everything of it once the password in ``form`` is right; then this tab is
        signed out and shows the login page with a message. A wrong password (or being the last superadmin)
        is explained in the dialog and nothing is deleted."""
        async with self:
            if self.deleting:
                return None
            self.deleting, self.delete_error = True, ""
        password = str(form.get("password", ""))
        try:
            await self._run_as_user(
                lambda session, user: delete_account(session=session, user=user, password=password))
        except (InvalidInput, Conflict) as exc:
            async with self:
                self.delete_error = self._t(exc.code, **exc.params)
            return None
        finally:
            async with self:
                self.deleting = False
        async with self:
            self.delete_open = False
            self._forget()
            self._return_to = ""
            self.notice = self._t("account.delete.done")
        return rx.redirect(routes.LOGIN)

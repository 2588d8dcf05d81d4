"""Where a live event (:mod:`assistant.ui.live`) lands in a tab, whatever page it shows.

``receive`` is queued by the web process for each tab of the event's users. Like every event it can also
be sent by the tab itself, so it trusts nothing: it acts only when the event names the account the tab
is signed in as, and what it shows is either the event's own small payload (only ever about documents
that account may read) or read again from the database for the signed-in user.
"""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx
from sqlmodel import Session

from assistant.core.errors import AppError, NotFound, Unauthorized
from assistant.core.security import decode_access_token
from assistant.models import DocumentStatus, ReportStatus, User
from assistant.services.reports import jobs as report_jobs
from assistant.ui import routes
from assistant.ui.state.account_data import AccountDataState
from assistant.ui.state.auth import AuthState, parse_id
from assistant.ui.state.chat import ChatState
from assistant.ui.state.documents import DocumentsState
from assistant.ui.state.memory import MemoryState
from assistant.ui.state.notifications import BellState, NotificationsState
from assistant.ui.state.reminders import RemindersState
from assistant.ui.state.reports import ReportsState
from assistant.ui.state.tasks import TasksState


def tab_user(access_token: str) -> uuid.UUID | None:
    """The account a tab is signed in as, from its access token (signature checked, expiry not: a tab
    whose token just expired still belongs to that user); None when signed out or the token is bad."""
    if not access_token:
        return None
    try:
        return decode_access_token(access_token, verify_expiry=False).user_id
    except Unauthorized:
        return None


class LiveState(AuthState):
    """Receives the tab's live events (no vars of its own)."""

    @rx.event
    async def receive(self, topic: str, payload: dict[str, Any], user_id: str) -> Any:
        """One event of the bus for this tab's account (module docstring); other accounts' are ignored."""
        me = tab_user(self.access_token)
        if me is None or str(me) != user_id or not isinstance(payload, dict):
            return None
        if topic == "document":
            return await self._document(payload, str(me))
        if topic == "memory":
            return await self._memory()
        if topic in ("task", "reminder"):
            failed = await self._tasks()
            if topic == "task" or failed is not None:
                return failed
        if topic in ("reminder", "notification"):
            failed = await self._reminders()
            if topic == "reminder" or failed is not None:
                return failed
        if topic == "notification":
            return await self._notification(payload)
        if topic == "report":
            failed = await self._data_export()
            if failed is not None:
                return failed
            return await self._report(payload)
        return None

    async def _report(self, payload: dict[str, Any]) -> Any:
        """A report of the account was queued, progressed, ended or was deleted: the Reports page reads its rows
        again, an open chat its report cards; one that became ready or failed is announced with a toast (its
        title and status read for the signed-in user: the payload's id is not trusted)."""
        path = routes.path_segments(self.router.url.path)
        try:
            if path == routes.path_segments(routes.REPORTS):
                await (await self.get_state(ReportsState))._reload()
            elif path[:1] == routes.path_segments(routes.CHATS):
                await (await self.get_state(ChatState))._refresh_reports()
            if payload.get("status") not in (ReportStatus.COMPLETED.value, ReportStatus.FAILED.value):
                return None
            ident = parse_id(payload.get("id"), "reports.not_found")

            def read(session: Session, user: User) -> tuple[str, str, str]:
                report = report_jobs.get_report(session=session, user=user, report_id=ident)
                return report.title, report.status, report.error_code

            title, status, error_code = await self._run_as_user(read)
        except NotFound:
            return None
        except AppError as exc:
            return self._handle_error(exc)
        if status == ReportStatus.COMPLETED:
            return rx.toast.success(self._t("reports.live.ready", title=title))
        if status == ReportStatus.FAILED:
            return rx.toast.error(self._t("reports.live.failed", title=title,
                                          reason=self._t(error_code) if error_code else ""))
        return None

    async def _notification(self, payload: dict[str, Any]) -> Any:
        """A notification of the account was delivered, answered or snoozed (by the worker, another tab,
        another process): the bell reads itself again, the Notifications page too when it is open; a newly
        delivered one is announced with a toast (read for the signed-in user: the payload's id is not
        trusted)."""
        bell = await self.get_state(BellState)
        try:
            toast = await bell._on_event(payload)
            if routes.path_segments(self.router.url.path) == routes.path_segments(routes.NOTIFICATIONS):
                page = await self.get_state(NotificationsState)
                await page._reload()
        except AppError as exc:
            return self._handle_error(exc)
        return rx.toast.info(toast) if toast else None

    async def _tasks(self) -> Any:
        """The account's tasks or reminders changed (in another tab, a chat, another process): the Tasks page
        (which shows each task's next reminder) reads itself again for the signed-in user (the payload's ids are
        not trusted)."""
        if routes.path_segments(self.router.url.path) != routes.path_segments(routes.TASKS):
            return None
        tasks = await self.get_state(TasksState)
        try:
            await tasks._reload()
        except AppError as exc:
            return self._handle_error(exc)
        return None

    async def _reminders(self) -> Any:
        """A reminder of the account changed or fired, or one of its notifications was answered (by the worker,
        another tab, a chat): the Reminders page reads itself again for the signed-in user (the payload's ids
        are not trusted). Returns the reaction to a failed read, else None."""
        if routes.path_segments(self.router.url.path) != routes.path_segments(routes.REMINDERS):
            return None
        page = await self.get_state(RemindersState)
        try:
            await page._reload()
        except AppError as exc:
            return self._handle_error(exc)
        return None

    async def _data_export(self) -> Any:
        """A report or data export of the account changed (queued, progress, ready, failed, deleted): the
        Settings page's "Your data" section reads its export again for the signed-in user (the payload is not
        trusted). Returns the reaction to a failed read, else None."""
        if routes.path_segments(self.router.url.path) != routes.path_segments(routes.SETTINGS):
            return None
        section = await self.get_state(AccountDataState)
        try:
            await section._reload()
        except AppError as exc:
            return self._handle_error(exc)
        return None

    async def _memory(self) -> Any:
        """The account's memory changed (in another tab, a chat, another process): the Memory page reads
        itself again for the signed-in user (the payload's ids are not trusted)."""
        if routes.path_segments(self.router.url.path) != routes.path_segments(routes.MEMORY):
            return None
        memory = await self.get_state(MemoryState)
        try:
            await memory._reload()
        except AppError as exc:
            return self._handle_error(exc)
        return None

    async def _document(self, payload: dict[str, Any], me: str) -> Any:
        """Document progress: the Documents page updates its row; every page of the uploader's tabs says
        when ingestion ended (ready or failed)."""
        if routes.path_segments(self.router.url.path) == routes.path_segments(routes.DOCUMENTS):
            documents = await self.get_state(DocumentsState)
            await documents._on_progress(payload)
        if payload.get("owner_id") != me:
            return None
        name = str(payload.get("filename", ""))
        if payload.get("status") == DocumentStatus.COMPLETED.value:
            return rx.toast.success(self._t("documents.live.ready", filename=name))
        if payload.get("status") == DocumentStatus.FAILED.value:
            reason = self._t(str(payload["error_code"])) if payload.get("error_code") else ""
            return rx.toast.error(self._t("documents.live.failed", filename=name, reason=reason))
        return None

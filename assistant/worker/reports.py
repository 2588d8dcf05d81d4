"""Reports and data exports as jobs of the leader's scheduler (:mod:`assistant.worker.scheduler`).

A queued :class:`~assistant.models.Report` has the job ``report:<uuid>``, due at once, in the scheduler's
:data:`~assistant.worker.task_runs.RUN_EXECUTOR` (a render may take seconds; reminders never wait for it). The
web signals it when the report is asked for, deleted or cancelled; the reconciliation sets the jobs of queued
reports whose signal was lost. The job runs :func:`assistant.services.reports.jobs.run_report` with the builder
of the report's kind (:data:`BUILDERS`). Reports a dead worker left running are marked failed when the next
scheduler starts.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Protocol

from assistant.core.logging import log_context
from assistant.services.account.export import build_data_export
from assistant.services.reports import jobs
from assistant.services.reports.health import build_health_summary
from assistant.services.reports.jobs import Builder

log = logging.getLogger("assistant.worker.scheduler")

#: The builder of each kind of report.
BUILDERS: dict[str, Builder] = {
    "data_export": build_data_export,
    "health_summary": build_health_summary,
}


class ReportBook(Protocol):
    """The scheduler's side that this module needs (:class:`assistant.worker.scheduler.Jobs`)."""

    def set_report(self, report_id: uuid.UUID, run_at: datetime) -> None: ...

    def remove(self, job_id: str) -> None: ...


def report_job_id(report_id: uuid.UUID) -> str:
    """``report:<uuid>``: the id of a queued report's job."""
    return f"report:{report_id}"


def sync_report(report_id: uuid.UUID, book: ReportBook) -> None:
    """Make the job of ``report_id`` match its row: set while it is queued, else removed (a running job is not
    stopped here: it sees the cancellation at its next step)."""
    queued_at = jobs.is_queued(report_id)
    if queued_at is not None:
        book.set_report(report_id, queued_at)
    else:
        book.remove(report_job_id(report_id))


def build_report(report_id: str) -> None:
    """APScheduler job: build the queued report ``report_id`` (:func:`assistant.services.reports.jobs.run_report`)."""
    with log_context(job_id=report_job_id(uuid.UUID(report_id))):
        status = jobs.run_report(uuid.UUID(report_id), BUILDERS)
        log.info("report %s ended: %s", report_id, status or "not queued any more")


def fail_interrupted_reports() -> int:
    """Mark the reports a dead worker left ``running`` as failed; how many."""
    count = jobs.fail_interrupted_reports()
    if count:
        log.warning("%d report(s) were interrupted by a worker that stopped; marked failed", count)
    return count

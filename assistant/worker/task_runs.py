"""Runs of tasks handed to the assistant, as jobs of the leader's scheduler (:mod:`assistant.worker.scheduler`).

A queued :class:`~assistant.models.TaskRun` has the job ``task_run:<uuid>`` at its ``due_at``, set when the
web signals it (``hand_to_assistant``), when an ``assistant`` reminder's occurrence queues it
(:mod:`assistant.worker.firing`), or by the reconciliation; a run cancelled before it started loses its job.
The job (:func:`start_task_run`) runs the chat turn in the scheduler's :data:`RUN_EXECUTOR` thread pool, so a
long run never delays a reminder; it runs however late it comes (a task the user asked for is still wanted),
and :func:`assistant.services.tasks.runs.execute_run` does nothing for a run that is no longer queued.
Runs left ``running`` by a worker that died are marked failed when the next scheduler starts.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime
from typing import Protocol

from sqlmodel import select

from assistant.core.db import session_scope
from assistant.core.logging import log_context
from assistant.models import RunStatus, TaskRun
from assistant.services.tasks.runs import execute_run, interrupt_stale_runs

log = logging.getLogger("assistant.worker.scheduler")

#: The scheduler's executor that runs task runs, and its threads (runs at once; more wait their turn).
RUN_EXECUTOR = "runs"
RUN_THREADS = 2


class RunBook(Protocol):
    """The scheduler's side that this module needs (:class:`assistant.worker.scheduler.Jobs`)."""

    def set_run(self, run: TaskRun) -> None: ...

    def remove(self, job_id: str) -> None: ...


def run_job_id(run_id: uuid.UUID) -> str:
    """``task_run:<uuid>``: the id of a queued run's job."""
    return f"task_run:{run_id}"


def start_task_run(run_id: str) -> None:
    """APScheduler job: run the queued run ``run_id`` to its end on an event loop of this thread."""
    with log_context(job_id=run_job_id(uuid.UUID(run_id))):
        status = asyncio.run(execute_run(uuid.UUID(run_id)))
        log.info("task run %s ended: %s", run_id, status or "not queued any more")


def sync_run(run_id: uuid.UUID, book: RunBook) -> None:
    """Make the job of ``run_id`` match its row: set for ``due_at`` while queued, else removed."""
    with session_scope() as session:
        run = session.exec(select(TaskRun).where(TaskRun.id == run_id).with_for_update()).first()
        if run is not None and run.status == RunStatus.QUEUED.value:
            book.set_run(run)
        else:
            book.remove(run_job_id(run_id))


def queued_runs() -> list[tuple[uuid.UUID, datetime]]:
    """``(id, due_at)`` of every queued run, for the reconciliation."""
    with session_scope() as session:
        return [(row[0], row[1]) for row in session.exec(
            select(TaskRun.id, TaskRun.due_at).where(TaskRun.status == RunStatus.QUEUED.value)).all()]


def fail_interrupted_runs() -> int:
    """Mark the runs a dead worker left ``running`` as failed (before this scheduler starts any); how many."""
    with session_scope() as session:
        count = interrupt_stale_runs(session)
    if count:
        log.warning("%d task run(s) were interrupted by a worker that stopped; marked failed", count)
    return count

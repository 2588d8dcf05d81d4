"""Tasks handed to the assistant: each run is a chat turn in the worker, with the user's context and tools.

* :func:`hand_to_assistant` queues a run now or at a time (a :class:`~assistant.models.TaskRun`) and signals
  the worker's scheduler, which starts it at ``due_at``; a schedule ("every Monday at 9") is a reminder of
  kind ``assistant`` on the task, whose occurrences queue runs the same way.
* :func:`execute_run` (the worker's job) sends the task as a message to the task's chat (one chat per task,
  made by its first run) through :func:`assistant.services.chat.turns.run_turn`, so the answer has the
  user's memory, documents and tools; the model may split the task into subtasks (``create_task`` with
  ``parent_task_id``) and work through them (``complete_task``). The result lands in that chat and as a
  ``task`` notification.
* Bounds: :data:`~assistant.services.chat.turns.MAX_TOOL_ROUNDS` model rounds (each at most the tier's
  ``max_tokens`` of output), :data:`RUN_SECONDS` of wall time; the tokens spent are stored on the run.
* :func:`cancel_run`: a queued run is cancelled at once; a running one is told through its row and stops
  within :data:`CANCEL_POLL_SECONDS` (what the answer had so far is kept, marked stopped).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from assistant.core import events
from assistant.core.config import Settings, get_settings
from assistant.core.db import in_session
from assistant.core.errors import AppError, Conflict, InvalidInput, NotFound
from assistant.core.i18n import translate
from assistant.models import Channel, Chat, Message, MessageRole, NotificationType, RunStatus, Task, TaskRun, User
from assistant.models.base import utcnow
from assistant.services.chat.chats import create_chat
from assistant.services.chat.turn_events import TurnFinished
from assistant.services.chat.turns import run_turn
from assistant.services.llm.tiers import tier_offline
from assistant.services.notifications.delivery import send_notification
from assistant.services.scheduler.signals import signal_scheduler
from assistant.services.tasks.tasks import get_task

log = logging.getLogger(__name__)

#: Longest wall time of one run, seconds; a run still going is stopped and marked failed.
RUN_SECONDS = 300.0
#: How often a running run checks whether it was cancelled, seconds.
CANCEL_POLL_SECONDS = 1.0
#: Runs listed per task.
RUNS_SHOWN = 10
_OPEN = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)


@dataclass(frozen=True)
class RunView:
    """One run as the Tasks page shows it: times are aware UTC; tokens are the model's counts."""

    id: uuid.UUID
    task_id: uuid.UUID
    status: str
    due_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    chat_id: uuid.UUID | None
    rounds: int
    input_tokens: int
    output_tokens: int
    error_code: str


def _view(run: TaskRun) -> RunView:
    return RunView(run.id, run.task_id, run.status, run.due_at, run.started_at, run.finished_at, run.chat_id,
                   run.rounds, run.input_tokens, run.output_tokens, run.error_code)


def assistant_available(*, session: Session, user: User, settings: Settings | None = None) -> bool:
    """Whether a language model answers for ``user``'s default tier (else the option is absent)."""
    return not tier_offline(session=session, name=user.default_tier, settings=settings or get_settings())


def _run(session: Session, user: User, run_id: uuid.UUID, *, lock: bool = False) -> TaskRun:
    query = select(TaskRun).where(TaskRun.id == run_id, TaskRun.user_id == user.id)
    run = session.exec(query.with_for_update() if lock else query).first()
    if run is None:
        raise NotFound("tasks.run.not_found")
    return run


def _changed(session: Session, run: TaskRun) -> None:
    events.publish([run.user_id], "task", {"task_id": str(run.task_id), "run_id": str(run.id)}, session=session)


def hand_to_assistant(*, session: Session, user: User, task_id: uuid.UUID, at: datetime | None = None,
                      settings: Settings | None = None) -> RunView:
    """Queue a run of the user's task, due ``at`` (aware; default now), and signal the scheduler.

    Raises:
        NotFound: ``tasks.not_found`` (missing or another user's task).
        InvalidInput: ``tasks.run.no_model`` when no language model is configured; ``tasks.run.past`` for a
            time more than a minute ago.
        Conflict: ``tasks.run.already_open`` while a run of the task is queued or running.
    """
    task = get_task(session=session, user=user, task_id=task_id, lock=True)
    if not assistant_available(session=session, user=user, settings=settings):
        raise InvalidInput("tasks.run.no_model")
    now = utcnow()
    due = now if at is None else at
    if due.tzinfo is None:
        raise InvalidInput("tasks.run.bad_time")
    if (now - due).total_seconds() > 60:
        raise InvalidInput("tasks.run.past")
    open_run = session.exec(select(TaskRun.id).where(TaskRun.task_id == task.id,
                                                     col(TaskRun.status).in_(_OPEN))).first()
    if open_run is not None:
        raise Conflict("tasks.run.already_open")
    run = TaskRun(user_id=user.id, task_id=task.id, due_at=max(due, now))
    session.add(run)
    session.flush()
    signal_scheduler(session, "task_run", run.id)
    _changed(session, run)
    return _view(run)


def queue_scheduled_run(*, session: Session, task_id: uuid.UUID, occurrence_at: datetime) -> TaskRun | None:
    """The scheduler's side of an ``assistant`` reminder: queue a run of its task due at the occurrence,
    unless one is already open (then None: a run is never started twice at once). The caller schedules it."""
    task = session.exec(select(Task).where(Task.id == task_id).with_for_update()).first()
    if task is None:
        return None
    open_run = session.exec(select(TaskRun.id).where(TaskRun.task_id == task.id,
                                                     col(TaskRun.status).in_(_OPEN))).first()
    if open_run is not None:
        return None
    run = TaskRun(user_id=task.user_id, task_id=task.id, due_at=occurrence_at)
    session.add(run)
    session.flush()
    _changed(session, run)
    return run


def cancel_run(*, session: Session, user: User, run_id: uuid.UUID) -> RunView:
    """Cancel a queued run at once, or ask a running one to stop (it does within
    :data:`CANCEL_POLL_SECONDS`). A finished run is left as it is.

    Raises:
        NotFound: ``tasks.run.not_found``.
    """
    run = _run(session, user, run_id, lock=True)
    if run.status == RunStatus.QUEUED.value:
        run.status, run.finished_at = RunStatus.CANCELLED.value, utcnow()
        signal_scheduler(session, "task_run", run.id)
    elif run.status == RunStatus.RUNNING.value:
        run.cancel_requested = True
    session.add(run)
    _changed(session, run)
    return _view(run)


def list_runs(*, session: Session, user: User, task_id: uuid.UUID) -> list[RunView]:
    """The task's latest :data:`RUNS_SHOWN` runs, newest first.

    Raises:
        NotFound: ``tasks.not_found``.
    """
    get_task(session=session, user=user, task_id=task_id)
    runs = session.exec(select(TaskRun).where(TaskRun.task_id == task_id)
                        .order_by(col(TaskRun.created_at).desc()).limit(RUNS_SHOWN)).all()
    return [_view(run) for run in runs]


@dataclass(frozen=True)
class _Start:
    user_id: uuid.UUID
    chat_id: uuid.UUID
    prompt: str


def _begin(session: Session, run_id: uuid.UUID) -> _Start | None:
    """Mark a queued run running in the task's chat (made on the first run); None when it is not queued
    (cancelled meanwhile, or started by another job)."""
    run = session.exec(select(TaskRun).where(TaskRun.id == run_id).with_for_update()).first()
    if run is None or run.status != RunStatus.QUEUED.value:
        return None
    task = session.get(Task, run.task_id)
    user = session.get(User, run.user_id)
    if task is None or user is None:
        return None
    earlier = session.exec(select(TaskRun.chat_id).where(TaskRun.task_id == task.id, col(TaskRun.chat_id).is_not(None))
                           .order_by(col(TaskRun.created_at).desc())).first()
    chat_id = earlier if earlier is not None and session.get(Chat, earlier) is not None else None
    if chat_id is None:
        title = translate("tasks.run.chat_title", user.language, title=task.title)[:200]
        chat_id = create_chat(session=session, user=user, title=title).id
    subtasks = session.exec(select(Task.title).where(Task.parent_id == task.id).order_by(col(Task.position))).all()
    prompt = translate("tasks.run.prompt", user.language, title=task.title, task_id=str(task.id),
                       notes=task.notes.strip() or "-", subtasks="\n".join(f"- {s}" for s in subtasks) or "-")
    run.status, run.started_at, run.chat_id = RunStatus.RUNNING.value, utcnow(), chat_id
    session.add(run)
    _changed(session, run)
    return _Start(user.id, chat_id, prompt)


def _fail_before_start(session: Session, run_id: uuid.UUID, code: str) -> None:
    run = session.get(TaskRun, run_id)
    if run is not None and run.status == RunStatus.QUEUED.value:
        run.status, run.error_code, run.finished_at = RunStatus.FAILED.value, code, utcnow()
        session.add(run)
        _changed(session, run)
        _notify(session, run, None)


def _cancel_requested(session: Session, run_id: uuid.UUID) -> bool:
    return bool(session.exec(select(TaskRun.cancel_requested).where(TaskRun.id == run_id)).first())


def _finish(session: Session, run_id: uuid.UUID, status: str, code: str) -> None:
    """Store the run's outcome and cost (from the answer messages it wrote) and notify the user."""
    run = session.exec(select(TaskRun).where(TaskRun.id == run_id).with_for_update()).one()
    answers = (select(func.count(), func.coalesce(func.sum(Message.input_tokens), 0),
                      func.coalesce(func.sum(Message.output_tokens), 0))
               .where(Message.chat_id == run.chat_id, Message.role == MessageRole.ASSISTANT.value,
                      col(Message.created_at) >= run.started_at))
    rounds, tokens_in, tokens_out = session.exec(answers).one()
    run.status, run.error_code, run.finished_at = status, code, utcnow()
    run.rounds, run.input_tokens, run.output_tokens = int(rounds), int(tokens_in), int(tokens_out)
    session.add(run)
    last = session.exec(select(Message.content).where(Message.chat_id == run.chat_id,
                                                      Message.role == MessageRole.ASSISTANT.value)
                        .order_by(col(Message.seq).desc())).first()
    _changed(session, run)
    _notify(session, run, last)


async def execute_run(run_id: uuid.UUID, *, settings: Settings | None = None) -> str:
    """Run a queued run to its end (the worker's job); returns its final status (``""`` when it was not
    queued). Never raises for a failure of the run itself: that is stored as ``failed`` with an i18n code."""
    try:
        start = await in_session(lambda session: _begin(session, run_id))
    except AppError as exc:
        code = exc.code
        await in_session(lambda session: _fail_before_start(session, run_id, code))
        return RunStatus.FAILED.value
    if start is None:
        return ""
    outcome: list[tuple[str, str]] = []

    async def consume() -> None:
        async with contextlib.aclosing(run_turn(user_id=start.user_id, chat_id=start.chat_id, text=start.prompt,
                                                settings=settings)) as turn:
            async for event in turn:
                if isinstance(event, TurnFinished):
                    ok = event.status == "complete"
                    outcome.append((RunStatus.DONE.value, "") if ok else (RunStatus.FAILED.value,
                                                                          event.error_code or "tasks.run.failed"))

    began = time.monotonic()
    answering = asyncio.create_task(consume())
    while not answering.done():
        await asyncio.wait({answering}, timeout=CANCEL_POLL_SECONDS)
        if answering.done():
            break
        if time.monotonic() - began > RUN_SECONDS:
            outcome[:] = [(RunStatus.FAILED.value, "tasks.run.timed_out")]
            answering.cancel()
        elif await in_session(lambda session: _cancel_requested(session, run_id)):
            outcome[:] = [(RunStatus.CANCELLED.value, "")]
            answering.cancel()
    try:
        await answering
    except asyncio.CancelledError:
        pass
    except Exception as exc:
        log.exception("task run %s failed", run_id)
        outcome[:] = [(RunStatus.FAILED.value, exc.code if isinstance(exc, AppError) else "tasks.run.failed")]
    status, code = outcome[-1] if outcome else (RunStatus.FAILED.value, "tasks.run.failed")
    await in_session(lambda session: _finish(session, run_id, status, code))
    return status


def interrupt_stale_runs(session: Session) -> int:
    """Runs left ``running`` by a worker that died: marked failed (``tasks.run.interrupted``); returns how many.
    Called by the scheduler when it starts, before any run of its own."""
    stale = session.exec(select(TaskRun).where(TaskRun.status == RunStatus.RUNNING.value).with_for_update()).all()
    for run in stale:
        run.status, run.error_code, run.finished_at = RunStatus.FAILED.value, "tasks.run.interrupted", utcnow()
        session.add(run)
        _changed(session, run)
    return len(stale)


#: Characters of the run's answer shown in its notification.
NOTIFICATION_PREVIEW_CHARS = 300


def _notify(session: Session, run: TaskRun, answer: str | None) -> None:
    """The run's outcome as one in-app ``task`` notification (at most one per run: idempotency key)."""
    task = session.get(Task, run.task_id)
    user = session.get(User, run.user_id)
    if task is None or user is None:
        return
    language = user.language
    title = translate(f"tasks.run.outcome.{run.status}", language, title=task.title)
    body = (answer or "").strip()[:NOTIFICATION_PREVIEW_CHARS] if run.status == RunStatus.DONE.value else (
        translate(run.error_code, language) if run.error_code else "")
    send_notification(session=session, user_id=user.id, type=NotificationType.TASK, title=title, body=body,
                      task_id=task.id, idempotency_key=f"task_run:{run.id}:{Channel.IN_APP.value}")

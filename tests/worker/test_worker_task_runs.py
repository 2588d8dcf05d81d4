"""Tasks handed to the assistant, run by the real worker's scheduler against the loopback model: a run handed
over now posts its result in the task's chat and tells the user; a cancelled run stops within a few seconds;
an ``assistant`` reminder's occurrence starts a run of its task."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select
from support.llm_server import LoopbackLLMServer, openai_env
from support.scripted_model import ScriptedModel, answer
from support.worker import leading_worker, wait_for, worker_environment

from assistant.core.db import session_scope
from assistant.models import Message, Notification, Reminder, RunStatus, TaskRun
from assistant.models.base import utcnow
from assistant.services.scheduler.signals import signal_scheduler
from assistant.services.tasks import runs
from assistant.services.tasks.tasks import create_task


@pytest.fixture(scope="module")
def model():
    with LoopbackLLMServer() as server:
        yield ScriptedModel(server)


@pytest.fixture(scope="module")
def worker(database, tmp_path_factory, model):
    """One worker whose model is the loopback server; the scheduler runs in it."""
    env = worker_environment(database.url, database.data_dir) | openai_env(model.server, timeout_seconds=20)
    with leading_worker("task-runs", tmp_path_factory.mktemp("task-runs"), env) as worker:
        yield worker


@pytest.fixture
def online(configure, model):
    """This process's settings point at the same model (so the option is offered), with no scripted reply left."""
    model.reset()
    configure(openai_api_key="sk-loopback", openai_base_url=f"{model.server.url}/v1")
    yield model
    assert model.pending() == 0, "a scripted reply was never asked for"


def run_row(task_id: uuid.UUID) -> TaskRun | None:
    with session_scope() as session:
        return session.exec(select(TaskRun).where(TaskRun.task_id == task_id)
                            .order_by(TaskRun.created_at.desc())).first()  # type: ignore[attr-defined]


def test_a_task_handed_over_now_posts_its_result_and_tells_the_user(worker, online, call, make_user) -> None:
    user = make_user()
    task = call(create_task, user=user, title="Summarise my week's readings")
    online.script(answer("Blood pressure averaged 126/81 this week."))
    call(runs.hand_to_assistant, user=user, task_id=task.id)

    wait_for(lambda: (run := run_row(task.id)) is not None and run.status == RunStatus.DONE.value, 30,
             "the run to finish", [worker])
    run = run_row(task.id)
    assert run is not None and run.chat_id is not None and run.output_tokens == 7
    with session_scope() as session:
        last = session.exec(select(Message.content).where(Message.chat_id == run.chat_id)
                            .order_by(Message.seq.desc())).first()  # type: ignore[attr-defined]
        titles = session.exec(select(Notification.title).where(Notification.user_id == user.id)).all()
    assert last == "Blood pressure averaged 126/81 this week."
    assert titles == ["Task done: Summarise my week's readings"]


def test_a_cancelled_run_stops_within_a_few_seconds(worker, online, call, make_user) -> None:
    user = make_user()
    task = call(create_task, user=user, title="Write a long report")
    online.script(answer(*["word "] * 300, interval=0.2))  # a minute of streaming
    queued = call(runs.hand_to_assistant, user=user, task_id=task.id)
    wait_for(lambda: run_row(task.id).status == RunStatus.RUNNING.value, 30, "the run to start", [worker])
    time.sleep(1.5)
    asked = time.monotonic()
    call(runs.cancel_run, user=user, run_id=queued.id)
    wait_for(lambda: run_row(task.id).status == RunStatus.CANCELLED.value, 10, "the run to stop", [worker])
    assert time.monotonic() - asked < 5


def test_an_assistant_reminder_starts_a_run_of_its_task_at_each_occurrence(worker, online, call, make_user) -> None:
    user = make_user()
    task = call(create_task, user=user, title="Check my glucose log")
    online.script(answer("Glucose was in range on 6 of 7 days."))
    due = (utcnow() + timedelta(seconds=3)).replace(microsecond=0)
    with session_scope() as session:
        reminder = Reminder(user_id=user.id, title=task.title, kind="assistant", task_id=task.id, timezone="UTC",
                            starts_at=due.astimezone(ZoneInfo("UTC")).replace(tzinfo=None), recurrence="rrule",
                            rrule="FREQ=WEEKLY", next_occurrence_at=due, next_fire_at=due)
        session.add(reminder)
        session.flush()
        signal_scheduler(session, "reminder", reminder.id)

    wait_for(lambda: (run := run_row(task.id)) is not None and run.status == RunStatus.DONE.value, 30,
             "the scheduled run to finish", [worker])
    run = run_row(task.id)
    assert run is not None and run.due_at == due
    with session_scope() as session:
        kinds = session.exec(select(Notification.type).where(Notification.user_id == user.id)).all()
        after = session.get(Reminder, reminder.id)
    assert kinds == ["task"], "the run's outcome, not a reminder notification"
    # the series goes on a week later (recurrences keep whole minutes)
    assert after is not None and after.next_occurrence_at == (due + timedelta(weeks=1)).replace(second=0)

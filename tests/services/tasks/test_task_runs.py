"""Tasks handed to the assistant: a run answers in the task's chat with the user's tools, tells the user, records
its cost, stops within seconds when cancelled, and is absent without a model."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from sqlmodel import select
from support.llm_server import LoopbackLLMServer, Reply, ToolUse, Turn, openai_events
from support.scripted_model import ScriptedModel, answer

from assistant.core.errors import Conflict, InvalidInput, NotFound
from assistant.models import Message, Notification, RunStatus, Task, TaskRun
from assistant.services.tasks import runs
from assistant.services.tasks.tasks import create_task


@pytest.fixture
def model(configure):
    """A scripted OpenAI-compatible model that every tier of the seed settings answers with."""
    with LoopbackLLMServer() as server:
        configure(openai_api_key="sk-loopback", openai_base_url=f"{server.url}/v1", llm_timeout_seconds=10)
        yield ScriptedModel(server)


def test_without_a_model_the_option_is_refused_and_says_why(call, make_user) -> None:
    user = make_user()
    task = call(create_task, user=user, title="Summarise my week")
    assert call(runs.assistant_available, user=user) is False
    with pytest.raises(InvalidInput) as refused:
        call(runs.hand_to_assistant, user=user, task_id=task.id)
    assert refused.value.code == "tasks.run.no_model"
    assert call(lambda session: session.exec(select(TaskRun)).all()) == []


def test_a_run_answers_in_the_task_chat_tells_the_user_and_records_its_cost(call, make_user, model) -> None:
    user = make_user()
    task = call(create_task, user=user, title="Summarise my blood pressure readings")
    model.script(
        Reply(events=openai_events(Turn(tool_calls=(ToolUse("c1", "create_task", (json.dumps(
            {"title": "Collect the readings", "parent_task_id": str(task.id)}),)),),
            input_tokens=30, output_tokens=9))),
        answer("Your readings average 128/82.", input_tokens=40, output_tokens=11),
    )
    queued = call(runs.hand_to_assistant, user=user, task_id=task.id)
    assert queued.status == RunStatus.QUEUED.value
    with pytest.raises(Conflict):  # one open run per task
        call(runs.hand_to_assistant, user=user, task_id=task.id)

    assert asyncio.run(runs.execute_run(queued.id)) == RunStatus.DONE.value

    [run] = call(runs.list_runs, user=user, task_id=task.id)
    assert run.status == RunStatus.DONE.value and run.chat_id is not None
    assert (run.input_tokens, run.output_tokens, run.rounds) == (70, 20, 2)
    texts = call(lambda session: session.exec(select(Message.content).where(Message.chat_id == run.chat_id)
                                              .order_by(Message.seq)).all())
    assert "Summarise my blood pressure readings" in texts[0]
    assert texts[-1] == "Your readings average 128/82."
    subtasks = call(lambda session: session.exec(select(Task.title).where(Task.parent_id == task.id)).all())
    assert subtasks == ["Collect the readings"]
    [note] = call(lambda session: session.exec(select(Notification).where(Notification.user_id == user.id)).all())
    assert note.type == "task" and note.task_id == task.id
    assert note.title == "Task done: Summarise my blood pressure readings"
    assert note.body == "Your readings average 128/82."

    # a second run reuses the task's chat
    model.script(answer("Still 128/82."))
    again = call(runs.hand_to_assistant, user=user, task_id=task.id)
    assert asyncio.run(runs.execute_run(again.id)) == RunStatus.DONE.value
    assert call(runs.list_runs, user=user, task_id=task.id)[0].chat_id == run.chat_id


def test_cancel_stops_a_running_run_within_seconds(call, make_user, model) -> None:
    user = make_user()
    task = call(create_task, user=user, title="Write a long report")
    model.script(answer(*["word "] * 200, interval=0.2))  # 40 s of streaming
    queued = call(runs.hand_to_assistant, user=user, task_id=task.id)

    async def run_and_cancel() -> tuple[str, float]:
        running = asyncio.create_task(runs.execute_run(queued.id))
        while call(runs.list_runs, user=user, task_id=task.id)[0].status != RunStatus.RUNNING.value:
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
        asked = time.monotonic()
        await asyncio.to_thread(call, runs.cancel_run, user=user, run_id=queued.id)
        status = await running
        return status, time.monotonic() - asked

    status, seconds = asyncio.run(run_and_cancel())
    assert status == RunStatus.CANCELLED.value
    assert seconds < 5
    [run] = call(runs.list_runs, user=user, task_id=task.id)
    assert run.status == RunStatus.CANCELLED.value and run.finished_at is not None
    [note] = call(lambda session: session.exec(select(Notification.title)).all())
    assert note == "Task cancelled: Write a long report"


def test_a_queued_run_is_cancelled_at_once_and_never_starts(call, make_user, model) -> None:
    user = make_user()
    task = call(create_task, user=user, title="Later")
    queued = call(runs.hand_to_assistant, user=user, task_id=task.id)
    assert call(runs.cancel_run, user=user, run_id=queued.id).status == RunStatus.CANCELLED.value
    assert asyncio.run(runs.execute_run(queued.id)) == ""
    assert model.turn_requests() == []


def test_another_users_task_and_run_are_not_found(call, make_user, model) -> None:
    owner, other = make_user(), make_user()
    task = call(create_task, user=owner, title="Mine")
    queued = call(runs.hand_to_assistant, user=owner, task_id=task.id)
    with pytest.raises(NotFound):
        call(runs.hand_to_assistant, user=other, task_id=task.id)
    with pytest.raises(NotFound):
        call(runs.cancel_run, user=other, run_id=queued.id)
    with pytest.raises(NotFound):
        call(runs.list_runs, user=other, task_id=task.id)
    assert call(runs.list_runs, user=owner, task_id=task.id)[0].status == RunStatus.QUEUED.value

"""The Tasks page's assistant part, driven through its state as a signed-in tab would (real database, the
loopback model, no browser): without a model the option is absent and the page says why; a task handed over
now is queued and shown, at a local time it is due then, on a schedule it becomes an ``assistant`` reminder on
the row; refusals store nothing and are explained next to the form; Cancel; the runs list shows status, cost
(plurals, grouped digits) and the chat link, updated when a run finishes; another user's tab can neither cancel
a run nor remove a schedule."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select
from support.llm_server import LoopbackLLMServer, Reply, ToolUse, Turn, openai_events
from support.scripted_model import ScriptedModel, answer
from support.states import open_tab as signed_in_tab

from assistant.core.db import session_scope
from assistant.models import Reminder, RunStatus, TaskRun, User
from assistant.services.tasks import runs
from assistant.services.tasks.tasks import create_task
from assistant.ui import routes
from assistant.ui.state.tasks import TasksState

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def model(configure):
    """A scripted OpenAI-compatible model that every tier of the seed settings answers with."""
    with LoopbackLLMServer() as server:
        configure(openai_api_key="sk-loopback", openai_base_url=f"{server.url}/v1", llm_timeout_seconds=10)
        yield ScriptedModel(server)


@pytest.fixture
def open_tab(make_user, sign_in):
    """``open_tab(lang="en")``: a new user in Europe/Berlin, one task "Summarise my week" of theirs, and the Tasks
    page loaded in a signed-in tab: ``(user, task, state)``."""

    def _open(lang: str = "en") -> tuple[User, Any, TasksState]:
        user = make_user()
        with session_scope() as session:
            stored = session.get(User, user.id)
            stored.timezone = "Europe/Berlin"
            session.add(stored)
            task = create_task(session=session, user=stored, title="Summarise my week")
        return user, task, _tab(sign_in(user.email), lang)

    return _open


def _tab(pair, lang: str = "en") -> TasksState:
    state = signed_in_tab(TasksState, pair, lang)
    asyncio.run(state.load())
    return state


def _stored_runs(task_id) -> list[TaskRun]:
    with session_scope() as session:
        return list(session.exec(select(TaskRun).where(TaskRun.task_id == task_id)).all())


def _schedules(task_id) -> list[Reminder]:
    with session_scope() as session:
        return list(session.exec(select(Reminder).where(Reminder.task_id == task_id)).all())


def _toast(reaction: Any) -> str:
    return str(reaction)


def test_without_a_model_the_option_is_absent_and_the_page_says_why(open_tab):
    _, task, tab = open_tab()
    assert (tab.assistant_ready, tab.assistant_missing) == (False, True)
    assert tab.tr["tasks.run.no_model"].startswith("No language model is configured")

    # a socket that sends the events anyway is refused and nothing is stored
    asyncio.run(tab.open_runs(str(task.id)))
    asyncio.run(tab.hand_over({}))
    tab.set_run_mode("schedule")
    asyncio.run(tab.hand_over({"time": "09:00"}))
    assert tab.run_error.startswith("No language model is configured")
    assert _stored_runs(task.id) == [] and _schedules(task.id) == []


def test_handing_a_task_over_now_queues_a_run_shown_in_its_panel_and_cancel_cancels_it(open_tab, model):
    _, task, tab = open_tab()
    assert (tab.assistant_ready, tab.assistant_missing) == (True, False)
    asyncio.run(tab.open_runs(str(task.id)))
    assert tab.run_task_id == str(task.id) and tab.runs == []

    assert "The assistant is on it." in _toast(asyncio.run(tab.hand_over({})))
    [stored] = _stored_runs(task.id)
    [shown] = tab.runs
    assert stored.status == RunStatus.QUEUED.value and shown["id"] == str(stored.id)
    assert (shown["status_text"], shown["open"], shown["cost_text"], shown["chat_url"]) == ("Queued", True, "", "")
    assert shown["when_text"].startswith("Starts ")

    asyncio.run(tab.hand_over({}))  # one open run per task
    assert tab.run_error.startswith("The assistant is already working on this task")
    assert len(_stored_runs(task.id)) == 1

    assert "Run cancelled." in _toast(asyncio.run(tab.cancel_run(shown["id"])))
    assert (tab.runs[0]["status_text"], tab.runs[0]["open"]) == ("Cancelled", False)
    assert _stored_runs(task.id)[0].status == RunStatus.CANCELLED.value


def test_at_a_local_time_the_run_is_due_then_and_a_past_time_is_refused(open_tab, model):
    _, task, tab = open_tab()
    asyncio.run(tab.open_runs(str(task.id)))
    tab.set_run_mode("at")
    asyncio.run(tab.hand_over({"at": "2020-01-01T09:00"}))
    assert tab.run_error == "That time has already passed. Choose a time in the future."
    asyncio.run(tab.hand_over({"at": ""}))
    assert tab.run_error == "Choose a time."
    assert _stored_runs(task.id) == []

    tomorrow = datetime.now(BERLIN).date() + timedelta(days=1)
    toast = _toast(asyncio.run(tab.hand_over({"at": f"{tomorrow}T09:30"})))
    [stored] = _stored_runs(task.id)
    assert stored.due_at == datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, 30, tzinfo=BERLIN)
    assert "The assistant will start on" in toast and "9:30" in toast
    assert tab.run_error == "" and tab.runs[0]["when_text"].endswith("9:30\u202fAM")


def test_on_a_schedule_the_task_gets_an_assistant_reminder_shown_on_its_row(open_tab, model):
    _, task, tab = open_tab()
    asyncio.run(tab.open_runs(str(task.id)))
    tab.set_run_mode("schedule")
    tab.set_run_repeat("weekly")
    asyncio.run(tab.hand_over({"time": "09:00"}))
    assert tab.run_error == "Choose at least one day of the week."
    assert _schedules(task.id) == []

    asyncio.run(tab.hand_over({"time": "09:00", "run_day_0": True, "run_day_3": "on", "run_day_5": False}))
    [schedule] = _schedules(task.id)
    assert (schedule.kind, schedule.rrule, schedule.title) == ("assistant", "FREQ=WEEKLY;BYDAY=MO,TH",
                                                               "Summarise my week")
    assert schedule.timezone == "Europe/Berlin" and schedule.starts_at.time().isoformat() == "09:00:00"
    [row] = tab.rows
    [shown] = row["schedules"]
    assert shown["id"] == str(schedule.id)
    assert shown["text"].startswith("Assistant: Every week on Mon, Thu at 9:00\u202fAM (next ")
    assert row["reminder_text"] == ""  # a schedule is not the task's "remind me"
    assert _stored_runs(task.id) == []  # the worker queues a run at each occurrence

    assert "Schedule removed." in _toast(asyncio.run(tab.remove_schedule(shown["id"])))
    assert _schedules(task.id) == [] and tab.rows[0]["schedules"] == []


def test_the_runs_list_shows_cost_chat_and_failure_and_follows_a_finished_run(open_tab, model):
    user, task, tab = open_tab()
    model.script(
        Reply(events=openai_events(Turn(tool_calls=(ToolUse("c1", "list_tasks", (json.dumps({}),)),),
                                        input_tokens=600, output_tokens=9))),
        answer("You read 3 articles.", input_tokens=600, output_tokens=25),
    )
    asyncio.run(tab.open_runs(str(task.id)))
    asyncio.run(tab.hand_over({}))
    [queued] = _stored_runs(task.id)
    assert asyncio.run(runs.execute_run(queued.id)) == RunStatus.DONE.value

    asyncio.run(tab._reload())  # what LiveState does on the run's "task" event
    [done] = tab.runs
    assert (done["status_text"], done["open"], done["error_text"]) == ("Done", False, "")
    assert done["cost_text"] == "2 rounds, 1,234 tokens"
    assert done["chat_url"] == routes.chat(_stored_runs(task.id)[0].chat_id)
    assert done["when_text"].startswith("Finished ")

    with session_scope() as session:  # a run that failed, as the worker leaves one
        session.add(TaskRun(user_id=user.id, task_id=task.id, status=RunStatus.FAILED.value, rounds=1,
                            output_tokens=1, due_at=datetime.now(UTC), finished_at=datetime.now(UTC),
                            error_code="tasks.run.timed_out"))
    tab.lang = "ru"
    asyncio.run(tab._reload())
    failed, done_ru = tab.runs
    assert (failed["status_text"], failed["cost_text"]) == ("Не удалось", "1 раунд, 1 токен")
    assert failed["error_text"] == "Запуск превысил ограничение по времени и был остановлен."
    assert done_ru["cost_text"] == "2 раунда, 1\u00a0234 токена"


def test_another_users_tab_cannot_cancel_a_run_or_remove_a_schedule(open_tab, model, sign_in):
    _, task, owner = open_tab()
    asyncio.run(owner.open_runs(str(task.id)))
    asyncio.run(owner.hand_over({}))
    owner.set_run_mode("schedule")
    asyncio.run(owner.hand_over({"time": "09:00"}))
    run_id, schedule_id = owner.runs[0]["id"], owner.rows[0]["schedules"][0]["id"]

    _, _, stranger = open_tab()
    assert "This run was not found." in _toast(asyncio.run(stranger.cancel_run(run_id)))
    assert "Reminder not found." in _toast(asyncio.run(stranger.remove_schedule(schedule_id)))
    asyncio.run(stranger.open_runs(str(task.id)))  # not on the stranger's page: nothing opens
    assert (stranger.run_task_id, stranger.runs) == ("", [])
    assert _stored_runs(task.id)[0].status == RunStatus.QUEUED.value and len(_schedules(task.id)) == 1

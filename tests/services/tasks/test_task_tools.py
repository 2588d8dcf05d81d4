"""The task tools called through the built-in registry, as a chat turn calls them: due times on the user's
clock both ways, subtasks, changes and completion, refusals the model can read, and another user's tasks
out of reach whatever ids the model names."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import func, select

from assistant.models import Task, User
from assistant.services.llm.events import ToolCall
from assistant.services.tools.builtin import builtin_registry
from assistant.services.tools.registry import ToolContext, ToolResult

pytestmark = pytest.mark.anyio


async def run(user: User, name: str, **arguments: Any) -> ToolResult:
    context = ToolContext(user_id=user.id, timezone=user.timezone)
    return await builtin_registry().run(ToolCall(uuid.uuid4().hex, name, arguments), context=context)


async def ok(user: User, name: str, **arguments: Any) -> dict[str, Any]:
    result = await run(user, name, **arguments)
    assert not result.is_error, result.content
    return json.loads(result.content)


def stored(call, task_id: str) -> Task | None:
    return call(lambda session: session.get(Task, uuid.UUID(task_id)))


def count_tasks(call) -> int:
    return call(lambda session: session.exec(select(func.count()).select_from(Task)).one())


def test_the_four_task_tools_are_offered_and_accept_no_user_id():
    specs = {spec.name: spec for spec in builtin_registry().specs()}
    for name in ("create_task", "list_tasks", "update_task", "complete_task"):
        assert specs[name].parameters()["additionalProperties"] is False
        assert "user_id" not in specs[name].parameters()["properties"]
    assert specs["create_task"].parameters()["required"] == ["title"]


async def test_a_chat_creates_nests_changes_lists_and_completes_tasks_in_the_users_time_zone(berlin, call):
    created = await ok(berlin, "create_task", title="Renew the passport", due="2026-03-05T09:30", priority="high",
                       notes="Bring two photos")
    task = created["task"]
    assert created["result"] == "created" and created["timezone"] == "Europe/Berlin"
    assert (task["due"], task["priority"], task["status"], task["added_by"]) == (
        "2026-03-05T09:30+01:00", "high", "todo", "assistant")
    row = stored(call, task["task_id"])
    assert row.due_at == datetime(2026, 3, 5, 8, 30, tzinfo=UTC) and row.author == "assistant"

    photos = (await ok(berlin, "create_task", title="Get photos taken", due="2026-03-02",
                       parent_task_id=task["task_id"]))["task"]
    form = (await ok(berlin, "create_task", title="Fill in the form", parent_task_id=task["task_id"]))["task"]
    assert photos["due"] == "2026-03-02" and photos["parent_task_id"] == task["task_id"]

    listed = await ok(berlin, "list_tasks")
    assert [(t["title"], t["depth"]) for t in listed["tasks"]] == [
        ("Renew the passport", 0), ("Get photos taken", 1), ("Fill in the form", 1)]
    assert (listed["tasks"][0]["subtasks"], listed["tasks"][0]["subtasks_done"]) == (2, 0)

    changed = (await ok(berlin, "update_task", task_id=form["task_id"], title="Fill in the online form",
                        due="2026-07-01T14:00", priority="urgent", status="in_progress"))["task"]
    assert (changed["title"], changed["due"], changed["priority"], changed["status"]) == (
        "Fill in the online form", "2026-07-01T14:00+02:00", "urgent", "in_progress")
    assert stored(call, form["task_id"]).due_at == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    cleared = (await ok(berlin, "update_task", task_id=form["task_id"], clear_due=True, make_top_level=True))["task"]
    assert "due" not in cleared and "parent_task_id" not in cleared
    moved = (await ok(berlin, "update_task", task_id=form["task_id"], parent_task_id=task["task_id"]))["task"]
    assert moved["parent_task_id"] == task["task_id"] and moved["title"] == "Fill in the online form"

    done = await ok(berlin, "complete_task", task_id=task["task_id"])
    assert done["result"] == "completed" and done["task"]["status"] == "done"
    assert done["also_completed_subtasks"] == 2
    assert (await ok(berlin, "list_tasks"))["tasks"] == []
    assert "No task matches" in (await ok(berlin, "list_tasks"))["note"]
    finished = await ok(berlin, "list_tasks", status="done", sort="created")
    assert {t["title"] for t in finished["tasks"]} == {"Renew the passport", "Get photos taken",
                                                      "Fill in the online form"}


async def test_overdue_and_limits_are_told_to_the_model(berlin):
    await ok(berlin, "create_task", title="Pay the rent", due="2020-01-01")
    for number in range(3):
        await ok(berlin, "create_task", title=f"Someday {number}")

    overdue = await ok(berlin, "list_tasks", due="overdue")
    assert [(t["title"], t["overdue"]) for t in overdue["tasks"]] == [("Pay the rent", True)]
    some = await ok(berlin, "list_tasks", due="none", limit=2)
    assert len(some["tasks"]) == 2 and "More tasks match" in some["more"]


async def test_refusals_come_back_as_readable_errors_and_store_nothing(berlin, call):
    huge = await run(berlin, "create_task", title="x" * 50_000)
    assert huge.is_error and huge.content.startswith("Invalid arguments: title")
    long_notes = await run(berlin, "create_task", title="Read", notes="x" * 50_000)
    assert long_notes.is_error and "notes" in long_notes.content
    bad_due = await run(berlin, "create_task", title="Call", due="next Friday")
    assert bad_due.is_error and '"next Friday" is not a due date' in bad_due.content
    assert count_tasks(call) == 0

    top = (await ok(berlin, "create_task", title="Top"))["task"]
    child = (await ok(berlin, "create_task", title="Child", parent_task_id=top["task_id"]))["task"]
    cycle = await run(berlin, "update_task", task_id=top["task_id"], parent_task_id=child["task_id"])
    assert cycle.is_error and cycle.content == "A task cannot be moved under itself or under one of its own subtasks."
    assert stored(call, top["task_id"]).parent_id is None
    for bad_id in ("not-a-uuid", str(uuid.uuid4())):
        missing = await run(berlin, "complete_task", task_id=bad_id)
        assert missing.is_error and missing.content == "That task was not found."


async def test_another_users_task_ids_reach_nothing(berlin, make_user, call):
    intruder = make_user()
    secret = (await ok(berlin, "create_task", title="Berlin's secret", notes="private"))["task"]

    for name, arguments in (("update_task", {"task_id": secret["task_id"], "title": "Stolen"}),
                            ("update_task", {"task_id": secret["task_id"], "status": "cancelled"}),
                            ("complete_task", {"task_id": secret["task_id"]})):
        refused = await run(intruder, name, **arguments)
        assert refused.is_error and refused.content == "That task was not found."
    under = await run(intruder, "create_task", title="Under theirs", parent_task_id=secret["task_id"])
    assert under.is_error and under.content == "The parent task was not found."
    smuggled = await run(intruder, "list_tasks", user_id=str(berlin.id))
    assert smuggled.is_error and "Extra inputs" in smuggled.content
    assert (await ok(intruder, "list_tasks", status="all"))["tasks"] == []

    kept = stored(call, secret["task_id"])
    assert (kept.title, kept.status, kept.notes, kept.user_id) == ("Berlin's secret", "todo", "private", berlin.id)
    assert count_tasks(call) == 1

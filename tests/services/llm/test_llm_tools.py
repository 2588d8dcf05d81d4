"""Tools defined once from Pydantic models: the two wire formats, validation of model-supplied arguments,
the acting user coming only from the context, and ``get_current_time``."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel, ConfigDict, Field

from assistant.core.errors import NotFound
from assistant.services.llm.base import ChatMessage
from assistant.services.llm.events import ToolCall
from assistant.services.tools.builtin import builtin_registry
from assistant.services.tools.registry import Tool, ToolContext, ToolRegistry, ToolResult
from assistant.services.tools.spec import ToolSpec, to_anthropic, to_openai

USER = uuid.uuid4()


class NoteArguments(BaseModel):
    """Not shown to the model."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(description="The note's title.", max_length=20)


async def whose_note(arguments: NoteArguments, context: ToolContext) -> dict:
    return {"owner": str(context.user_id), "title": arguments.title}


NOTE = Tool(ToolSpec(name="add_note", description="Add a note.", arguments=NoteArguments), whose_note)


def test_one_definition_two_wire_formats():
    schema = {"type": "object", "additionalProperties": False, "required": ["title"],
              "properties": {"title": {"type": "string", "title": "Title", "description": "The note's title.",
                                       "maxLength": 20}}}

    assert to_openai(NOTE.spec) == {"type": "function", "function": {
        "name": "add_note", "description": "Add a note.", "parameters": schema}}
    assert to_anthropic(NOTE.spec) == {"name": "add_note", "description": "Add a note.", "input_schema": schema}


@pytest.mark.parametrize("name", ["", "has space", "x" * 65, "dots.not.allowed"])
def test_names_the_providers_would_refuse(name):
    with pytest.raises(ValueError):
        ToolSpec(name=name, description="d", arguments=NoteArguments)


def test_a_name_registers_once():
    registry = ToolRegistry([NOTE])
    with pytest.raises(ValueError):
        registry.register(NOTE)
    assert registry.specs() == [NOTE.spec]


@pytest.mark.anyio
async def test_the_acting_user_comes_from_the_context_never_from_arguments():
    registry = ToolRegistry([NOTE])
    context = ToolContext(user_id=USER, timezone="UTC")

    ok = await registry.run(ToolCall("c1", "add_note", {"title": "milk"}), context=context)
    smuggled = await registry.run(ToolCall("c2", "add_note", {"title": "milk", "user_id": str(uuid.uuid4())}),
                                  context=context)

    assert ok == ToolResult("c1", "add_note", json.dumps({"owner": str(USER), "title": "milk"}))
    assert smuggled.is_error and "user_id" in smuggled.content and "Extra inputs" in smuggled.content


@pytest.mark.anyio
async def test_bad_calls_become_error_results_the_model_can_read(caplog):
    async def missing(arguments, context):
        raise NotFound()

    async def broken(arguments, context):
        raise RuntimeError("bug")

    registry = ToolRegistry([
        Tool(ToolSpec("find_note", "Find a note.", NoteArguments), missing),
        Tool(ToolSpec("broken", "Always fails.", NoteArguments), broken),
    ])
    context = ToolContext(user_id=USER, timezone="UTC")

    unknown = await registry.run(ToolCall("c1", "delete_everything", {}), context=context)
    invalid = await registry.run(ToolCall("c2", "find_note", {"title": "x" * 21}), context=context)
    not_found = await registry.run(ToolCall("c3", "find_note", {"title": "x"}), context=context)
    with caplog.at_level(logging.ERROR):
        failed = await registry.run(ToolCall("c4", "broken", {"title": "x"}), context=context)

    assert unknown == ToolResult("c1", "delete_everything", "Unknown tool 'delete_everything'.", is_error=True)
    assert invalid.is_error and invalid.content.startswith("Invalid arguments: title: String should have at most 20")
    assert not_found == ToolResult("c3", "find_note", "Not found.", is_error=True)
    assert failed == ToolResult("c4", "broken", "The tool failed.", is_error=True)
    assert "bug" in caplog.text and "bug" not in failed.content


def test_a_result_goes_back_as_a_tool_message():
    result = ToolResult("call_7", "get_current_time", "{}", is_error=True)

    assert result.as_message() == ChatMessage(role="tool", content="{}", tool_call_id="call_7", is_error=True)


def test_the_builtin_tools():
    clock, documents, *rest = builtin_registry().specs()

    assert clock.name == "get_current_time"
    assert clock.parameters()["properties"]["timezone"]["description"].startswith("An IANA time zone")
    assert "required" not in clock.parameters()  # every argument is optional
    assert documents.name == "search_documents"
    assert documents.parameters()["required"] == ["query"]
    assert documents.parameters()["properties"]["k"]["maximum"] == 10
    assert documents.parameters()["additionalProperties"] is False
    assert [spec.name for spec in rest] == ["save_memory", "search_memory", "update_memory", "forget_memory",
                                            "create_task", "list_tasks", "update_task", "complete_task",
                                            "schedule_reminder", "list_reminders", "cancel_reminder",
                                            "propose_reminders", "generate_pdf"]
    assert all(spec.parameters()["additionalProperties"] is False for spec in rest)  # no user id can slip in


@pytest.mark.anyio
@pytest.mark.parametrize(("arguments", "zone"), [({}, "Asia/Kolkata"), ({"timezone": "America/Sao_Paulo"},
                                                                         "America/Sao_Paulo")])
async def test_get_current_time(arguments, zone):
    context = ToolContext(user_id=USER, timezone="Asia/Kolkata")

    result = await builtin_registry().run(ToolCall("c1", "get_current_time", arguments), context=context)

    payload = json.loads(result.content)
    local = datetime.fromisoformat(payload["local_time"])
    now = datetime.now(ZoneInfo(zone))
    assert not result.is_error and payload["timezone"] == zone
    assert local.utcoffset() == now.utcoffset() and abs(now - local) < timedelta(seconds=5)
    assert payload["weekday"] == local.strftime("%A")


@pytest.mark.anyio
async def test_get_current_time_refuses_an_unknown_zone():
    result = await builtin_registry().run(ToolCall("c1", "get_current_time", {"timezone": "Mars/Olympus"}),
                                          context=ToolContext(user_id=USER, timezone="UTC"))

    assert result.is_error and "unknown time zone 'Mars/Olympus'" in result.content

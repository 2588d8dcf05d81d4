"""A tool's definition, written once, and its two wire formats.

A :class:`ToolSpec` is a name, a description for the model and a Pydantic model of the arguments; the
JSON schema both providers receive is generated from that model, so validation (``registry``) and what
the model is told can never drift apart.

Formats:
* OpenAI Chat Completions ``tools``: https://platform.openai.com/docs/guides/function-calling
* Anthropic Messages ``tools``: https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/overview
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel

#: Both providers accept tool names of 1-64 letters, digits, ``_`` or ``-``.
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class ToolSpec:
    """What the model is told about a tool.

    Attributes:
        name: 1-64 characters of ``[A-Za-z0-9_-]``; unique in a registry.
        description: when and why to call the tool, for the model (English).
        arguments: the Pydantic model the arguments must validate against. Give it
            ``model_config = ConfigDict(extra="forbid")`` so unknown fields are refused (the schema then
            says ``additionalProperties: false``) and ``Field(description=...)`` on every field.

    Raises:
        ValueError: a name the providers would refuse.
    """

    name: str
    description: str
    arguments: type[BaseModel]

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"tool name {self.name!r} must match {_NAME.pattern}")

    def parameters(self) -> dict[str, Any]:
        """The JSON schema (draft 2020-12, as Pydantic emits it) of the arguments: an ``object``
        schema with ``properties``, ``required`` and, for nested models, ``$defs``. The arguments
        model's own title and docstring are left out: :attr:`description` speaks for the tool.

        Built once per arguments model (Pydantic takes ~0.5 ms a model, and every answer sends the
        definitions); the same dict is returned each time, so callers must not change it."""
        return _schema(self.arguments)


@cache
def _schema(arguments: type[BaseModel]) -> dict[str, Any]:
    schema = arguments.model_json_schema()
    schema.pop("title", None)
    schema.pop("description", None)
    return schema


def to_openai(spec: ToolSpec) -> dict[str, Any]:
    """``{"type": "function", "function": {"name", "description", "parameters"}}`` for Chat Completions."""
    return {
        "type": "function",
        "function": {"name": spec.name, "description": spec.description, "parameters": spec.parameters()},
    }


def to_anthropic(spec: ToolSpec) -> dict[str, Any]:
    """``{"name", "description", "input_schema"}`` for the Anthropic Messages API."""
    return {"name": spec.name, "description": spec.description, "input_schema": spec.parameters()}

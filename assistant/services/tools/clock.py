"""``get_current_time``: the current date and time in the user's time zone (or another IANA zone)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.services.tools.registry import Tool, ToolContext
from assistant.services.tools.spec import ToolSpec


class CurrentTimeArguments(BaseModel):
    """Arguments of ``get_current_time``."""

    model_config = ConfigDict(extra="forbid")

    timezone: str | None = Field(
        default=None,
        description="An IANA time zone such as 'Asia/Tokyo' to give the time in; omit for the user's own.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {value!r}; use an IANA name like 'Europe/Berlin'") from exc
        return value


async def current_time(arguments: CurrentTimeArguments, context: ToolContext) -> dict[str, Any]:
    """``{"timezone": "Europe/Berlin", "local_time": "2025-03-01T14:05:09+01:00", "weekday": "Saturday"}``
    (ISO 8601 with the UTC offset) for the requested zone, else the user's (``context.timezone``)."""
    zone = arguments.timezone or context.timezone
    now = datetime.now(ZoneInfo(zone))
    return {"timezone": zone, "local_time": now.isoformat(timespec="seconds"), "weekday": now.strftime("%A")}


GET_CURRENT_TIME = Tool(
    spec=ToolSpec(
        name="get_current_time",
        description="Get the current date, time and weekday in the user's time zone, or in another IANA "
                    "time zone. Use it whenever the answer depends on today's date or the time.",
        arguments=CurrentTimeArguments,
    ),
    handler=current_time,
)

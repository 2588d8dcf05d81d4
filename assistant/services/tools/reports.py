"""``generate_pdf``: the assistant compiles a health summary PDF on request ("make a one-page summary for my
cardiologist"), choosing its sections and period. The tool only queues the report
(:func:`assistant.services.reports.health.request_health_summary`, tied to the turn's chat); the worker builds it
and the chat shows a card with its progress and, once ready, a Download button. A refusal (an unknown section,
a start after the end) stores nothing and tells the model why.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from assistant.core.db import in_session
from assistant.services.reports.health import SECTIONS, parse_day, request_health_summary
from assistant.services.tools.acting import acting_user
from assistant.services.tools.registry import Tool, ToolContext
from assistant.services.tools.spec import ToolSpec

_QUEUED = ("queued: the PDF is being built and will be ready in a moment; the user sees a card in this chat with "
           "its progress and a Download button. Do not repeat its contents.")


class GeneratePdfArguments(BaseModel):
    """Arguments of ``generate_pdf``."""

    model_config = ConfigDict(extra="forbid")

    sections: list[str] | None = Field(default=None, description="Any of: " + ", ".join(SECTIONS) + "; default all.")
    date_from: str | None = Field(default=None, description="First day of values, 'YYYY-MM-DD'; default: all.")
    date_to: str | None = Field(default=None, description="Last day, 'YYYY-MM-DD'.")
    title: str | None = Field(default=None, description="E.g. 'Summary for my cardiologist'.")


async def generate_pdf(arguments: GeneratePdfArguments, context: ToolContext) -> dict[str, Any]:
    """Queue a health summary of the acting user for the turn's chat (its card shows there).

    Returns:
        ``{"result": "queued: ...", "report_id", "title", "sections"}``.

    Raises:
        InvalidInput: see :func:`assistant.services.reports.health.request_health_summary`.
    """
    date_from, date_to = parse_day(arguments.date_from), parse_day(arguments.date_to)

    def run(session: Session) -> dict[str, Any]:
        report = request_health_summary(session=session, user=acting_user(session, context),
                                        sections=arguments.sections or SECTIONS, date_from=date_from,
                                        date_to=date_to, title=arguments.title, chat_id=context.chat_id)
        return {"result": _QUEUED, "report_id": str(report.id), "title": report.title,
                "sections": report.params["sections"]}

    return await in_session(run)


GENERATE_PDF = Tool(ToolSpec(
    name="generate_pdf",
    description="Compile the user's health summary as a PDF for a clinician: current medications with changes, "
                "allergies, conditions, vitals and lab values with charts, reminders with adherence, open tasks, "
                "source documents; every fact cites its source. Choose the sections and period that fit the request.",
    arguments=GeneratePdfArguments), generate_pdf)

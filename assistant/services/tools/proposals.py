"""``propose_reminders``: medication reminders read from one of the user's documents, proposed for the user to
confirm on a card in the chat (:mod:`assistant.services.scheduler.proposals`); nothing is scheduled by the tool.

The document is the ``document_id`` the model names (a chat started from a document's page gives it) or the
document of the passages it cites (``citation``: a passage number of this turn, which also gives the page).
Checks are the service's; a refusal (25 times a day, an end before the start, a page outside the document,
a document the user may not read) stores nothing and tells the model why.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from assistant.core.db import in_session
from assistant.core.errors import InvalidInput
from assistant.services.scheduler import proposals
from assistant.services.tools.acting import acting_user, parse_row_id
from assistant.services.tools.registry import Tool, ToolContext
from assistant.services.tools.spec import ToolSpec

_PROPOSED = ("shown to the user as a card to check against the document, edit, confirm or reject. Nothing is "
             "scheduled until they confirm: do not say the reminders are set.")


class ProposedMedication(BaseModel):
    """One medicine of ``propose_reminders``."""

    model_config = ConfigDict(extra="forbid")

    drug: str = Field(description="Medicine name.")
    dose: str = Field(description="Per intake, e.g. '500 mg'.")
    times: list[str] | None = Field(default=None, description="Times of day, 'HH:MM'.")
    times_per_day: int | None = Field(default=None, description="Instead of times, if none are stated.")
    start: str | None = Field(default=None, description="'YYYY-MM-DD'; default today.")
    end: str | None = Field(default=None, description="Last day, 'YYYY-MM-DD'.")
    days: int | None = Field(default=None, description="Or the course length in days.")
    page: int | None = Field(default=None, description="Source page.")
    citation: int | None = Field(default=None, description="Or the passage [n] it was read from.")
    note: str = Field(default="", description="E.g. 'with food'.")


class ProposeRemindersArguments(BaseModel):
    """Arguments of ``propose_reminders``."""

    model_config = ConfigDict(extra="forbid")

    document_id: str | None = Field(default=None, description="The document's id, if known.")
    items: list[ProposedMedication]


def _source(arguments: ProposeRemindersArguments, context: ToolContext) -> tuple[uuid.UUID, list[dict[str, Any]]]:
    """The one document the items come from and the items as the service takes them (a cited passage gives
    its document, and its page when none is named).

    Raises:
        InvalidInput: ``proposals.bad_citation``, ``proposals.one_document``, ``proposals.document_required``.
        NotFound: ``documents.not_found`` for an id that is no UUID.
    """
    documents = set()
    if arguments.document_id:
        documents.add(parse_row_id(arguments.document_id, "documents.not_found"))
    items = []
    for medication in arguments.items:
        item = medication.model_dump(exclude={"citation"})
        if medication.citation is not None:
            excerpt = context.sources.excerpt(medication.citation)
            if excerpt is None:
                raise InvalidInput("proposals.bad_citation", number=medication.citation)
            documents.add(uuid.UUID(excerpt.document_id))
            if item["page"] is None:
                item["page"] = excerpt.page
        items.append(item)
    if len(documents) > 1:
        raise InvalidInput("proposals.one_document")
    if not documents:
        raise InvalidInput("proposals.document_required")
    return documents.pop(), items


async def propose_reminders(arguments: ProposeRemindersArguments, context: ToolContext) -> dict[str, Any]:
    """Store a proposal for the acting user in the turn's chat (its card shows there).

    Returns:
        ``{"result": "proposed: ...", "proposal_id", "items": [{"drug", "dose", "times", "start", "end",
        "page", "note"}]}`` (the rows as checked).

    Raises:
        InvalidInput, NotFound: see :func:`_source` and :func:`assistant.services.scheduler.proposals.propose`.
    """
    document_id, items = _source(arguments, context)

    def run(session: Session) -> dict[str, Any]:
        proposal = proposals.propose(session=session, user=acting_user(session, context), chat_id=context.chat_id,
                                     document_id=document_id, items=items)
        return {"result": "proposed: " + _PROPOSED, "proposal_id": str(proposal.id), "items": proposal.items}

    return await in_session(run)


PROPOSE_REMINDERS = Tool(ToolSpec(
    name="propose_reminders",
    description="Propose medication reminders read from one of the user's documents (e.g. a prescription): one "
                "item per medicine with its dose, times, start, end or days, and source page. The user confirms "
                "them on a card.",
    arguments=ProposeRemindersArguments), propose_reminders)

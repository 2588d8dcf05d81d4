"""A report the assistant made with ``generate_pdf``, as a card in the chat: its status and progress while it is
built, Download when it is ready, the reason when it failed.

:class:`ChatReports` is a state mixin of :class:`assistant.ui.state.chat.ChatState` (like
:class:`~assistant.ui.state.proposals.ChatProposals`): a stored, successful ``generate_pdf`` result names its
report; the card is read from the :class:`~assistant.models.Report` row (:func:`report_cards`), again on every
``report`` event of the bus (:mod:`assistant.ui.state.live`). A report deleted since shows no card.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import reflex as rx
from sqlmodel import Session, col, select

from assistant.models import Report, User
from assistant.services.chat.chats import MessageView, tool_result_ids
from assistant.ui.state.auth import AuthState, guarded
from assistant.ui.state.reports import download_report, report_view

TOOL = "generate_pdf"



def _cards(session: Session, user: User, wanted: list[uuid.UUID], lang: str) -> dict[str, dict[str, Any]]:
    """Report id -> card of ``user``'s reports among ``wanted`` (one query)."""
    if not wanted:
        return {}
    rows = session.exec(select(Report).where(Report.owner_id == user.id, col(Report.id).in_(wanted))).all()
    return {str(report.id): report_view(report, lang, user.timezone) for report in rows}


def report_cards(session: Session, user: User, messages: list[MessageView], lang: str) -> dict[str, dict[str, Any]]:
    """Message id -> the card of the report its ``generate_pdf`` result names (for the chat page)."""
    ids = tool_result_ids(messages, TOOL, "report_id")
    cards = _cards(session, user, list(set(ids.values())), lang)
    return {message_id: cards[str(ident)] for message_id, ident in ids.items() if str(ident) in cards}


def with_reports(shown: list[dict[str, Any]], cards: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The chat's message dicts, each with ``report_id`` and ``report`` (its card; ``""`` and ``{}`` on every
    other message)."""
    return [dict(message, report_id=cards[message["id"]]["id"] if message["id"] in cards else "",
                 report=cards.get(message["id"], {})) for message in shown]


class ChatReports(AuthState, mixin=True):
    """The report cards among the messages shown."""

    if TYPE_CHECKING:
        # What the chat state using this mixin provides (see assistant.ui.state.chat.ChatState).
        messages: list[dict[str, Any]]

    async def _refresh_reports(self) -> None:
        """Read the cards shown again (a ``report`` event: progress, ready, failed, deleted)."""
        async with self:
            shown = list({message["report_id"] for message in self.messages if message.get("report_id")})
            lang = self.lang
        if not shown:
            return
        ids = [uuid.UUID(ident) for ident in shown]
        cards = await self._run_as_user(lambda session, user: _cards(session, user, ids, lang))
        async with self:
            self.messages = [
                message if not message.get("report_id") else
                dict(message, report=cards[message["report_id"]]) if message["report_id"] in cards else
                dict(message, report_id="", report={})
                for message in self.messages]

    @rx.event
    @guarded
    async def download_report(self, report_id: str) -> Any:
        """Download the card's report (:func:`assistant.ui.state.reports.download_report`)."""
        return await download_report(self, report_id)

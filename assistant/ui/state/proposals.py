"""Medication reminders proposed from a document: the card in the chat and the document page's button.

:class:`ChatProposals` is a state mixin of :class:`assistant.ui.state.chat.ChatState` (like
:class:`~assistant.ui.state.chat_memory.ChatMemory`): a stored result of ``propose_reminders`` shows as an
editable card read from its :class:`~assistant.models.ReminderProposal` row (:func:`proposal_cards`), whose
rows the user edits or removes, then confirms or rejects. :class:`DocumentProposalState` is the document
page's "Propose reminders": a new chat whose first message asks for the proposal (``/chats/<id>?propose=
<document id>``, sent by the chat page's ``load``); absent, with the reason, when no language model answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

import reflex as rx
from sqlmodel import Session, col, select

from assistant.core.errors import AppError, InvalidInput, NotFound
from assistant.core.i18n import format_date, format_datetime, translate
from assistant.models import Document, Reminder, ReminderProposal, User
from assistant.models.channels import ProposalStatus
from assistant.services.chat import chats as chat_service
from assistant.services.chat.chats import MessageView, tool_result_ids
from assistant.services.rag.access import readable_by
from assistant.services.rag.documents import get_document
from assistant.services.scheduler import proposals as service
from assistant.services.tasks.runs import assistant_available
from assistant.ui import routes
from assistant.ui.state.auth import AuthState, guarded, parse_id

TOOL = "propose_reminders"
Rows = list[dict[str, Any]]



def _period(item: dict[str, Any], lang: str) -> str:
    start = format_date(date.fromisoformat(item["start"]), lang)
    if not item["end"]:
        return translate("proposals.card.from", lang, start=start)
    return translate("proposals.card.period", lang, start=start, end=format_date(date.fromisoformat(item["end"]),
                                                                                   lang))


def _card(proposal: ReminderProposal, title: str, created: list[Reminder], lang: str, timezone: str) -> dict[str, Any]:
    """A proposal as its card shows it: ``{"proposal_id", "status", "pending", "title", "rows": [{"key",
    "index", "drug", "dose", "times", "start", "end", "period", "page", "href", "note"}], "can_remove",
    "reminders": [{"title", "next"}], "outcome"}`` (text in ``lang``, times in ``timezone``)."""
    pending = proposal.status == ProposalStatus.PROPOSED
    rows = [{
        "key": f"{proposal.id}:{index}", "index": str(index), "drug": item["drug"], "dose": item["dose"],
        "times": ", ".join(item["times"]), "start": item["start"], "end": item["end"] or "",
        "period": _period(item, lang), "page": "" if item["page"] is None else str(item["page"]),
        "href": routes.document(proposal.document_id, item["page"]) if proposal.document_id else "",
        "note": item.get("note", ""),
    } for index, item in enumerate(proposal.items)]
    reminders = [{"title": reminder.title,
                  "next": translate("proposals.card.next", lang, time=format_datetime(
                      reminder.next_occurrence_at, lang, timezone)) if reminder.next_occurrence_at else ""}
                 for reminder in created]
    outcome = {ProposalStatus.CONFIRMED.value: translate("proposals.card.confirmed", lang, count=len(created)),
               ProposalStatus.REJECTED.value: translate("proposals.card.rejected", lang)}.get(proposal.status, "")
    return {"proposal_id": str(proposal.id), "status": proposal.status, "pending": pending,
            "title": translate("proposals.card.title", lang, document=title) if title
            else translate("proposals.card.title_no_document", lang),
            "rows": rows, "can_remove": pending and len(rows) > 1, "reminders": reminders, "outcome": outcome}


def _cards(session: Session, user: User, wanted: list[uuid.UUID], lang: str) -> dict[str, dict[str, Any]]:
    """Proposal id -> card of ``user``'s proposals among ``wanted`` (three queries)."""
    found = service.proposals_by_id(session=session, user=user, proposal_ids=wanted)
    documents = {proposal.document_id for proposal in found.values() if proposal.document_id}
    titles = dict(session.exec(select(Document.id, Document.filename).where(
        col(Document.id).in_(documents), readable_by(user.id))).all()) if documents else {}
    reminder_ids = [uuid.UUID(ident) for proposal in found.values() for ident in proposal.reminder_ids]
    reminders = {row.id: row for row in session.exec(select(Reminder).where(
        Reminder.user_id == user.id, col(Reminder.id).in_(reminder_ids))).all()} if reminder_ids else {}
    return {str(ident): _card(proposal, titles.get(proposal.document_id, "") if proposal.document_id else "",
                              [reminders[key] for key in map(uuid.UUID, proposal.reminder_ids) if key in reminders],
                              lang, user.timezone)
            for ident, proposal in found.items()}


def proposal_cards(session: Session, user: User, messages: list[MessageView], lang: str) -> dict[str, dict[str, Any]]:
    """Message id -> the card of the proposal its ``propose_reminders`` result names (for the chat page)."""
    ids = tool_result_ids(messages, TOOL, "proposal_id")
    cards = _cards(session, user, list(set(ids.values())), lang)
    return {message_id: cards[str(ident)] for message_id, ident in ids.items() if str(ident) in cards}


def with_proposals(shown: list[dict[str, Any]], cards: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The chat's message dicts, each with ``proposal_id`` and ``proposal`` (its card; ``""`` and ``{}``
    on every other message)."""
    return [dict(message, proposal_id=cards[message["id"]]["proposal_id"] if message["id"] in cards else "",
                 proposal=cards.get(message["id"], {})) for message in shown]


def request_message(session: Session, user: User, document_id: uuid.UUID | None, lang: str,
                    shown: list[dict[str, Any]]) -> str:
    """The first message of a chat opened from a document's "Propose reminders" (``""`` when the chat already
    has messages, there is no such document, or no model answers)."""
    if document_id is None or shown or not assistant_available(session=session, user=user):
        return ""
    try:
        return service.request_text(session=session, user=user, document_id=document_id, language=lang)
    except NotFound:
        return ""


class ChatProposals(AuthState, mixin=True):
    """The proposal cards among the messages shown: the row being edited and its refusal."""

    #: ``"<proposal id>:<row index>"`` of the row whose edit form is open, ``""`` for none.
    proposal_edit: str = ""
    proposal_error: str = ""

    if TYPE_CHECKING:
        # What the chat state using this mixin provides (see assistant.ui.state.chat.ChatState).
        messages: list[dict[str, Any]]

    def _show_proposal(self, card: dict[str, Any]) -> None:
        """Show ``card`` on the messages that carry its proposal."""
        self.messages = [dict(message, proposal=card) if message.get("proposal_id") == card["proposal_id"]
                         else message for message in self.messages]

    async def _decide(self, proposal_id: str, action: Callable[[Session, User, uuid.UUID], object]) -> dict[str, Any]:
        """Run ``action(session, user, proposal id)``, then show that proposal's card as stored (also when
        refused, e.g. decided meanwhile in another tab); returns the card or raises the refusal."""
        ident, lang = parse_id(proposal_id, service.NOT_FOUND), self.lang

        def work(session: Session, user: User) -> dict[str, Any]:
            action(session, user, ident)
            return _cards(session, user, [ident], lang)[str(ident)]

        def stored(session: Session, user: User) -> dict[str, Any] | None:
            return _cards(session, user, [ident], lang).get(str(ident))

        try:
            card = await self._run_as_user(work)
        except AppError:
            current = await self._run_as_user(stored)
            if current is not None:
                self._show_proposal(current)
            raise
        self._show_proposal(card)
        return card

    async def _edit_items(self, proposal_id: str, change: Callable[[Rows], Rows]) -> None:
        """Replace the proposal's rows with ``change(rows)`` (checked by the service)."""
        def action(session: Session, user: User, ident: uuid.UUID) -> None:
            rows = [dict(item) for item in service.get_proposal(session=session, user=user, proposal_id=ident).items]
            service.update_items(session=session, user=user, proposal_id=ident, items=change(rows))

        await self._decide(proposal_id, action)

    @rx.event
    def edit_proposal_row(self, key: str) -> None:
        """Open the edit form of one row (``"<proposal id>:<index>"``)."""
        self.proposal_edit, self.proposal_error = key, ""

    @rx.event
    def cancel_proposal_edit(self) -> None:
        """Close the open row's edit form without saving."""
        self.proposal_edit, self.proposal_error = "", ""

    @rx.event
    @guarded
    async def save_proposal_row(self, form: dict[str, Any]) -> None:
        """Save the open row's edits (drug, dose, times "08:00, 20:00", start, end); a refusal shows in the form."""
        proposal_id, _, index_text = self.proposal_edit.partition(":")
        if not index_text.isdigit():
            return
        index = int(index_text)
        edited = {name: str(form.get(name, "")) for name in ("drug", "dose", "times", "start", "end")}

        def change(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            if index >= len(rows):
                raise NotFound(service.NOT_FOUND)
            rows[index] = {**rows[index], **edited, "end": edited["end"] or None}
            return rows

        try:
            await self._edit_items(proposal_id, change)
        except InvalidInput as exc:
            self.proposal_error = self._t(exc.code, **exc.params)
            return
        self.proposal_edit, self.proposal_error = "", ""

    @rx.event
    @guarded
    async def remove_proposal_row(self, key: str) -> None:
        """Take one row out of a waiting proposal (the last one cannot go: reject instead)."""
        proposal_id, _, index_text = key.partition(":")
        index = int(index_text) if index_text.isdigit() else -1
        await self._edit_items(proposal_id, lambda rows: [row for i, row in enumerate(rows) if i != index])
        self.proposal_edit = ""

    @rx.event
    @guarded
    async def confirm_proposal(self, proposal_id: str) -> Any:
        """Schedule the proposal's rows as medication reminders (the card then lists them)."""
        card = await self._decide(proposal_id, lambda session, user, ident: service.confirm(
            session=session, user=user, proposal_id=ident))
        self.proposal_edit = ""
        return rx.toast.success(card["outcome"])

    @rx.event
    @guarded
    async def reject_proposal(self, proposal_id: str) -> None:
        """Decline the proposal: nothing is scheduled (the card then says so)."""
        await self._decide(proposal_id, lambda session, user, ident: service.reject(
            session=session, user=user, proposal_id=ident))
        self.proposal_edit = ""


class DocumentProposalState(AuthState):
    """The document page's "Propose reminders": shown when a language model answers for the user."""

    proposals_ready: bool = False
    #: Checked and no model answers: the page says why the button is absent.
    proposals_missing: bool = False

    @rx.event
    @guarded
    async def check(self) -> None:
        """Whether a language model answers for the user (read off the event loop when the button mounts)."""
        ready = await self._run_as_user(lambda session, user: assistant_available(session=session, user=user))
        self.proposals_ready, self.proposals_missing = ready, not ready

    @rx.event
    @guarded
    async def start(self, document_id: str) -> Any:
        """Open a new chat that asks the assistant to propose reminders from the document."""
        ident = parse_id(document_id, "documents.not_found")

        def create(session: Session, user: User) -> uuid.UUID:
            get_document(session=session, user=user, document_id=ident)
            if not assistant_available(session=session, user=user):
                raise InvalidInput("proposals.no_model")
            return chat_service.create_chat(session=session, user=user).id

        chat_id = await self._run_as_user(create)
        return rx.redirect(f"{routes.chat(chat_id)}?propose={ident}")

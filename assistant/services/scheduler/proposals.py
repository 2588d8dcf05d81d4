"""Medication reminders proposed from a document: the assistant proposes, the user confirms, edits or rejects.

A :class:`~assistant.models.ReminderProposal` holds the proposed items (``[{"drug", "dose", "times":
["08:00", ...], "start": "YYYY-MM-DD", "end": "YYYY-MM-DD" | None, "page": int | None, "note"}]``) and nothing
is scheduled until :func:`confirm`, which creates one ``medication`` reminder per item (daily at its times in
the user's time zone, until its end date, the document page as its source) and remembers each medication as a
health fact whose provenance is that page. Every function checks the acting user: another user's proposal,
chat or a document they may not read is "not found", like a missing one. A refused call stores nothing.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from assistant.core.errors import Conflict, InvalidInput, NotFound
from assistant.core.i18n import translate
from assistant.models import Document, DocumentPage, MemoryAuthor, Reminder, ReminderProposal, User
from assistant.models.base import utcnow
from assistant.models.channels import ProposalStatus
from assistant.models.reminder import Recurrence, ReminderKind
from assistant.services.chat.chats import get_chat
from assistant.services.memory.entries import Provenance, save_fact, validate_fact
from assistant.services.rag.documents import get_document
from assistant.services.scheduler import reminders
from assistant.services.tasks.due import today

NOT_FOUND = "proposals.not_found"
#: Items of one proposal at most; characters of a drug's name, a dose and a note at most.
MAX_ITEMS = 20
MAX_DRUG_CHARS = 100
MAX_DOSE_CHARS = 60
MAX_NOTE_CHARS = 500
#: Times a day an item may have at most (25 or more is refused), and the longest course in days.
MAX_TIMES_PER_DAY = 24
MAX_DAYS = 366
#: Positions of RRULE's BYSETPOS are counted from either end of a day's times, at most this far (RFC 5545).
_MAX_SETPOS = 366
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def default_times(times_per_day: int) -> list[str]:
    """Times of day for "``times_per_day`` times a day" when the document names none: up to 12 spread evenly
    over 08:00-20:00 (1: 08:00; 2: 08:00, 20:00; 3: 08:00, 14:00, 20:00), 13-24 every 24/n hours from
    00:00; each rounded to 5 minutes, as ``"HH:MM"``."""
    if times_per_day <= 1:
        return ["08:00"]
    if times_per_day <= 12:
        first, step = 8 * 60, 12 * 60 / (times_per_day - 1)
    else:
        first, step = 0, 24 * 60 / times_per_day
    minutes = [round((first + step * n) / 5) * 5 for n in range(times_per_day)]
    return [f"{minute // 60:02d}:{minute % 60:02d}" for minute in minutes]


def _text(value: object, *, row: int, field: str, limit: int, required: bool) -> str:
    text = " ".join(str(value).split()) if value is not None else ""
    if required and not text:
        raise InvalidInput(f"proposals.{field}_required", row=row)
    if len(text) > limit:
        raise InvalidInput(f"proposals.{field}_too_long", row=row, limit=limit)
    return text


def _count(value: object) -> int | None:
    """A whole number given as an int or its text (a form); None for anything else."""
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if re.fullmatch(r"-?\d{1,6}", text) else None


def _times(raw: dict[str, Any], row: int) -> list[str]:
    """The item's times of day (``times``: a list or comma-separated text; else ``times_per_day``), sorted."""
    given = raw.get("times")
    if isinstance(given, str):
        given = [part for part in re.split(r"[,;\s]+", given) if part]
    if not given:
        per_day = _count(raw.get("times_per_day"))
        if per_day is None or per_day < 1:
            raise InvalidInput("proposals.times_required", row=row)
        if per_day > MAX_TIMES_PER_DAY:
            raise InvalidInput("proposals.too_many_times", row=row, count=per_day, limit=MAX_TIMES_PER_DAY)
        return default_times(per_day)
    if not isinstance(given, list):
        raise InvalidInput("proposals.times_required", row=row)
    if len(given) > MAX_TIMES_PER_DAY:
        raise InvalidInput("proposals.too_many_times", row=row, count=len(given), limit=MAX_TIMES_PER_DAY)
    times: list[str] = []
    for value in given:
        match = _TIME.match(str(value).strip())
        if match is None:
            raise InvalidInput("proposals.time_invalid", row=row, value=str(value)[:20])
        normalised = f"{int(match.group(1)):02d}:{match.group(2)}"
        if normalised in times:
            raise InvalidInput("proposals.time_repeated", row=row, value=normalised)
        times.append(normalised)
    return sorted(times)


def _day(value: object, row: int, code: str) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return date.fromisoformat(str(value).strip()[:10]) if not isinstance(value, date) else value
    except ValueError:
        raise InvalidInput(code, row=row, value=str(value)[:20]) from None


def _end(raw: dict[str, Any], start: date, row: int, current: date) -> date | None:
    """The last day of the course: ``end`` (not before ``start``), or ``start`` plus ``days`` - 1."""
    end = _day(raw.get("end"), row, "proposals.end_invalid")
    days = raw.get("days")
    if days not in (None, ""):
        count = _count(days)
        if count is None or not 1 <= count <= MAX_DAYS:
            raise InvalidInput("proposals.days_invalid", row=row, max=MAX_DAYS)
        by_days = start + timedelta(days=count - 1)
        if end is not None and end != by_days:
            raise InvalidInput("proposals.end_and_days", row=row)
        end = by_days
    if end is not None and end < start:
        raise InvalidInput("proposals.end_before_start", row=row, start=start.isoformat(), end=end.isoformat())
    if end is not None and end < current:
        raise InvalidInput("proposals.end_passed", row=row, end=end.isoformat())
    return end


def _page(value: object, pages: set[int] | None, row: int) -> int | None:
    """The source page: one of the document's ``pages`` (None: no document any more, the page is dropped)."""
    if value is None or value == "" or pages is None:
        return None
    number = _count(value)
    if number is None or number not in pages:
        raise InvalidInput("proposals.page_outside", row=row, page=str(value)[:10], count=len(pages))
    return number


def check_items(items: object, *, pages: set[int] | None, current: date) -> list[dict[str, Any]]:
    """The items as stored, checked and normalised (see the module docstring for the shape).

    Args:
        items: a list of dicts with ``drug``, ``dose``, ``times`` (``"HH:MM"`` strings, a list or text
            separated by commas) or ``times_per_day`` (1-24, see :func:`default_times`), ``start``
            (``YYYY-MM-DD``; default ``current``), ``end`` or ``days`` (1-366, the course's length counting
            the start day), ``page`` and ``note``; other keys are ignored.
        pages: the page numbers of the source document; None when it is gone (pages dropped).
        current: the user's local date today.

    Raises:
        InvalidInput: ``proposals.items_count``, or (``row``: the item's number from 1)
            ``proposals.drug_required``/``drug_too_long``, ``dose_required``/``dose_too_long``,
            ``times_required``, ``too_many_times`` (25 or more a day), ``time_invalid``, ``time_repeated``,
            ``start_invalid``, ``end_invalid``, ``days_invalid``, ``end_and_days``, ``end_before_start``,
            ``end_passed``, ``page_outside``, ``note_too_long``, ``item_invalid``.
    """
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise InvalidInput("proposals.items_count", max=MAX_ITEMS)
    checked = []
    for row, raw in enumerate(items, start=1):
        if not isinstance(raw, dict):
            raise InvalidInput("proposals.item_invalid", row=row)
        start = _day(raw.get("start"), row, "proposals.start_invalid") or current
        end = _end(raw, start, row, current)
        checked.append({
            "drug": _text(raw.get("drug"), row=row, field="drug", limit=MAX_DRUG_CHARS, required=True),
            "dose": _text(raw.get("dose"), row=row, field="dose", limit=MAX_DOSE_CHARS, required=True),
            "times": _times(raw, row), "start": start.isoformat(), "end": end.isoformat() if end else None,
            "page": _page(raw.get("page"), pages, row),
            "note": _text(raw.get("note"), row=row, field="note", limit=MAX_NOTE_CHARS, required=False),
        })
    return checked


def document_pages(session: Session, document: Document) -> set[int]:
    """The page numbers of ``document``: 1 to its page count, else those of its stored pages (none for
    formats without pages)."""
    if document.page_count:
        return set(range(1, document.page_count + 1))
    numbers = session.exec(select(DocumentPage.number).where(DocumentPage.document_id == document.id)).all()
    return {number for number in numbers if number is not None}


def daily_rule(times: list[str]) -> str:
    """The RRULE of "every day at ``times``" (``"HH:MM"``, distinct): ``BYHOUR`` x ``BYMINUTE``, with
    ``BYSETPOS`` picking the wanted ones when the times do not share their minutes (08:00 and 12:30:
    ``FREQ=DAILY;BYHOUR=8,12;BYMINUTE=0,30;BYSECOND=0;BYSETPOS=1,4``)."""
    wanted = sorted((int(text[:2]), int(text[3:])) for text in times)
    hours, minutes = sorted({hour for hour, _ in wanted}), sorted({minute for _, minute in wanted})
    rule = (f"FREQ=DAILY;BYHOUR={','.join(map(str, hours))};BYMINUTE={','.join(map(str, minutes))};BYSECOND=0")
    grid = [(hour, minute) for hour in hours for minute in minutes]
    if len(grid) == len(wanted):
        return rule
    positions = [grid.index(moment) + 1 for moment in wanted]
    positions = [p if p <= _MAX_SETPOS else p - len(grid) - 1 for p in positions]
    return rule + ";BYSETPOS=" + ",".join(map(str, positions))


def _local_today(user: User) -> date:
    return today(utcnow(), user.timezone)


def get_proposal(*, session: Session, user: User, proposal_id: uuid.UUID, lock: bool = False) -> ReminderProposal:
    """``user``'s proposal ``proposal_id`` (``lock``: held until the transaction ends).

    Raises:
        NotFound: ``proposals.not_found`` (missing or another user's).
    """
    query = select(ReminderProposal).where(ReminderProposal.id == proposal_id, ReminderProposal.user_id == user.id)
    proposal = session.exec(query.with_for_update() if lock else query).first()
    if proposal is None:
        raise NotFound(NOT_FOUND)
    return proposal


def proposals_by_id(*, session: Session, user: User,
                    proposal_ids: list[uuid.UUID]) -> dict[uuid.UUID, ReminderProposal]:
    """``user``'s proposals among ``proposal_ids`` (one query; others' and missing ids left out)."""
    if not proposal_ids:
        return {}
    rows = session.exec(select(ReminderProposal).where(ReminderProposal.user_id == user.id,
                                                       col(ReminderProposal.id).in_(proposal_ids))).all()
    return {row.id: row for row in rows}


def _pages_of(session: Session, user: User, document_id: uuid.UUID | None) -> set[int] | None:
    """The source document's pages (None once it is deleted).

    Raises:
        NotFound: ``documents.not_found`` when the user may no longer read it.
    """
    if document_id is None:
        return None
    return document_pages(session, get_document(session=session, user=user, document_id=document_id))


def propose(*, session: Session, user: User, chat_id: uuid.UUID | None, document_id: uuid.UUID,
            items: object) -> ReminderProposal:
    """Store the assistant's proposal of medication reminders read from ``document_id`` (nothing is scheduled).

    Args:
        chat_id: the user's chat whose card shows it (None outside a chat).
        items: see :func:`check_items`.

    Returns:
        The flushed proposal, status ``proposed``.

    Raises:
        NotFound: ``documents.not_found`` (a document the user may not read), ``chat.not_found``.
        InvalidInput: see :func:`check_items`.
    """
    pages = _pages_of(session, user, document_id)
    if chat_id is not None:
        get_chat(session=session, user=user, chat_id=chat_id)
    proposal = ReminderProposal(user_id=user.id, chat_id=chat_id, document_id=document_id,
                                items=check_items(items, pages=pages, current=_local_today(user)))
    session.add(proposal)
    session.flush()
    return proposal


def _open(session: Session, user: User, proposal_id: uuid.UUID) -> ReminderProposal:
    """The user's proposal, locked, still waiting for a decision.

    Raises:
        NotFound: ``proposals.not_found``. Conflict: ``proposals.already_confirmed``/``already_rejected``.
    """
    proposal = get_proposal(session=session, user=user, proposal_id=proposal_id, lock=True)
    if proposal.status != ProposalStatus.PROPOSED:
        raise Conflict(f"proposals.already_{proposal.status}")
    return proposal


def update_items(*, session: Session, user: User, proposal_id: uuid.UUID, items: object) -> ReminderProposal:
    """Replace a waiting proposal's items with the user's edits (a row changed or removed), checked as
    :func:`check_items`.

    Raises:
        NotFound: ``proposals.not_found``, ``documents.not_found``. Conflict: already decided.
        InvalidInput: see :func:`check_items`.
    """
    proposal = _open(session, user, proposal_id)
    proposal.items = check_items(items, pages=_pages_of(session, user, proposal.document_id),
                                 current=_local_today(user))
    proposal.updated_at = utcnow()
    session.add(proposal)
    session.flush()
    return proposal


def _remember(session: Session, user: User, proposal: ReminderProposal, item: dict[str, Any]) -> None:
    """Remember the medication as the user's health fact, the document page as its source."""
    key = "proposals.memory_fact_until" if item["end"] else "proposals.memory_fact"
    content = translate(key, user.language, drug=item["drug"], dose=item["dose"], times=", ".join(item["times"]),
                        start=item["start"], end=item["end"] or "")
    fact = validate_fact(content=content, category="medication", valid_from=item["start"])
    save_fact(session=session, user=user, fact=fact, author=MemoryAuthor.USER,
              provenance=Provenance(chat_id=proposal.chat_id, document_id=proposal.document_id, page=item["page"]))


def confirm(*, session: Session, user: User, proposal_id: uuid.UUID,
            items: list[dict[str, Any]] | None = None) -> list[Reminder]:
    """Schedule a waiting proposal (with ``items`` instead of the stored ones when given): one active
    ``medication`` reminder per item, titled ``"<drug> <dose>"``, every day at its times in the user's time
    zone from its start until its end date, with the document and page as its source; each medication is
    remembered (category ``medication``, the page as provenance). The proposal becomes ``confirmed``.

    Returns:
        The reminders, in the items' order (flushed).

    Raises:
        NotFound: ``proposals.not_found``, ``documents.not_found``.
        Conflict: ``proposals.already_confirmed`` (confirming twice schedules nothing more),
            ``proposals.already_rejected``.
        InvalidInput: see :func:`check_items`; ``reminders.no_future_occurrence`` for a course whose last
            time has passed.
    """
    proposal = _open(session, user, proposal_id)
    checked = check_items(proposal.items if items is None else items,
                          pages=_pages_of(session, user, proposal.document_id), current=_local_today(user))
    created = []
    for item in checked:
        reminder = reminders.create_reminder(session=session, user=user, data=reminders.ReminderInput(
            title=f"{item['drug']} {item['dose']}", note=item["note"], kind=ReminderKind.MEDICATION.value,
            starts_at=f"{item['start']}T00:00", recurrence=Recurrence.RRULE.value, rrule=daily_rule(item["times"]),
            until_date=item["end"]))
        reminder.source_document_id, reminder.source_page = proposal.document_id, item["page"]
        session.add(reminder)
        created.append(reminder)
        _remember(session, user, proposal, item)
    proposal.items, proposal.status = checked, ProposalStatus.CONFIRMED.value
    proposal.reminder_ids = [str(reminder.id) for reminder in created]
    proposal.decided_at = proposal.updated_at = utcnow()
    session.add(proposal)
    session.flush()
    return created


def reject(*, session: Session, user: User, proposal_id: uuid.UUID) -> ReminderProposal:
    """Decline a waiting proposal: nothing is scheduled or remembered; it becomes ``rejected``.

    Raises:
        NotFound: ``proposals.not_found``. Conflict: already decided.
    """
    proposal = _open(session, user, proposal_id)
    proposal.status = ProposalStatus.REJECTED.value
    proposal.decided_at = proposal.updated_at = utcnow()
    session.add(proposal)
    session.flush()
    return proposal


def request_text(*, session: Session, user: User, document_id: uuid.UUID, language: str) -> str:
    """The message a chat started from a document's "Propose reminders" sends, naming the document.

    Raises:
        NotFound: ``documents.not_found`` (a document the user may not read).
    """
    document = get_document(session=session, user=user, document_id=document_id)
    return translate("proposals.request", language, title=document.filename, document_id=str(document.id))

"""Medication reminders proposed from a document (the service): a proposal schedules nothing; confirming
creates one daily medication reminder per row at its local times with the document page as its source and
remembers the medication; rejecting creates nothing; impossible schedules, pages outside the document and
other users' documents and proposals are refused with nothing stored."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from assistant.core.errors import Conflict, InvalidInput, NotFound
from assistant.core.i18n import translate
from assistant.models import Document, MemoryEntry, Reminder, ReminderProposal, User
from assistant.models.base import utcnow
from assistant.services.scheduler import proposals
from assistant.services.scheduler.recurrence import next_occurrences

BERLIN = "Europe/Berlin"


@pytest.fixture
def patient(make_user, call):
    """A user in Berlin."""
    user = make_user()

    def move(session):
        row = session.get(User, user.id)
        row.timezone = BERLIN
        session.add(row)
        return row

    return call(move)


@pytest.fixture
def prescription(make_document, call):
    """``prescription(owner)``: a completed three-page document of ``owner``."""

    def _make(owner):
        document = make_document(owner, filename="prescription.pdf", media_type="application/pdf")

        def pages(session):
            row = session.get(Document, document.id)
            row.page_count = 3
            session.add(row)
            return row

        return call(pages)

    return _make


def local_today() -> date:
    return datetime.now(ZoneInfo(BERLIN)).date()


def item(**fields) -> dict:
    return {"drug": "Amoxicillin", "dose": "500 mg", "times": ["08:00", "20:00"], "page": 1, **fields}


def count(call, model) -> int:
    return call(lambda session: session.exec(select(func.count()).select_from(model)).one())


def refusal(call, exc_type, fn, **kwargs) -> str:
    with pytest.raises(exc_type) as caught:
        call(fn, **kwargs)
    return translate(caught.value.code, "en", **caught.value.params)


def test_a_proposal_stores_the_checked_rows_and_schedules_nothing(patient, prescription, call):
    document = prescription(patient)
    start = local_today() + timedelta(days=1)
    proposal = call(proposals.propose, user=patient, chat_id=None, document_id=document.id, items=[
        item(times=["20:00", "8:00"], start=start.isoformat(), days=7, note="  after   meals "),
        {"drug": "Ibuprofen", "dose": "200 mg", "times_per_day": 3, "page": "2"},
    ])

    assert proposal.status == "proposed" and proposal.reminder_ids == []
    assert proposal.items == [
        {"drug": "Amoxicillin", "dose": "500 mg", "times": ["08:00", "20:00"], "start": start.isoformat(),
         "end": (start + timedelta(days=6)).isoformat(), "page": 1, "note": "after meals"},
        {"drug": "Ibuprofen", "dose": "200 mg", "times": ["08:00", "14:00", "20:00"],
         "start": local_today().isoformat(), "end": None, "page": 2, "note": ""},
    ]
    assert count(call, Reminder) == 0 and count(call, MemoryEntry) == 0


TOO_OFTEN = "Row 1: 25 times a day is not a possible dose schedule; at most 24 times a day."


@pytest.mark.parametrize(("bad", "message"), [
    ({"times": [f"{hour:02d}:00" for hour in range(24)] + ["12:30"]}, TOO_OFTEN),
    ({"times": [], "times_per_day": 25}, TOO_OFTEN),
    ({"start": "2030-05-10", "end": "2030-05-01"}, "Row 1: the end (2030-05-01) is before the start (2030-05-10)."),
    ({"page": 4}, "Row 1: page 4 is not in this document (3 pages)."),
    ({"times": ["08:00", "8:00"]}, "Row 1: 08:00 is given twice."),
    ({"times": ["25:00"]}, "Row 1: “25:00” is not a time of day; write it as HH:MM, e.g. 08:00."),
    ({"drug": "  "}, "Row 1: the medicine's name is missing."),
    ({"dose": "x" * 61}, "Row 1: the dose is longer than 60 characters."),
    ({"days": 367}, "Row 1: a course lasts from 1 to 366 days."),
    ({"end": "2020-01-02", "start": "2020-01-01"}, "Row 1: the course ended on 2020-01-02; there is nothing left to "
                                                   "remind of."),
])
def test_impossible_rows_are_refused_with_a_clear_message_and_nothing_stored(patient, prescription, call, bad,
                                                                             message):
    document = prescription(patient)
    assert refusal(call, InvalidInput, proposals.propose, user=patient, chat_id=None, document_id=document.id,
                   items=[item(**bad)]) == message
    assert count(call, ReminderProposal) == 0


def test_another_users_document_and_proposal_are_not_found(patient, prescription, make_user, call):
    other = make_user()
    theirs = prescription(other)
    assert refusal(call, NotFound, proposals.propose, user=patient, chat_id=None, document_id=theirs.id,
                   items=[item()]) == "Document not found."
    proposal = call(proposals.propose, user=other, chat_id=None, document_id=theirs.id, items=[item()])
    for action, extra in ((proposals.confirm, {}), (proposals.reject, {}),
                          (proposals.update_items, {"items": [item(dose="1 g")]}), (proposals.get_proposal, {})):
        assert refusal(call, NotFound, action, user=patient, proposal_id=proposal.id, **extra) == \
            "Reminder proposal not found."
    stored = call(lambda session: session.get(ReminderProposal, proposal.id))
    assert (stored.status, stored.items[0]["dose"]) == ("proposed", "500 mg")
    assert count(call, Reminder) == 0


def test_confirming_creates_daily_medication_reminders_with_their_source_page_and_remembers_them(
        patient, prescription, call):
    document = prescription(patient)
    start = local_today() + timedelta(days=1)
    proposal = call(proposals.propose, user=patient, chat_id=None, document_id=document.id, items=[
        item(start=start.isoformat(), days=5),
        item(drug="Vitamin D", dose="1000 IU", times=["09:15", "13:40", "21:00"], page=3, end=None,
             start=start.isoformat()),
    ])

    created = call(proposals.confirm, user=patient, proposal_id=proposal.id)

    rows = call(lambda session: [session.get(Reminder, reminder.id) for reminder in created])
    assert [(row.title, row.kind, row.status, row.timezone, row.source_document_id, row.source_page, row.until_date)
            for row in rows] == [
        ("Amoxicillin 500 mg", "medication", "active", BERLIN, document.id, 1, start + timedelta(days=4)),
        ("Vitamin D 1000 IU", "medication", "active", BERLIN, document.id, 3, None)]
    for row, times in zip(rows, (["08:00", "20:00"], ["09:15", "13:40", "21:00"]), strict=True):
        upcoming = [moment.astimezone(ZoneInfo(BERLIN)) for moment in next_occurrences(row, after=utcnow(), limit=7)]
        assert upcoming[0].date() == start
        assert [moment.strftime("%H:%M") for moment in upcoming[:len(times)]] == times
    amoxicillin = next_occurrences(rows[0], after=utcnow(), limit=20)
    assert len(amoxicillin) == 10, "five days, twice a day, then the course ends"

    facts = call(lambda session: list(session.exec(select(MemoryEntry).order_by(MemoryEntry.created_at))))
    assert {(fact.category, fact.status, fact.source_document_id, fact.source_page) for fact in facts} == {
        ("medication", "active", document.id, 1), ("medication", "active", document.id, 3)}
    assert any("Amoxicillin 500 mg" in fact.content and "08:00, 20:00" in fact.content for fact in facts)
    stored = call(lambda session: session.get(ReminderProposal, proposal.id))
    assert stored.status == "confirmed" and stored.reminder_ids == [str(row.id) for row in rows]
    assert stored.decided_at is not None

    assert refusal(call, Conflict, proposals.confirm, user=patient, proposal_id=proposal.id) == \
        "This proposal is already confirmed: its reminders exist."
    assert refusal(call, Conflict, proposals.reject, user=patient, proposal_id=proposal.id) == \
        "This proposal is already confirmed: its reminders exist."
    assert count(call, Reminder) == 2 and count(call, MemoryEntry) == 2


def test_rejecting_creates_nothing_and_a_rejected_proposal_cannot_be_confirmed(patient, prescription, call):
    document = prescription(patient)
    proposal = call(proposals.propose, user=patient, chat_id=None, document_id=document.id, items=[item()])

    assert call(proposals.reject, user=patient, proposal_id=proposal.id).status == "rejected"

    assert refusal(call, Conflict, proposals.confirm, user=patient, proposal_id=proposal.id) == \
        "This proposal was rejected: nothing was scheduled."
    assert count(call, Reminder) == 0 and count(call, MemoryEntry) == 0


def test_the_users_edits_are_checked_and_confirmed_as_edited(patient, prescription, call):
    document = prescription(patient)
    proposal = call(proposals.propose, user=patient, chat_id=None, document_id=document.id,
                    items=[item(), item(drug="Ibuprofen", dose="200 mg", page=2)])

    assert refusal(call, InvalidInput, proposals.update_items, user=patient, proposal_id=proposal.id,
                   items=[item(times="08:00, 20:00"), item(drug="Ibuprofen", times=[f"{h:02d}:30" for h in range(24)]
                                                           + ["00:00"])]) == \
        "Row 2: 25 times a day is not a possible dose schedule; at most 24 times a day."
    edited = call(proposals.update_items, user=patient, proposal_id=proposal.id,
                  items=[item(dose="750 mg", times="07:00, 19:00")])
    assert [(row["dose"], row["times"]) for row in edited.items] == [("750 mg", ["07:00", "19:00"])]

    [reminder] = call(proposals.confirm, user=patient, proposal_id=proposal.id)
    assert reminder.title == "Amoxicillin 750 mg"
    assert reminder.rrule == "FREQ=DAILY;BYHOUR=7,19;BYMINUTE=0;BYSECOND=0"


def test_a_daily_rule_picks_exactly_the_given_times():
    assert proposals.daily_rule(["08:00", "12:30"]) == \
        "FREQ=DAILY;BYHOUR=8,12;BYMINUTE=0,30;BYSECOND=0;BYSETPOS=1,4"
    every_hour = [f"{hour:02d}:{hour:02d}" for hour in range(24)]
    row = Reminder(user_id=None, title="x", timezone="UTC", starts_at=datetime(2030, 1, 1), recurrence="rrule",
                   rrule=proposals.daily_rule(every_hour))
    found = next_occurrences(row, after=datetime(2029, 12, 31, tzinfo=ZoneInfo("UTC")), limit=25)
    assert [moment.strftime("%H:%M") for moment in found] == every_hour + ["00:00"]
    assert proposals.default_times(2) == ["08:00", "20:00"]
    assert proposals.default_times(24)[:3] == ["00:00", "01:00", "02:00"]

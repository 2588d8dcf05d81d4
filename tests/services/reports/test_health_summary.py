"""The health summary, built for real (PostgreSQL, WeasyPrint) and read back with PyMuPDF: current medications
with a dose change from a superseded fact, allergies, conditions, a lab series with its values, reminders with
adherence, open tasks and source documents, each fact's footnote naming the document and page, the chat and
date, or "entered by you"; a Russian user's report in Russian; HTML in a fact printed as text with nothing
fetched; another user's data never appears; 2,500 facts capped at 2,000 with a note; bad requests refused."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pymupdf
import pytest
from sqlalchemy import insert

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.core.errors import InvalidInput, NotFound
from assistant.core.i18n import format_date
from assistant.models import (
    Chat,
    MemoryEntry,
    Message,
    Notification,
    Reminder,
    ReportStatus,
    Task,
    User,
)
from assistant.services.chat import chats
from assistant.services.reports import jobs
from assistant.services.reports.health import build_health_summary, parse_day, request_health_summary
from assistant.services.reports.health_data import MAX_MEMORIES

BUILDERS = {"health_summary": build_health_summary}
ALL = ["medications", "allergies", "conditions", "vitals", "labs", "reminders", "tasks", "documents"]


@pytest.fixture(autouse=True)
def _no_report_files_left(db):
    """The reports built here leave no file behind (the rows go with the tables after each test; later tests
    check that the reports folder holds only their own files)."""
    yield
    folder = jobs.reports_dir(get_settings())
    for path in folder.iterdir() if folder.is_dir() else []:
        if path.is_file():
            path.unlink()


def _fact(user, content: str, category: str, **fields) -> MemoryEntry:
    entry = MemoryEntry(user_id=user.id, content=content, category=category, author=fields.pop("author", "assistant"),
                        **fields)
    with session_scope() as session:
        session.add(entry)
    return entry


def _set_language(user, language: str) -> None:
    with session_scope() as session:
        session.get(User, user.id).language = language
    user.language = language


#: The colour of a chart's first line (``series.chart_svg``), as PyMuPDF reports a drawing's stroke.
CHART_BLUE = (0.122, 0.373, 0.659)


def _pdf_text(call, user, report_id) -> str:
    path, _, media_type = call(jobs.report_file, user=user, report_id=report_id)
    assert media_type == "application/pdf"
    with pymupdf.open(path) as pdf:
        return " ".join(" ".join(page.get_text().split()) for page in pdf)


def _chart_lines(call, user) -> int:
    """How many drawn paths of the user's only report have a chart's line colour."""
    [report] = call(jobs.list_reports, user=user)
    path, _, _ = call(jobs.report_file, user=user, report_id=report.id)
    with pymupdf.open(path) as pdf:
        return sum(1 for page in pdf for drawing in page.get_drawings()
                   if drawing.get("color") and all(abs(a - b) < 0.01 for a, b in zip(drawing["color"], CHART_BLUE,
                                                                                     strict=True)))


def _build(call, user, sections=ALL, **kwargs) -> str:
    report = call(request_health_summary, user=user, sections=sections, date_from=kwargs.pop("date_from", None),
                  date_to=kwargs.pop("date_to", None), **kwargs)
    assert jobs.run_report(report.id, BUILDERS) == ReportStatus.COMPLETED
    stored = call(jobs.get_report, user=user, report_id=report.id)
    assert stored.page_count and stored.page_count >= 1
    return _pdf_text(call, user, report.id)


@pytest.fixture
def records(make_user, make_document):
    """A user with health facts from a lab report (page 2), a chat and the memory page, a superseded dose, a
    medication reminder fired three times (taken twice) and an open task; and another user's facts."""
    user, other = make_user(display_name="Anna Berg"), make_user(display_name="Other Person")
    lab = make_document(user, filename="lab-2026.pdf", media_type="application/pdf")
    with session_scope() as session:
        chat = chats.create_chat(session=session, user=user, title="Allergy talk")
        message = Message(chat_id=chat.id, role="user", content="I am allergic to penicillin",
                          created_at=datetime(2026, 3, 5, 10, 0, tzinfo=UTC))
        session.add(message)
    new = _fact(user, "Metformin 1000 mg twice daily", "medication", valid_from=date(2026, 3, 1))
    _fact(user, "Metformin 500 mg once daily", "medication", status="superseded", valid_from=date(2025, 1, 10),
          valid_until=date(2026, 3, 1), superseded_by=new.id)
    _fact(user, "Allergic to penicillin (rash)", "allergy", source_chat_id=chat.id, source_message_id=message.id)
    _fact(user, "Type 2 diabetes", "condition", author="user")
    for day, value in ((date(2025, 11, 2), "6.9"), (date(2026, 2, 1), "6.5"), (date(2026, 5, 3), "6.1")):
        _fact(user, f"HbA1c {value} %", "lab_result", valid_from=day, source_document_id=lab.id, source_page=2)
    _fact(user, "Felt dizzy after the morning walk", "vital", valid_from=date(2026, 5, 4))
    _fact(other, "Warfarin 5 mg", "medication")
    now = datetime.now(UTC)
    with session_scope() as session:
        reminder = Reminder(user_id=user.id, title="Metformin 1000 mg", kind="medication", timezone="UTC",
                            starts_at=datetime(2026, 1, 1, 8, 0), recurrence="daily", rrule="FREQ=DAILY",
                            next_occurrence_at=now + timedelta(hours=3), next_fire_at=now + timedelta(hours=3))
        session.add(reminder)
        session.flush()
        for days_ago, status in ((1, "acknowledged"), (2, "acknowledged"), (3, "missed")):
            session.add(Notification(user_id=user.id, type="reminder", channel="in_app", status=status,
                                     title="Metformin", reminder_id=reminder.id,
                                     occurrence_at=now - timedelta(days=days_ago)))
        session.add(Task(user_id=user.id, title="Book the eye exam", due_at=now + timedelta(days=5)))
        session.add(Task(user_id=other.id, title="Other person's secret task"))
    return user, other, chat


def test_the_summary_holds_the_facts_with_their_sources(records, call):
    user, _, _ = records
    text = _build(call, user, title="Summary for Dr. Weiß")

    assert "Summary for Dr. Weiß" in text and "Anna Berg" in text and "Page 1 / " in text
    assert "Current medications" in text and "Metformin 1000 mg twice daily" in text
    assert "Metformin 500 mg once daily" in text, "the superseded dose is the medication's history"
    assert "Allergic to penicillin (rash)" in text and "Type 2 diabetes" in text
    assert "HbA1c" in text and all(value in text for value in ("6.9", "6.5", "6.1"))
    assert _chart_lines(call, user) >= 1, "the lab series is drawn as an inline SVG chart"
    assert "2026-05-03" in text and "Chart: lowest 6.1, highest 6.9 %, Nov 2, 2025 – May 3, 2026" in text
    assert "Felt dizzy after the morning walk" in text, "a value that does not parse is listed as text"
    assert "lab-2026.pdf, page 2" in text
    assert f"Chat “Allergy talk”, {format_date(date(2026, 3, 5), 'en')}" in text
    assert "Entered by you" in text
    assert "2 of 3 doses taken" in text and "Book the eye exam" in text
    assert "Warfarin" not in text and "Other person" not in text


def test_only_the_chosen_sections_and_range_are_printed(records, call):
    user, _, _ = records
    text = _build(call, user, sections=["labs"], date_from=date(2026, 1, 1), date_to=date(2026, 3, 31))
    assert "Lab results" in text and "6.5" in text
    assert "6.9" not in text and "6.1" not in text, "values outside the range are left out"
    assert "Metformin" not in text and "Current medications" not in text


def test_a_russian_users_summary_is_in_russian(make_user, make_document, call):
    user = make_user(display_name="Анна Берг")
    _set_language(user, "ru")
    document = make_document(user, filename="анализы.pdf", media_type="application/pdf")
    _fact(user, "Метформин 500 мг два раза в день", "medication", source_document_id=document.id, source_page=3)
    _fact(user, "Гемоглобин 135 г/л", "lab_result", valid_from=date(2026, 4, 1))
    _fact(user, "Гемоглобин 128 г/л", "lab_result", valid_from=date(2026, 5, 1))

    text = _build(call, user)

    assert "Сводка о здоровье" in text and "Анна Берг" in text and "Страница 1 / 2" in text
    assert "Текущие лекарства" in text and "Результаты анализов" in text and "Источники" in text
    assert "Метформин 500 мг два раза в день" in text and "Гемоглобин" in text and "г/л" in text
    assert "анализы.pdf, стр. 3" in text


def test_html_in_a_fact_is_printed_as_text_and_nothing_is_fetched(make_user, call, recording_server):
    base, requested = recording_server
    user = make_user()
    _fact(user, f'Aspirin 100 mg <img src="{base}/pixel.png"> <img src="file:///etc/passwd">', "medication")
    _fact(user, f'<link rel="stylesheet" href="{base}/evil.css">Penicillin', "allergy")

    text = _build(call, user)

    assert requested == []
    assert f'<img src="{base}/pixel.png">' in text and '<img src="file:///etc/passwd">' in text
    assert "root:" not in text


def test_a_large_memory_is_capped_with_a_note(make_user, call):
    user = make_user()
    start = date(2020, 1, 1)
    with session_scope() as session:
        session.execute(insert(MemoryEntry), [
            {"id": uuid.uuid4(), "user_id": user.id, "content": f"Glucose {5 + (i % 30) / 10:.1f} mmol/L",
             "category": "lab_result", "author": "assistant", "valid_from": start + timedelta(days=i),
             "status": "active", "importance": "medium", "sensitive": False}
            for i in range(2_500)])

    text = _build(call, user, sections=["labs"])

    assert f"Only the {MAX_MEMORIES:,} most relevant entries are included; 500 more entries were left out." in text
    assert "Glucose" in text and (start + timedelta(days=2_499)).isoformat() in text
    assert (start + timedelta(days=10)).isoformat() not in text, "the oldest values are the ones left out"


def test_bad_requests_are_refused(make_user, call):
    user, stranger = make_user(), make_user()
    with session_scope() as session:
        strangers_chat = chats.create_chat(session=session, user=stranger)
    for sections in ([], ["medications", "horoscope"]):
        with pytest.raises(InvalidInput) as refused:
            call(request_health_summary, user=user, sections=sections, date_from=None, date_to=None)
        assert refused.value.code == "reports.health.sections_invalid"
    with pytest.raises(InvalidInput) as refused:
        call(request_health_summary, user=user, sections=ALL, date_from=date(2026, 5, 1), date_to=date(2026, 4, 1))
    assert refused.value.code == "reports.health.range_invalid"
    with pytest.raises(InvalidInput) as refused:
        call(request_health_summary, user=user, sections=ALL, date_from=date(1800, 1, 1), date_to=None)
    assert refused.value.code == "reports.health.date_out_of_range"
    with pytest.raises(InvalidInput) as refused:
        parse_day("12/31/2026")
    assert refused.value.code == "reports.health.date_invalid"
    with pytest.raises(NotFound):
        call(request_health_summary, user=user, sections=ALL, date_from=None, date_to=None,
             chat_id=strangers_chat.id)
    assert call(jobs.list_reports, user=user) == []
    with session_scope() as session:
        assert session.query(Chat).filter(Chat.user_id == user.id).count() == 0

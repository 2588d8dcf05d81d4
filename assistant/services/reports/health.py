"""The health summary: a clinician-ready PDF of one user's current medications (with their changes over time),
allergies, conditions, recent vitals and lab values (a table and a small chart per series), upcoming reminders
with adherence, open tasks and the documents it draws on; every fact carries a footnote naming its source
(document and page, chat and date, or "entered by you").

:func:`request_health_summary` checks what is asked and queues the report (:mod:`assistant.services.reports.jobs`);
the worker then runs :func:`build_health_summary`, which reads the owner's data
(:mod:`assistant.services.reports.health_data`, at most :data:`~assistant.services.reports.health_data.MAX_MEMORIES`
facts, the report says how many more there were), fills ``health_summary.html.j2`` in the owner's language and
prints it (:mod:`assistant.services.reports.render`). Text is escaped by the template, so a fact holding HTML is
printed as text and nothing it names is fetched.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from assistant.core.errors import InvalidInput
from assistant.core.i18n import format_date, format_datetime, format_number, translate
from assistant.models import Report, ReportKind, User
from assistant.models.base import utcnow
from assistant.models.memory import MemoryAuthor, MemoryCategory, MemoryStatus
from assistant.models.reminder import ReminderKind
from assistant.services.chat.chats import get_chat
from assistant.services.reports import health_data
from assistant.services.reports.health_data import Fact, SourceNames
from assistant.services.reports.jobs import BuiltFile, ReportJob, request_report
from assistant.services.reports.render import html_to_pdf, render_html
from assistant.services.reports.series import Series, chart_svg, group_series, parse_reading
from assistant.services.scheduler.views import describe_schedule

#: The sections a health summary may have, in the order it prints them.
SECTIONS = ("medications", "allergies", "conditions", "vitals", "labs", "reminders", "tasks", "documents")
#: The memory category each fact section prints.
SECTION_CATEGORIES = {"medications": MemoryCategory.MEDICATION.value, "allergies": MemoryCategory.ALLERGY.value,
                      "conditions": MemoryCategory.CONDITION.value, "vitals": MemoryCategory.VITAL.value,
                      "labs": MemoryCategory.LAB_RESULT.value}
#: The earliest day a range may start on, and how far ahead of today it may end.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_AHEAD = timedelta(days=366)


def check_sections(sections: Iterable[str]) -> list[str]:
    """The known sections among ``sections`` in print order.

    Raises:
        InvalidInput: ``reports.health.sections_invalid`` for none or an unknown one.
    """
    wanted = {str(section).strip().lower() for section in sections}
    if not wanted or not wanted <= set(SECTIONS):
        raise InvalidInput("reports.health.sections_invalid", sections=", ".join(SECTIONS))
    return [section for section in SECTIONS if section in wanted]


def parse_day(value: str | date | None) -> date | None:
    """A day given as ``YYYY-MM-DD`` (or a date); None for empty.

    Raises:
        InvalidInput: ``reports.health.date_invalid``.
    """
    if value is None or isinstance(value, date):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("reports.health.date_invalid", value=text[:20]) from None


def check_range(date_from: date | None, date_to: date | None, today: date) -> None:
    """A range a report can cover: each end from :data:`EARLIEST_DAY` to a year after ``today``, the start not
    after the end.

    Raises:
        InvalidInput: ``reports.health.range_invalid`` (start after end), ``reports.health.date_out_of_range``.
    """
    for day in (date_from, date_to):
        if day is not None and not EARLIEST_DAY <= day <= today + LATEST_AHEAD:
            raise InvalidInput("reports.health.date_out_of_range", earliest=EARLIEST_DAY.isoformat(),
                               latest=(today + LATEST_AHEAD).isoformat())
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InvalidInput("reports.health.range_invalid")


def request_health_summary(*, session: Session, user: User, sections: Iterable[str], date_from: date | None,
                           date_to: date | None, title: str | None = None,
                           chat_id: uuid.UUID | None = None) -> Report:
    """Queue a health summary of ``user`` with ``sections`` (see :data:`SECTIONS`) over the days
    ``date_from``..``date_to`` (either open), titled ``title`` (default: "Health summary" in the user's
    language); ``chat_id``: the user's chat whose card shows it (the ``generate_pdf`` tool).

    Raises:
        InvalidInput: :func:`check_sections`, :func:`check_range`, ``reports.title_invalid``.
        NotFound: ``chat.not_found`` for a chat that is not the user's.
    """
    chosen = check_sections(sections)
    check_range(date_from, date_to, utcnow().date())
    if chat_id is not None:
        get_chat(session=session, user=user, chat_id=chat_id)
    params = {"sections": chosen, "date_from": date_from.isoformat() if date_from else None,
              "date_to": date_to.isoformat() if date_to else None, "language": user.language}
    return request_report(session=session, user=user, kind=ReportKind.HEALTH_SUMMARY,
                          title=title if title is not None and title.strip()
                          else translate("reports.health.default_title", user.language),
                          params=params, chat_id=chat_id)


class Footnotes:
    """Numbers the sources of the facts printed, one number per distinct source, in order of first use."""

    def __init__(self, names: SourceNames, language: str, timezone: str) -> None:
        self._names, self._language, self._timezone = names, language, timezone
        self._numbers: dict[tuple[Any, ...], int] = {}
        self.texts: list[str] = []
        self.documents: list[uuid.UUID] = []

    def _key_and_text(self, fact: Fact) -> tuple[tuple[Any, ...], str]:
        language = self._language
        if fact.document_id is not None:
            found = self._names.documents.get(fact.document_id)
            if found is None:
                return ("gone",), translate("reports.health.source.gone", language)
            if fact.document_id not in self.documents:
                self.documents.append(fact.document_id)
            if fact.page is not None:
                return (("document", fact.document_id, fact.page),
                        translate("reports.health.source.document_page", language, document=found[0], page=fact.page))
            return ("document", fact.document_id), translate("reports.health.source.document", language,
                                                             document=found[0])
        if fact.chat_id is not None:
            chat = self._names.chats.get(fact.chat_id)
            if chat is None:
                return ("gone",), translate("reports.health.source.gone", language)
            said = self._names.messages.get(fact.message_id) if fact.message_id else None
            day = format_date(said or fact.created_at, language, self._timezone)
            return ("chat", fact.chat_id, day), translate("reports.health.source.chat", language, chat=chat, date=day)
        if fact.author == MemoryAuthor.USER:
            return ("user",), translate("reports.health.source.user", language)
        return ("gone",), translate("reports.health.source.gone", language)

    def ref(self, fact: Fact) -> int:
        """The footnote number of ``fact``'s source (from 1)."""
        key, text = self._key_and_text(fact)
        if key not in self._numbers:
            self.texts.append(text)
            self._numbers[key] = len(self.texts)
        return self._numbers[key]


@dataclass
class _Item:
    """A fact as a line of a section: its text, the days it held, its footnote and earlier versions."""

    text: str
    period: str
    ref: int
    history: list[_Item] = field(default_factory=list)


def _period(fact: Fact, language: str) -> str:
    start = format_date(fact.valid_from, language) if fact.valid_from else ""
    end = format_date(fact.valid_until, language) if fact.valid_until else ""
    if start and end:
        return translate("reports.health.period", language, start=start, end=end)
    if start:
        return translate("reports.health.since", language, start=start)
    return translate("reports.health.until", language, end=end) if end else ""


def _medications(facts: list[Fact], notes: Footnotes, language: str) -> tuple[list[_Item], list[_Item]]:
    """Current medications each with its earlier versions (the ``superseded_by`` chain, oldest first), and the
    superseded ones whose chain leads to no current one (stopped or forgotten later)."""
    by_successor: dict[uuid.UUID, list[Fact]] = defaultdict(list)
    superseded = [fact for fact in facts if fact.status == MemoryStatus.SUPERSEDED]
    for fact in superseded:
        if fact.superseded_by is not None:
            by_successor[fact.superseded_by].append(fact)
    shown: set[uuid.UUID] = set()

    def chain(fact: Fact) -> list[Fact]:
        found: list[Fact] = []
        stack = list(by_successor.get(fact.id, []))
        while stack and len(found) < 50:
            earlier = stack.pop()
            if earlier.id in shown:
                continue
            shown.add(earlier.id)
            found.append(earlier)
            stack.extend(by_successor.get(earlier.id, []))
        return sorted(found, key=lambda row: (row.valid_from or row.day, row.created_at))

    current = []
    for fact in facts:
        if fact.status == MemoryStatus.ACTIVE:
            item = _Item(fact.content, _period(fact, language), notes.ref(fact))
            item.history = [_Item(old.content, _period(old, language), notes.ref(old)) for old in chain(fact)]
            current.append(item)
    past = [_Item(fact.content, _period(fact, language), notes.ref(fact)) for fact in superseded
            if fact.id not in shown]
    return current, past


def _plain(facts: list[Fact], notes: Footnotes, language: str) -> list[_Item]:
    return [_Item(fact.content, _period(fact, language), notes.ref(fact)) for fact in facts]


@dataclass(frozen=True)
class _Values:
    """A series section: series with their charts and the charts' captions, and the facts that did not parse
    (listed as text)."""

    series: list[tuple[Series, Any, str]]
    unparsed: list[_Item]


def _values(facts: list[Fact], notes: Footnotes, language: str) -> _Values:
    parsed, unparsed = [], []
    for fact in sorted(facts, key=lambda row: (row.day, row.created_at)):
        reading = parse_reading(fact.content, fact.day)
        if reading is None:
            unparsed.append(_Item(fact.content, format_date(fact.day, language), notes.ref(fact)))
        else:
            parsed.append((reading, notes.ref(fact)))
    return _Values(series=[(series, chart_svg(series), _caption(series, language))
                           for series in group_series(parsed)], unparsed=unparsed)


def _caption(series: Series, language: str) -> str:
    """What the chart's axes span: "lowest 6.0, highest 6.9 %, Nov 2, 2025 – May 3, 2026"."""
    if len(series.readings) < 2:
        return ""
    numbers = [value for reading in series.readings for value in reading.values]
    return translate("reports.health.chart_caption", language, low=format_number(min(numbers), language),
                     high=format_number(max(numbers), language), unit=series.unit,
                     first=format_date(series.readings[0].day, language),
                     last=format_date(series.readings[-1].day, language)).replace(" ,", ",")


def _range_text(date_from: date | None, date_to: date | None, language: str) -> str:
    start = format_date(date_from, language) if date_from else ""
    end = format_date(date_to, language) if date_to else ""
    if start and end:
        return translate("reports.health.range", language, start=start, end=end)
    if start:
        return translate("reports.health.range_from", language, start=start)
    if end:
        return translate("reports.health.range_until", language, end=end)
    return translate("reports.health.range_all", language)


def _reminders(owner_id: uuid.UUID, date_from: date | None, date_to: date | None, language: str,
               timezone: str) -> list[dict[str, str]]:
    lines = []
    for line in health_data.read_reminders(owner_id, date_from, date_to, timezone):
        reminder = line.reminder
        adherence = ""
        if reminder.kind == ReminderKind.MEDICATION:
            adherence = (translate("reports.health.adherence", language, taken=line.taken, fired=line.fired)
                         if line.fired else translate("reports.health.adherence_none", language))
        assert reminder.next_occurrence_at is not None
        lines.append({"title": reminder.title, "schedule": describe_schedule(reminder, language),
                      "next": format_datetime(reminder.next_occurrence_at, language, reminder.timezone),
                      "adherence": adherence})
    return lines


def _tasks(owner_id: uuid.UUID, language: str, timezone: str) -> list[dict[str, str]]:
    lines = []
    for task in health_data.read_open_tasks(owner_id):
        due = ""
        if task.due_at is not None:
            due = (format_date(task.due_at, language, timezone) if task.due_all_day
                   else format_datetime(task.due_at, language, timezone))
        lines.append({"title": task.title, "due": due,
                      "priority": translate(f"tasks.priority.{task.priority}", language)})
    return lines


def build_health_summary(job: ReportJob) -> BuiltFile:
    """The job of a queued health summary (see the module docstring): the PDF in ``job.work_dir``.

    Raises:
        ReportCancelled: the report was deleted meanwhile (from ``job.progress``).
    """
    language, timezone = job.language, job.timezone
    sections = [section for section in job.params.get("sections", SECTIONS) if section in SECTIONS]
    date_from, date_to = parse_day(job.params.get("date_from")), parse_day(job.params.get("date_to"))
    job.progress("collecting", 5, force=True)
    categories = {SECTION_CATEGORIES[section] for section in sections if section in SECTION_CATEGORIES}
    facts = health_data.read_facts(job.owner_id, categories, date_from, date_to, timezone)
    job.progress("collecting", 30)
    names = health_data.read_source_names(job.owner_id, facts.rows)
    notes = Footnotes(names, language, timezone)
    by_category: dict[str, list[Fact]] = defaultdict(list)
    for fact in facts.rows:
        by_category[fact.category].append(fact)
    current, past = _medications(by_category[MemoryCategory.MEDICATION.value], notes, language)
    context: dict[str, Any] = {
        "sections": sections, "medications": current, "past_medications": past,
        "allergies": _plain(by_category[MemoryCategory.ALLERGY.value], notes, language),
        "conditions": _plain(by_category[MemoryCategory.CONDITION.value], notes, language),
        "vitals": _values(by_category[MemoryCategory.VITAL.value], notes, language),
        "labs": _values(by_category[MemoryCategory.LAB_RESULT.value], notes, language),
    }
    job.progress("collecting", 50)
    context["reminders"] = _reminders(job.owner_id, date_from, date_to, language, timezone) \
        if "reminders" in sections else []
    context["tasks"] = _tasks(job.owner_id, language, timezone) if "tasks" in sections else []
    context["documents"] = [{"name": names.documents[ident][0], "added": format_date(
        names.documents[ident][2], language, timezone), "pages": names.documents[ident][1]}
        for ident in notes.documents] if "documents" in sections else []
    name, _ = health_data.read_owner(job.owner_id)
    now = utcnow()
    job.progress("rendering", 60, force=True)
    html = render_html("health_summary.html.j2", language, title=job.title,
                       subject=translate("reports.health.subject", language, name=name,
                                         date=format_date(now, language, timezone, format="long")),
                       range_text=_range_text(date_from, date_to, language),
                       generated=format_datetime(now, language, timezone),
                       left_out=facts.left_out, limit=health_data.MAX_MEMORIES, footnotes=notes.texts, **context)
    job.progress("rendering", 70, force=True)
    rendered = html_to_pdf(html)
    job.progress("rendering", 95, force=True)
    path = job.work_dir / "health-summary.pdf"
    path.write_bytes(rendered.data)
    return BuiltFile(path=path, media_type="application/pdf", extension=".pdf", page_count=rendered.pages)


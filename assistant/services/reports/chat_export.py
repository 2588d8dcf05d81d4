"""One chat of the user as a file to take away: PDF (to read and print), Markdown (to read and edit) or JSON (for
programs), each with every message in order, its time in the user's time zone, the citations of an answer
(document and page), the tool calls it made with their arguments and results, and the model and tokens it used.

The export is built on request (no job): messages are read in batches of :data:`BATCH_SIZE` by ``seq`` (the
``context`` column, the largest, is never read) and at most :data:`MAX_MESSAGES` stored messages are exported, the
first ones; the file says how many later ones were left out. A PDF holds at most :data:`MAX_PDF_MESSAGES` (WeasyPrint
needs about 12 s and 380 MB for 2,000 messages, 75 s and 1.4 GB for 10,000) and one process prints one at a time.
A tool message is folded into the call of the answer before it (``tool_calls[].result``); one that names no such
call is exported as a message of role ``tool``.

JSON shape (``schema_version`` 1; new fields may be added, none is renamed or removed without a new version)::

    {"schema": "assistant.chat-export", "schema_version": 1,
     "exported_at": "2026-12-02T23:15:00+01:00", "timezone": "Europe/Berlin", "language": "en",
     "chat": {"id": "…", "title": "…", "tier": "medium", "archived": false,
              "created_at": "…", "updated_at": "…"},
     "message_count": 12, "exported_message_count": 12, "omitted_message_count": 0,
     "usage": {"input_tokens": 1200, "output_tokens": 300},
     "messages": [{"seq": 1, "role": "user|assistant|system|tool", "created_at": "…", "status":
                   "complete|incomplete|error", "error": null or an i18n key, "text": "Markdown as stored",
                   "citations": [{"number": 1, "document_id": "…", "document": "lab.pdf", "page": 3 or null,
                                  "chunk_id": "…"}],
                   "tool_calls": [{"id": "…", "name": "search_documents", "arguments": {…},
                                   "result": "text" or null, "is_error": false}],
                   "usage": null or {"provider": "openai", "model": "…", "tier": "medium",
                                     "input_tokens": 100, "output_tokens": 20, "latency_ms": 900}}]}

Times are ISO 8601 in the user's time zone. ``message_count`` counts the chat's stored messages (tool messages
included), ``exported_message_count`` those read into the file. The Markdown file keeps each message's text as
stored (it is the user's own data) with the citations as lines ``[1] lab.pdf, p. 3`` below it; the PDF renders the
text with :func:`assistant.core.markup.markdown_html` (sanitized, no images) and prints nothing a message names.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from assistant.core.errors import InvalidInput
from assistant.core.i18n import format_datetime, translate
from assistant.core.markup import markdown_html
from assistant.core.security import create_download_ticket
from assistant.models import Chat, Message, User
from assistant.models.base import utcnow
from assistant.services.chat.chats import get_chat
from assistant.services.reports.render import html_to_pdf, render_html

SCHEMA = "assistant.chat-export"
SCHEMA_VERSION = 1
#: The most stored messages one export holds (the first ones); a note tells how many were left out.
MAX_MESSAGES = 10_000
#: The most stored messages a PDF holds (its note points to the Markdown and JSON exports for more).
MAX_PDF_MESSAGES = 2_000
#: Messages read per query.
BATCH_SIZE = 500
#: The longest tool arguments or result the PDF prints, characters (the Markdown and JSON files keep all).
PDF_TOOL_TEXT_CHARS = 1_500
#: The formats and their media types.
MEDIA_TYPES = {"pdf": "application/pdf", "md": "text/markdown; charset=utf-8",
               "json": "application/json"}
#: One PDF rendered at a time per process, so memory stays bounded however many exports are asked for.
_PDF_SLOT = threading.Lock()
_UNSAFE_FILENAME = re.compile(r"[^\w.-]+")
#: What an export reads of a message (not ``context``, the largest).
_COLUMNS = [col(column) for column in (
    Message.seq, Message.role, Message.content, Message.tool_calls, Message.tool_call_id, Message.is_error,
    Message.citations, Message.provider, Message.model, Message.tier, Message.input_tokens, Message.output_tokens,
    Message.latency_ms, Message.status, Message.error_code, Message.created_at)]


@dataclass(frozen=True)
class ChatExport:
    """An exported chat: the file's bytes, a file name (``<title>.<format>``) and its media type."""

    data: bytes
    filename: str
    media_type: str


@dataclass
class _ToolCall:
    id: str
    name: str
    arguments: Any
    result: str | None = None
    is_error: bool = False


@dataclass
class _Entry:
    seq: int
    role: str
    text: str
    status: str
    error_code: str
    created_at: datetime
    citations: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[_ToolCall] = field(default_factory=list)
    usage: dict[str, Any] | None = None


@dataclass
class _Transcript:
    chat: Chat
    entries: list[_Entry]
    total: int
    exported: int
    limit: int
    language: str
    timezone: str
    exported_at: datetime

    @property
    def omitted(self) -> int:
        return self.total - self.exported

    def local(self, moment: datetime) -> datetime:
        """``moment`` in the user's zone (UTC when the zone is unknown)."""
        try:
            return moment.astimezone(ZoneInfo(self.timezone))
        except (ZoneInfoNotFoundError, ValueError):
            return moment

    def shown(self, moment: datetime) -> str:
        return format_datetime(moment, self.language, self.timezone)

    def t(self, key: str, **params: Any) -> str:
        return translate(key, self.language, **params)


def export_chat(*, session: Session, user: User, chat_id: uuid.UUID, format: str) -> ChatExport:  # noqa: A002
    """The chat ``chat_id`` of ``user`` as a file: ``format`` ``pdf``, ``md`` or ``json`` (see the module docstring
    for what each holds), in the user's language and time zone. A PDF is CPU-bound (7-9 s for 1,000 messages with
    answers of 700 characters) and waits for any other PDF this process is printing: call it from a worker thread.

    Raises:
        NotFound: ``chat.not_found`` when the chat does not exist or belongs to someone else.
        InvalidInput: ``chat_export.bad_format`` for any other ``format``.
    """
    if format not in MEDIA_TYPES:
        raise InvalidInput("chat_export.bad_format")
    transcript = _transcript(session, user, chat_id, MAX_PDF_MESSAGES if format == "pdf" else MAX_MESSAGES)
    if format == "json":
        data = json.dumps(_json(transcript), ensure_ascii=False, indent=1).encode()
    elif format == "md":
        data = _markdown(transcript).encode()
    else:
        html = _html(transcript)
        with _PDF_SLOT:
            data = html_to_pdf(html).data
    return ChatExport(data=data, filename=f"{_file_stem(transcript.chat.title)}.{format}",
                      media_type=MEDIA_TYPES[format])


def export_ticket(*, session: Session, user: User, chat_id: uuid.UUID, login_session_id: uuid.UUID,
                  format: str) -> tuple[str, str]:  # noqa: A002
    """``(ticket, file name)``: a one-minute ticket for the browser to fetch the chat's export in ``format``
    (``GET /api/v1/chats/{id}/export?format=…&ticket=…``), bound to ``user`` and their login session (see
    :func:`assistant.core.security.create_download_ticket`), and the name the file is saved under.

    Raises:
        NotFound: ``chat.not_found`` when the chat does not exist or belongs to someone else.
        InvalidInput: ``chat_export.bad_format`` for a format other than ``pdf``, ``md``, ``json``.
    """
    if format not in MEDIA_TYPES:
        raise InvalidInput("chat_export.bad_format")
    chat = get_chat(session=session, user=user, chat_id=chat_id)
    ticket = create_download_ticket(user_id=user.id, session_id=login_session_id, resource_id=chat_id)
    return ticket, f"{_file_stem(chat.title)}.{format}"


def _file_stem(title: str) -> str:
    stem = _UNSAFE_FILENAME.sub("-", title).strip("-.")[:80]
    return stem or "chat"


def _rows(session: Session, chat_id: uuid.UUID, limit: int) -> Iterator[Any]:
    """The chat's first ``limit`` messages by ``seq``, read :data:`BATCH_SIZE` at a time."""
    last, left = 0, limit
    while left > 0:
        batch = session.execute(sa_select(*_COLUMNS).where(col(Message.chat_id) == chat_id, col(Message.seq) > last)
                                .order_by(col(Message.seq)).limit(min(BATCH_SIZE, left))).all()
        if not batch:
            return
        yield from batch
        last, left = batch[-1].seq, left - len(batch)


def _transcript(session: Session, user: User, chat_id: uuid.UUID, limit: int) -> _Transcript:
    chat = get_chat(session=session, user=user, chat_id=chat_id)
    total = session.exec(select(func.count()).select_from(Message).where(Message.chat_id == chat_id)).one()
    entries: list[_Entry] = []
    open_calls: dict[str, _ToolCall] = {}
    exported = 0
    for row in _rows(session, chat_id, limit):
        exported += 1
        call = open_calls.get(row.tool_call_id or "") if row.role == "tool" else None
        if call is not None:
            call.result, call.is_error = row.content, row.is_error
            continue
        entry = _Entry(seq=row.seq, role=row.role, text=row.content, status=row.status, error_code=row.error_code,
                       created_at=row.created_at,
                       citations=[_citation(c, position) for position, c in enumerate(row.citations, 1)])
        if row.role == "assistant":
            entry.tool_calls = [_ToolCall(id=str(c.get("id", "")), name=str(c.get("name", "")),
                                          arguments=c.get("arguments") or {}) for c in row.tool_calls]
            open_calls = {c.id: c for c in entry.tool_calls}
            if row.model:
                entry.usage = {"provider": row.provider, "model": row.model, "tier": row.tier,
                               "input_tokens": row.input_tokens, "output_tokens": row.output_tokens,
                               "latency_ms": row.latency_ms}
        elif row.role != "tool":
            open_calls = {}
        entries.append(entry)
    return _Transcript(chat=chat, entries=entries, total=total, exported=exported, limit=limit,
                       language=user.language, timezone=user.timezone, exported_at=utcnow())


def _citation(stored: dict[str, Any], position: int) -> dict[str, Any]:
    """A stored citation in the export's shape; one stored without its number gets its position (from 1)."""
    return {"number": stored.get("number") or position, "document_id": stored.get("document_id"),
            "document": stored.get("title") or "", "page": stored.get("page"), "chunk_id": stored.get("chunk_id")}


def _json(transcript: _Transcript) -> dict[str, Any]:
    chat, local = transcript.chat, transcript.local
    return {
        "schema": SCHEMA, "schema_version": SCHEMA_VERSION,
        "exported_at": local(transcript.exported_at).isoformat(), "timezone": transcript.timezone,
        "language": transcript.language,
        "chat": {"id": str(chat.id), "title": chat.title, "tier": chat.tier, "archived": chat.archived_at is not None,
                 "created_at": local(chat.created_at).isoformat(), "updated_at": local(chat.updated_at).isoformat()},
        "message_count": transcript.total, "exported_message_count": transcript.exported,
        "omitted_message_count": transcript.omitted,
        "usage": _totals(transcript),
        "messages": [{"seq": e.seq, "role": e.role, "created_at": local(e.created_at).isoformat(), "status": e.status,
                      "error": e.error_code or None, "text": e.text, "citations": e.citations,
                      "tool_calls": [{"id": c.id, "name": c.name, "arguments": c.arguments, "result": c.result,
                                      "is_error": c.is_error} for c in e.tool_calls],
                      "usage": e.usage} for e in transcript.entries],
    }


def _totals(transcript: _Transcript) -> dict[str, int]:
    used = [e.usage for e in transcript.entries if e.usage is not None]
    return {"input_tokens": sum(u["input_tokens"] for u in used),
            "output_tokens": sum(u["output_tokens"] for u in used)}


def _source(transcript: _Transcript, citation: dict[str, Any]) -> str:
    """``[1] lab.pdf, p. 3`` (without the page when the passage has none)."""
    where = citation["document"] or transcript.t("chat_export.unknown_document")
    if citation["page"] is not None:
        where = transcript.t("chat_export.source_page", document=where, page=citation["page"])
    return f"[{citation['number']}] {where}"


def _heading(transcript: _Transcript, entry: _Entry) -> str:
    """``Assistant · Dec 2, 2026, 10:15 PM``."""
    return f"{transcript.t(f'chat_export.role.{entry.role}')} · {transcript.shown(entry.created_at)}"


def _usage_line(transcript: _Transcript, entry: _Entry) -> str:
    if entry.usage is None:
        return ""
    return transcript.t("chat_export.usage", model=entry.usage["model"], input=entry.usage["input_tokens"],
                        output=entry.usage["output_tokens"])


def _status_line(transcript: _Transcript, entry: _Entry) -> str:
    if entry.status == "complete":
        return ""
    reason = f": {transcript.t(entry.error_code)}" if entry.error_code else ""
    return transcript.t(f"chat_export.status.{entry.status}") + reason


def _summary_lines(transcript: _Transcript) -> list[str]:
    """The export's date, message count, token totals and, when the cap cut it, the note."""
    totals = _totals(transcript)
    lines = [transcript.t("chat_export.exported_at", date=transcript.shown(transcript.exported_at)),
             transcript.t("chat_export.message_count", count=transcript.total),
             transcript.t("chat_export.total_usage", input=totals["input_tokens"], output=totals["output_tokens"])]
    if transcript.omitted:
        lines.append(transcript.t("chat_export.omitted", count=transcript.omitted, limit=transcript.limit))
        if transcript.limit < MAX_MESSAGES:
            lines.append(transcript.t("chat_export.pdf_limit", full=MAX_MESSAGES))
    return lines


def _arguments_text(arguments: Any) -> str:
    return json.dumps(arguments, ensure_ascii=False, indent=1) if not isinstance(arguments, str) else arguments


def _fence(text: str, info: str = "") -> str:
    """``text`` as a fenced code block whose fence no backtick run inside it can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def _markdown(transcript: _Transcript) -> str:
    t = transcript.t
    out = [f"# {transcript.chat.title or t('chat.untitled')}", ""]
    for line in _summary_lines(transcript):
        out += [f"*{line}*", ""]
    for entry in transcript.entries:
        out += ["---", "", f"### {_heading(transcript, entry)}", ""]
        for note in (_usage_line(transcript, entry), _status_line(transcript, entry)):
            if note:
                out += [f"*{note}*", ""]
        if entry.text:
            out += [entry.text, ""]
        for call in entry.tool_calls:
            out += [f"**{t('chat_export.tool_call', name=call.name)}**", "", _fence(_arguments_text(call.arguments),
                                                                                     "json"), ""]
            if call.result is not None:
                label = t("chat_export.tool_error") if call.is_error else t("chat_export.tool_result")
                out += [f"{label}:", "", _fence(call.result), ""]
        for citation in entry.citations:
            out += [_source(transcript, citation), ""]
    return "\n".join(out)


def _shortened(transcript: _Transcript, text: str) -> str:
    if len(text) <= PDF_TOOL_TEXT_CHARS:
        return text
    return text[:PDF_TOOL_TEXT_CHARS] + "… " + transcript.t("chat_export.shortened")


def _html(transcript: _Transcript) -> str:
    messages = []
    for entry in transcript.entries:
        calls = [{"name": c.name, "arguments": _shortened(transcript, _arguments_text(c.arguments)),
                  "result": None if c.result is None else _shortened(transcript, c.result), "is_error": c.is_error}
                 for c in entry.tool_calls]
        messages.append({"role": entry.role, "heading": _heading(transcript, entry),
                         "notes": [n for n in (_usage_line(transcript, entry), _status_line(transcript, entry)) if n],
                         "html": markdown_html(entry.text) if entry.text else "", "tool_calls": calls,
                         "sources": [_source(transcript, c) for c in entry.citations]})
    title = transcript.chat.title or transcript.t("chat.untitled")
    return render_html("chat.html.j2", transcript.language, title=title, summary=_summary_lines(transcript),
                       messages=messages)

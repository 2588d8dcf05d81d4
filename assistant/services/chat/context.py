"""Context assembly: what the model is sent for one answer, and a record of it for the user.

The system prompt holds, in this order: the primary context (admin), the user's personal context, the
chat's skill prompt (its agent's, when it has one), the user's preferences (name, language, time zone and
date, units, answer style), their critical/high memories, retrieved document excerpts and the summary of
older turns. The conversation follows: as many recent messages as fit the model's history budget, ending
with the new message. Token counts are offline estimates (:mod:`assistant.services.chat.tokens`).

Memories and excerpts come from :class:`ContextSources`, which the memory and document features fill
in; without them those sections are simply absent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from assistant.core.i18n import LANGUAGE_NAMES
from assistant.models import Chat, ContextScope, Message, Skill, User
from assistant.services.agents.availability import AgentSetup
from assistant.services.chat.context_files import read_context
from assistant.services.chat.tokens import estimate_message_tokens, estimate_tokens
from assistant.services.llm.base import ChatMessage, ModelTier
from assistant.services.llm.events import ToolCall
from assistant.services.tools.spec import ToolSpec, to_openai

#: The most history tokens sent with one answer, whatever the model's window: tens of recent exchanges,
#: older ones reach the model through the chat's summary. More costs money and time on every answer
#: (the SDKs alone spend ~0.15 ms per message preparing a request).
HISTORY_TOKEN_CEILING = 8_000
#: Messages read per query while filling the history budget from the newest backwards.
HISTORY_BATCH = 100
#: The columns history needs (rows carry them as attributes, like a ``Message``); the stored context
#: and citations of old answers are never read back.
HISTORY_COLUMNS = (col(Message.seq), col(Message.role), col(Message.content), col(Message.tool_calls),
                   col(Message.tool_call_id), col(Message.is_error))


class HistoryRow(Protocol):
    """A stored message as history reads it: the attributes :data:`HISTORY_COLUMNS` select."""

    @property
    def seq(self) -> int | None: ...
    @property
    def role(self) -> str: ...
    @property
    def content(self) -> str: ...
    @property
    def tool_calls(self) -> list[dict[str, Any]]: ...
    @property
    def tool_call_id(self) -> str | None: ...
    @property
    def is_error(self) -> bool: ...


@dataclass(frozen=True)
class Excerpt:
    """A retrieved passage of one of the user's documents. ``page`` counts from 1 (None: no pages)."""

    document_id: str
    title: str
    page: int | None
    chunk_id: str
    score: float
    text: str


@dataclass(frozen=True)
class MemoryNote:
    """A remembered fact about the user as the context shows it: its id (the model names it to update or
    forget the fact), ``importance`` (``critical`` ... ``low``) and ``category``."""

    id: str
    text: str
    importance: str
    category: str


@dataclass(frozen=True)
class ContextSources:
    """Where memories and excerpts come from: ``memories(session, user, query)`` and
    ``excerpts(session, user, query)``; None leaves the section out. ``excerpts`` returns None when the
    user has nothing to search, and ``[]`` when nothing matches (the system prompt then says so)."""

    memories: Callable[[Session, User, str], list[MemoryNote]] | None = None
    excerpts: Callable[[Session, User, str], list[Excerpt] | None] | None = None


@dataclass(frozen=True)
class Section:
    """One part of what the assistant saw. ``kind``: ``primary``, ``personal``, ``skill``,
    ``preferences``, ``memories``, ``excerpts``, ``summary``, ``history`` (``content`` then says how
    many messages) or ``message``; ``title`` names the skill for ``skill``."""

    kind: str
    tokens: int
    content: str
    title: str = ""


@dataclass
class AssembledContext:
    """The request for one answer.

    ``system``: the system prompt; ``messages``: history oldest first, ending with the new message;
    ``sections``: the record shown as "what the assistant saw"; ``excerpts``: the passages offered
    (None: the user has no documents to search; ``[]``: none matched); ``omitted_until_seq``: the newest
    message left out for the budget (0: none), the end of the span a summary should cover.
    """

    system: str
    messages: list[ChatMessage]
    sections: list[Section]
    excerpts: list[Excerpt] | None = None
    omitted_until_seq: int = 0

    @property
    def tokens(self) -> int:
        """Estimated prompt tokens (system and messages)."""
        return sum(section.tokens for section in self.sections)

    def record(self) -> list[dict[str, Any]]:
        """The sections as JSON-ready dicts (stored with the answer)."""
        return [asdict(section) for section in self.sections]


SYSTEM_HEADINGS = {
    "primary": "Instructions from the administrator",
    "personal": "What the user wants you to know about them",
    "skill": "Skill",
    "preferences": "The user",
    "memories": "Remembered facts about the user",
    "excerpts": "Excerpts from the user's documents (cite them as [n])",
    "summary": "Summary of the earlier conversation",
}


#: The excerpts section when the user's documents were searched and nothing matched.
NO_MATCHING_EXCERPTS = ("No passage of the user's documents matches this message. If it asks about their "
                        "documents, say plainly that the documents do not cover it; never make up their content.")


#: The units line of the preferences, by ``User.units``.
UNIT_LINES = {
    "metric": "Use metric units (kg, cm, °C, mmol/L)",
    "imperial": "Use imperial units (lb, in, °F)",
}
#: The answer style line, by ``User.answer_style`` (``default`` adds none).
STYLE_LINES = {
    "concise": "Answer concisely: the answer first, in a few sentences, no preamble; details only when asked.",
    "detailed": "Answer in detail: explain the reasoning, the options and what to watch for; "
                "structure long answers with headings or lists.",
}


def _preferences(user: User, now: datetime) -> str:
    """The "The user" section: the name to address them by, language, time zone and today's local date,
    units and, unless ``default``, the answer style."""
    local = now.astimezone(ZoneInfo(user.timezone)) if user.timezone else now
    language = LANGUAGE_NAMES.get(user.language, user.language)
    lines = [
        f"Name: {user.preferred_name or user.display_name}",
        f"Preferred language: {language} (answer in it unless the user writes in another)",
        f"Time zone: {user.timezone}; today is {local.strftime('%A, %Y-%m-%d')}",
        f"{UNIT_LINES.get(user.units, UNIT_LINES['metric'])}; keep lab values in the units the document gives",
    ]
    if user.answer_style in STYLE_LINES:
        lines.append(STYLE_LINES[user.answer_style])
    return "\n".join(lines)


def format_excerpts(excerpts: list[Excerpt]) -> str:
    """Numbered passages, ``[1] Title, p. 3: text``, as the model and offline answers show them."""
    lines = []
    for number, excerpt in enumerate(excerpts, start=1):
        where = f"{excerpt.title}, p. {excerpt.page}" if excerpt.page is not None else excerpt.title
        lines.append(f"[{number}] {where}: {excerpt.text}")
    return "\n\n".join(lines)


def _to_messages(rows: list[HistoryRow]) -> list[ChatMessage]:
    """Provider-neutral messages from stored ones (oldest first), dropping what a provider would
    refuse: empty answers, system rows, tool calls without results and results without calls."""
    answered = {row.tool_call_id for row in rows if row.role == "tool"}
    offered: set[str] = set()
    out: list[ChatMessage] = []
    for row in rows:
        if row.role == "user":
            out.append(ChatMessage(role="user", content=row.content))
        elif row.role == "assistant":
            calls = tuple(ToolCall(id=call["id"], name=call["name"], arguments=call.get("arguments") or {})
                          for call in row.tool_calls if call.get("id") in answered)
            offered.update(call.id for call in calls)
            if row.content or calls:
                out.append(ChatMessage(role="assistant", content=row.content, tool_calls=calls))
        elif row.role == "tool" and row.tool_call_id in offered:
            out.append(ChatMessage(role="tool", content=row.content, tool_call_id=row.tool_call_id,
                                   is_error=row.is_error))
    return out


def _tokens(row: HistoryRow) -> int:
    """Estimated tokens of a stored message as sent: its text and its tool calls."""
    calls = estimate_tokens(json.dumps(row.tool_calls)) if row.tool_calls else 0
    return estimate_message_tokens(row.content) + calls


def _history(session: Session, chat: Chat, budget: int) -> tuple[list[HistoryRow], int]:
    """The newest messages of ``chat`` after its summary that fit ``budget`` tokens, oldest first,
    starting at a user message, and the seq of the newest message left out (0: none).

    The newest message (the one being answered) is always included.
    """
    kept: list[HistoryRow] = []
    used = 0
    before: int | None = None
    omitted = 0
    while True:
        query = select(*HISTORY_COLUMNS).where(col(Message.chat_id) == chat.id,
                                               col(Message.seq) > chat.summary_until_seq)
        if before is not None:
            query = query.where(col(Message.seq) < before)
        batch: list[HistoryRow] = list(session.execute(query.order_by(col(Message.seq).desc()).limit(HISTORY_BATCH)))
        for row in batch:
            cost = _tokens(row)
            if kept and used + cost > budget:
                omitted = row.seq or 0
                break
            kept.append(row)
            used += cost
        else:
            if len(batch) == HISTORY_BATCH:
                before = batch[-1].seq
                continue
        break
    kept.reverse()
    while len(kept) > 1 and kept[0].role != "user":
        omitted = kept[0].seq or omitted
        kept.pop(0)
    return kept, omitted


def assemble_context(*, session: Session, user: User, chat: Chat, tier: ModelTier, query: str,
                     tools: list[ToolSpec] | None = None, sources: ContextSources | None = None,
                     now: datetime, agent: AgentSetup | None = None) -> AssembledContext:
    """Build the request for the answer to the chat's newest message (already stored).

    Args:
        tier: the model answering; its ``context_window`` minus ``max_tokens``, the system prompt and the
            tool definitions (and at most :data:`HISTORY_TOKEN_CEILING`) is the history budget.
        query: the user's newest message, used to retrieve excerpts.
        tools: the tools offered (their definitions use tokens too).
        now: the current time (for the date in the preferences).
        agent: the chat's agent; its skill is the skill section instead of the chat's (none when it has none).

    Returns:
        The assembled context; see :class:`AssembledContext`.
    """
    sources = sources or ContextSources()
    parts: list[Section] = []
    primary = read_context(session=session, user=user, scope=ContextScope.PRIMARY)
    if primary.strip():
        parts.append(Section("primary", estimate_tokens(primary), primary))
    personal = read_context(session=session, user=user, scope=ContextScope.PERSONAL)
    if personal.strip():
        parts.append(Section("personal", estimate_tokens(personal), personal))
    if agent is not None:
        skill = agent.skill
    else:
        skill = session.get(Skill, chat.skill_id) if chat.skill_id else None
        if skill is not None and not (skill.is_active and skill.owner_id in (None, user.id)):
            skill = None
    if skill is not None:
        parts.append(Section("skill", estimate_tokens(skill.system_prompt), skill.system_prompt, title=skill.name))
    preferences = _preferences(user, now)
    parts.append(Section("preferences", estimate_tokens(preferences), preferences))
    memories = sources.memories(session, user, query) if sources.memories else []
    if memories:
        text = "\n".join(f"- [{note.id}] ({note.importance}, {note.category}) {note.text}" for note in memories)
        parts.append(Section("memories", estimate_tokens(text), text))
    excerpts = sources.excerpts(session, user, query) if sources.excerpts else None
    if excerpts is not None:
        text = format_excerpts(excerpts) if excerpts else NO_MATCHING_EXCERPTS
        parts.append(Section("excerpts", estimate_tokens(text), text))
    if chat.summary and chat.summary_until_seq:
        parts.append(Section("summary", estimate_tokens(chat.summary), chat.summary))

    system = "\n\n".join(f"## {SYSTEM_HEADINGS[part.kind]}" + (f": {part.title}" if part.title else "")
                         + f"\n{part.content}" for part in parts)
    tool_tokens = estimate_tokens(json.dumps([to_openai(tool) for tool in tools or []]))
    budget = min(HISTORY_TOKEN_CEILING,
                 tier.context_window - tier.max_tokens - estimate_tokens(system) - tool_tokens)
    rows, omitted = _history(session, chat, max(budget, 0))
    messages = _to_messages(rows)

    sections = list(parts)
    earlier, newest = rows[:-1], rows[-1:]
    if earlier:
        tokens = sum(_tokens(row) for row in earlier)
        sections.append(Section("history", tokens, str(len(earlier))))
    if newest:
        sections.append(Section("message", estimate_message_tokens(newest[0].content), newest[0].content))
    return AssembledContext(system=system, messages=messages, sections=sections, excerpts=excerpts,
                            omitted_until_seq=omitted)

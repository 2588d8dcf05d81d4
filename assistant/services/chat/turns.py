"""Answering one turn of a chat: store the user's message, assemble the context, stream the model's
answer (running its tool calls, at most :data:`MAX_TOOL_ROUNDS` rounds), store the answer, and title
the chat after its first exchange.

:func:`run_turn` is an async generator of :data:`TurnEvent`; the UI, the REST API and the
OpenAI-compatible endpoint all consume it. Closing it early (the user pressed stop) keeps what arrived
as an incomplete answer. A provider fault never loses the user's message nor the partial answer: the
answer is marked incomplete (or error when nothing arrived) with a translated reason.

With no provider configured for the chat's tier (offline mode) the answer is built without a model
from the retrieved excerpts, and says plainly that no language model is configured.

A chat with an agent (:mod:`assistant.services.agents`) answers with the agent's skill, tier, tools and
collections; when the user may no longer use the agent, the turn is refused before anything is stored.

Passages are numbered for citation per turn (:mod:`assistant.services.chat.citations`): the excerpts of
the context first, then what ``search_documents`` returns; the final answer stores the ones it cites.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from sqlmodel import Session, col, delete, select

from assistant.core.config import Settings, get_settings
from assistant.core.db import in_session, session_scope
from assistant.core.errors import InvalidInput, NotFound
from assistant.core.i18n import translate
from assistant.models import Message, MessageStatus, User
from assistant.models.base import utcnow
from assistant.services.agents.availability import agent_setup
from assistant.services.chat.chats import MessageView, get_chat
from assistant.services.chat.citations import SourceLedger
from assistant.services.chat.context import (
    AssembledContext,
    ContextSources,
    Excerpt,
    assemble_context,
    format_excerpts,
)
from assistant.services.chat.sources import product_sources
from assistant.services.chat.turn_events import (
    TOOL_RESULT_PREVIEW,
    AnswerDelta,
    TitleChanged,
    ToolActivity,
    TurnEvent,
    TurnFinished,
    TurnMode,
    TurnStarted,
)
from assistant.services.chat.upkeep import SUMMARY_EVERY, newly_omitted, summarise, write_title
from assistant.services.llm.base import ChatMessage, LLMProvider, ModelTier
from assistant.services.llm.events import Done, Error, TextDelta, ToolCall, Usage
from assistant.services.llm.tiers import get_tier, provider_for
from assistant.services.tools.builtin import builtin_registry
from assistant.services.tools.registry import ToolContext, ToolRegistry

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_MESSAGE_CHARS = 32_000
MAX_TOOL_ROUNDS = 8

def _db_now(work: Callable[[Session], T]) -> T:
    with session_scope() as session:
        return work(session)


def validate_text(text: str) -> str:
    """The message as stored (surrounding whitespace removed).

    Raises:
        InvalidInput: ``chat.empty_message``, or ``chat.message_too_long`` over :data:`MAX_MESSAGE_CHARS`.
    """
    text = text.strip()
    if not text:
        raise InvalidInput("chat.empty_message")
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidInput("chat.message_too_long", limit=MAX_MESSAGE_CHARS)
    return text


@dataclass
class _Prepared:
    user_message: MessageView
    answer_id: uuid.UUID
    removed_after_seq: int | None
    tier_name: str
    tier: ModelTier
    context: AssembledContext
    timezone: str
    language: str
    needs_title: bool
    first_text: str
    summary_from: int
    registry: ToolRegistry
    collections: frozenset[uuid.UUID] | None


@dataclass
class _Answer:
    """The answer message being written (one per model round)."""

    id: uuid.UUID
    text: str = ""
    calls: list[ToolCall] = field(default_factory=list)


def _prepare(session: Session, *, user_id: uuid.UUID, chat_id: uuid.UUID, mode: TurnMode, text: str | None,
             sources: ContextSources | None, registry: ToolRegistry, settings: Settings) -> _Prepared:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound("chat.not_found")
    chat = get_chat(session=session, user=user, chat_id=chat_id, lock=True)
    agent = agent_setup(session=session, user=user, agent_id=chat.agent_id) if chat.agent_id else None
    if agent is not None:
        registry = registry.subset(agent.tools)
    collections = agent.collections if agent is not None else None
    tier_name = (agent.tier if agent is not None else None) or chat.tier
    last_user = session.exec(
        select(Message).where(Message.chat_id == chat.id, Message.role == "user")
        .order_by(col(Message.seq).desc()).limit(1)
    ).first()
    removed_after: int | None = None
    if mode == "send":
        message = Message(chat_id=chat.id, role="user", content=validate_text(text or ""))
        session.add(message)
        session.flush()
        session.refresh(message)
    else:
        if last_user is None:
            raise InvalidInput("chat.nothing_to_regenerate")
        message = last_user
        if mode == "edit":
            message.content = validate_text(text or "")
            session.add(message)
        removed_after = message.seq
        session.execute(delete(Message).where(col(Message.chat_id) == chat.id, col(Message.seq) > message.seq))
        session.flush()

    tier = get_tier(session=session, name=tier_name)
    if agent is not None and agent.provider is not None:
        tier = dataclasses.replace(tier, provider=agent.provider, model=agent.model)
    context = assemble_context(session=session, user=user, chat=chat, tier=tier, query=message.content,
                               tools=registry.specs(), sources=sources or product_sources(collections),
                               now=utcnow(), agent=agent)
    answer = Message(chat_id=chat.id, role="assistant", status=MessageStatus.INCOMPLETE.value,
                     provider=tier.provider, model=tier.model, tier=tier_name, context=context.record())
    session.add(answer)
    chat.updated_at = utcnow()
    session.add(chat)
    session.flush()
    return _Prepared(
        user_message=MessageView.of(message), answer_id=answer.id, removed_after_seq=removed_after,
        tier_name=tier_name, tier=tier,
        context=context, timezone=user.timezone, language=user.language,
        needs_title=chat.title_is_auto and not chat.title, first_text=message.content,
        summary_from=chat.summary_until_seq, registry=registry, collections=collections,
    )


def _store_answer(session: Session, answer: _Answer, *, status: str, error_code: str = "",
                  usage: Usage | None = None, started: float, citations: list[dict[str, Any]] | None = None,
                  offline: bool = False) -> None:
    row = session.get(Message, answer.id)
    if row is None:  # the chat was deleted meanwhile
        return
    if offline:  # no model wrote this answer
        row.provider = row.model = ""
    row.content = answer.text
    row.tool_calls = [{"id": call.id, "name": call.name, "arguments": call.arguments} for call in answer.calls]
    row.status = status
    row.error_code = error_code
    row.latency_ms = int((time.monotonic() - started) * 1000)
    if usage is not None:
        row.input_tokens, row.output_tokens = usage.input_tokens, usage.output_tokens
    if citations is not None:
        row.citations = citations
    session.add(row)


def _store_round(session: Session, answer: _Answer, results: list[ChatMessage], *, usage: Usage | None,
                 started: float, chat_id: uuid.UUID, tier_name: str, tier: ModelTier) -> uuid.UUID:
    """Close a tool-calling round: the answer with its calls, one tool message per result, and a new
    answer row for the next round. Returns the new row's id."""
    _store_answer(session, answer, status=MessageStatus.COMPLETE.value, usage=usage, started=started)
    for result in results:
        session.add(Message(chat_id=chat_id, role="tool", content=result.content,
                            tool_call_id=result.tool_call_id, is_error=result.is_error))
        session.flush()
    following = Message(chat_id=chat_id, role="assistant", status=MessageStatus.INCOMPLETE.value,
                        provider=tier.provider, model=tier.model, tier=tier_name)
    session.add(following)
    session.flush()
    return following.id


def offline_answer(language: str, excerpts: list[Excerpt] | None) -> str:
    """The answer without a language model, always saying that no model is configured and how to add one:
    the retrieved passages numbered for citation; or, first, a plain statement that the user's documents
    do not cover the question (``[]``) or that they have no documents to search (None)."""
    no_model = translate("chat.offline.no_model", language)
    if excerpts:
        parts = [no_model, translate("chat.offline.passages", language), format_excerpts(excerpts)]
    elif excerpts is None:
        parts = [translate("chat.offline.no_documents", language), no_model]
    else:
        parts = [translate("chat.offline.nothing_found", language), no_model]
    parts.append(translate("chat.offline.how_to_configure", language))
    return "\n\n".join(parts)


async def run_turn(*, user_id: uuid.UUID, chat_id: uuid.UUID, mode: TurnMode = "send", text: str | None = None,
                   sources: ContextSources | None = None, registry: ToolRegistry | None = None,
                   settings: Settings | None = None) -> AsyncGenerator[TurnEvent, None]:
    """Answer the chat's newest user message and yield what happens, as it happens.

    Args:
        user_id: the signed-in user (already authenticated by the caller); only their chat is touched.
        mode: ``send`` stores ``text`` as a new message; ``regenerate`` answers the last user message
            again (its old answer is removed); ``edit`` replaces the last user message with ``text``
            and answers it again.
        sources: memories and excerpts for the context and the offline answer (default: the user's
            documents, :func:`assistant.services.chat.sources.product_sources`, limited to the collections of
            the chat's agent when it has any).
        registry: the tools offered (default: the built-in ones); the chat's agent may offer fewer.
        settings: provider credentials (default: the process settings).

    Yields:
        ``TurnStarted``; then ``AnswerDelta`` and ``ToolActivity`` as they come; ``TurnFinished``; then
        ``TitleChanged`` after the first exchange of a chat that has no title of the user's own.

    Raises:
        NotFound: ``chat.not_found`` (missing or another user's chat).
        InvalidInput: ``chat.empty_message``, ``chat.message_too_long``, ``chat.nothing_to_regenerate``;
            raised before anything is stored.
        Conflict: ``agents.unavailable`` when the user may no longer use the chat's agent (see
            :func:`assistant.services.agents.availability.agent_setup`); raised before anything is stored.
    """
    registry = registry or builtin_registry()
    settings = settings or get_settings()
    started = time.monotonic()
    prepared = await in_session(partial(_prepare, user_id=user_id, chat_id=chat_id, mode=mode, text=text,
                                        sources=sources, registry=registry, settings=settings))
    provider = await asyncio.to_thread(provider_for, prepared.tier, settings)  # a stored provider is read
    answer = _Answer(prepared.answer_id)
    ledger = SourceLedger(prepared.context.excerpts or ())
    finished = False
    answered = False  # the model produced a whole answer (so it may also write the title)
    try:
        yield TurnStarted(prepared.user_message, prepared.answer_id, prepared.removed_after_seq, provider is None)
        if provider is None:
            answer.text = offline_answer(prepared.language, prepared.context.excerpts)
            yield AnswerDelta(answer.text)
            await in_session(lambda s: _store_answer(s, answer, status=MessageStatus.COMPLETE.value, started=started,
                                              citations=ledger.citations(), offline=True))
            finished = True
            yield TurnFinished(MessageStatus.COMPLETE.value)
        else:
            # closed with this generator, so a stop closes the model's stream at once
            async with contextlib.aclosing(_answer_with_model(provider, prepared, answer, ledger, chat_id,
                                                              user_id, started)) as events:
                async for event in events:
                    if isinstance(event, TurnFinished):
                        finished = True
                        answered = event.status == MessageStatus.COMPLETE.value
                    yield event
        if finished and prepared.needs_title:
            title = await write_title(provider if answered else None, prepared.tier, chat_id=chat_id, user_id=user_id,
                                      question=prepared.first_text, answer=answer.text)
            if title:
                yield TitleChanged(title)
        until = prepared.context.omitted_until_seq
        if (answered and provider is not None
                and await newly_omitted(chat_id, prepared.summary_from, until) >= SUMMARY_EVERY):
            await summarise(provider, prepared.tier, chat_id=chat_id, summary_from=prepared.summary_from, until=until)
    finally:
        if not finished:  # stopped by the user, or the consumer went away: keep what arrived
            _db_now(lambda s: _store_answer(s, answer, status=MessageStatus.INCOMPLETE.value,
                                            error_code="chat.stopped", started=started))
        if provider is not None:
            with contextlib.suppress(Exception):
                await provider.aclose()


async def _answer_with_model(provider: LLMProvider, prepared: _Prepared, answer: _Answer, ledger: SourceLedger,
                             chat_id: uuid.UUID, user_id: uuid.UUID, started: float) -> AsyncGenerator[TurnEvent, None]:
    tier, registry = prepared.tier, prepared.registry
    messages = list(prepared.context.messages)
    tool_context = ToolContext(user_id=user_id, timezone=prepared.timezone, sources=ledger, chat_id=chat_id,
                               message_id=prepared.user_message.id, collections=prepared.collections)
    total_in = total_out = 0
    for round_number in range(1, MAX_TOOL_ROUNDS + 1):
        usage: Usage | None = None
        stop_reason = ""
        failure: Error | None = None
        async with contextlib.aclosing(provider.stream(
            messages=messages, tools=registry.specs(), model=tier.model, max_tokens=tier.max_tokens,
            temperature=tier.temperature, system=prepared.context.system or None,
        )) as stream:
            async for event in stream:
                if isinstance(event, TextDelta):
                    answer.text += event.text
                    yield AnswerDelta(event.text)
                elif isinstance(event, ToolCall):
                    answer.calls.append(event)
                elif isinstance(event, Usage):
                    usage = event
                    total_in += event.input_tokens
                    total_out += event.output_tokens
                elif isinstance(event, Done):
                    stop_reason = event.stop_reason
                elif isinstance(event, Error):
                    failure = event
        if failure is not None:
            status = MessageStatus.INCOMPLETE.value if answer.text else MessageStatus.ERROR.value
            answer.calls = []
            await in_session(partial(_store_answer, answer=answer, status=status, error_code=failure.code, usage=usage,
                                     started=started, citations=ledger.cited_by(answer.text)))
            yield TurnFinished(status, failure.code, failure.retryable, total_in, total_out)
            return
        if not answer.calls:
            status = MessageStatus.INCOMPLETE.value if stop_reason == "max_tokens" else MessageStatus.COMPLETE.value
            code = "chat.answer_cut" if stop_reason == "max_tokens" else ""
            await in_session(partial(_store_answer, answer=answer, status=status, error_code=code, usage=usage,
                                     started=started, citations=ledger.cited_by(answer.text)))
            yield TurnFinished(status, code, False, total_in, total_out)
            return
        if round_number == MAX_TOOL_ROUNDS:
            answer.calls = []
            await in_session(partial(_store_answer, answer=answer, status=MessageStatus.INCOMPLETE.value,
                                     error_code="chat.too_many_tool_rounds", usage=usage, started=started))
            yield TurnFinished(MessageStatus.INCOMPLETE.value, "chat.too_many_tool_rounds", False, total_in, total_out)
            return
        results: list[ChatMessage] = []
        for call in answer.calls:
            result = await registry.run(call, context=tool_context)
            results.append(result.as_message())
            yield ToolActivity(call.id, call.name, call.arguments, result.content[:TOOL_RESULT_PREVIEW],
                               result.is_error)
        messages.append(ChatMessage(role="assistant", content=answer.text, tool_calls=tuple(answer.calls)))
        messages.extend(results)
        next_id = await in_session(partial(_store_round, answer=answer, results=results, usage=usage, started=started,
                                           chat_id=chat_id, tier_name=prepared.tier_name, tier=tier))
        answer.id, answer.text, answer.calls = next_id, "", []

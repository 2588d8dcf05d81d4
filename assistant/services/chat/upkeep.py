"""Keeping a chat in order after an answer: its automatic title (written by the model, else the first
line of the question) and the summary of the older turns that no longer fit the history budget."""

from __future__ import annotations

import contextlib
import uuid

from sqlalchemy import func
from sqlmodel import Session, col, select

from assistant.core.db import in_session
from assistant.models import Chat, Message
from assistant.services.chat.tokens import estimate_message_tokens
from assistant.services.llm.base import ChatMessage, LLMProvider, ModelTier
from assistant.services.llm.events import Error, TextDelta

#: Characters of the first message used as a title when no model writes one.
TITLE_FALLBACK_CHARS = 60
#: Tokens of older messages condensed into a chat's summary at once.
SUMMARY_INPUT_TOKENS = 6_000
#: Messages that must have dropped out of the history budget, beyond the summary, before it is redone.
SUMMARY_EVERY = 20


def fallback_title(text: str) -> str:
    """The first line of ``text``, cut at a word boundary to :data:`TITLE_FALLBACK_CHARS` characters."""
    line = " ".join(text.strip().split("\n", 1)[0].split())
    if len(line) <= TITLE_FALLBACK_CHARS:
        return line
    cut = line[:TITLE_FALLBACK_CHARS].rsplit(" ", 1)[0] or line[:TITLE_FALLBACK_CHARS]
    return cut + "…"


async def complete(provider: LLMProvider, tier: ModelTier, system: str, messages: list[ChatMessage],
                    max_tokens: int) -> str | None:
    """The whole text of a short non-tool answer, or None when the provider failed."""
    text: list[str] = []
    async with contextlib.aclosing(provider.stream(messages=messages, tools=[], model=tier.model,
                                                   max_tokens=max_tokens, temperature=tier.temperature,
                                                   system=system)) as stream:
        async for event in stream:
            if isinstance(event, TextDelta):
                text.append(event.text)
            elif isinstance(event, Error):
                return None
    return "".join(text).strip()


async def write_title(provider: LLMProvider | None, tier: ModelTier, *, chat_id: uuid.UUID, user_id: uuid.UUID,
                      question: str, answer: str) -> str | None:
    """Title ``user_id``'s chat from its first exchange, unless the user named it meanwhile: by the model
    when ``provider`` is given and answers, else :func:`fallback_title`. Returns the stored title or None."""
    title = None
    if provider is not None:
        asked = await complete(
            provider, tier,
            "Write a title of at most six words for this conversation, in the language of the user's message. "
            "Reply with the title only, without quotes.",
            [ChatMessage(role="user", content=f"User: {question[:2000]}\n\nAssistant: {answer[:2000]}")],
            max_tokens=30,
        )
        title = (asked or "").strip().strip('"«»').strip()[:200] or None
    title = title or fallback_title(question)

    def store(session: Session) -> str | None:
        chat = session.exec(select(Chat).where(Chat.id == chat_id, Chat.user_id == user_id)).first()
        if chat is None or not chat.title_is_auto:
            return None
        chat.title = title
        session.add(chat)
        return title

    return await in_session(store)


async def newly_omitted(chat_id: uuid.UUID, summary_from: int, until: int) -> int:
    """How many messages of the chat after its summary (``seq > summary_from``) left the history budget
    (``seq <= until``)."""
    if until <= summary_from:
        return 0
    return await in_session(lambda session: session.exec(
        select(func.count()).select_from(Message).where(
            Message.chat_id == chat_id, col(Message.seq) > summary_from, col(Message.seq) <= until)
    ).one())


async def summarise(provider: LLMProvider, tier: ModelTier, *, chat_id: uuid.UUID, summary_from: int,
                    until: int) -> None:
    """Fold the messages after the summary (``seq > summary_from``) up to ``until`` into the chat's
    summary, unless another answer has rewritten it meanwhile; nothing changes when the model fails."""

    def load(session: Session) -> tuple[str, list[Message]]:
        chat = session.get(Chat, chat_id)
        rows = list(session.exec(
            select(Message).where(Message.chat_id == chat_id, col(Message.seq) > summary_from,
                                  col(Message.seq) <= until, col(Message.role).in_(("user", "assistant")))
            .order_by(col(Message.seq).desc()).limit(400)
        ))
        return (chat.summary if chat else ""), rows

    previous, rows = await in_session(load)
    picked, used = [], 0
    for row in rows:
        used += estimate_message_tokens(row.content)
        if used > SUMMARY_INPUT_TOKENS:
            break
        picked.append(f"{row.role}: {row.content}")
    transcript = "\n".join(reversed(picked))
    summary = await complete(
        provider, tier,
        "Summarise this conversation for the assistant's own memory in at most 200 words: facts about the "
        "user, decisions, open questions. Keep names, numbers and dates exact.",
        [ChatMessage(role="user", content=(f"Earlier summary:\n{previous}\n\n" if previous else "")
                     + f"Conversation:\n{transcript}")],
        max_tokens=400,
    )
    if not summary:
        return

    def store(session: Session) -> None:
        chat = session.get(Chat, chat_id)
        if chat is not None and chat.summary_until_seq == summary_from:
            chat.summary, chat.summary_until_seq = summary, until
            session.add(chat)

    await in_session(store)

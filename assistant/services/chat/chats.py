"""Chats and their messages: create, list, search, rename, tier, skill and agent, archive, delete, and pages
of messages. Every function takes the acting user and only ever touches that user's chats: another
user's chat id gives ``NotFound``, exactly like a missing one."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from assistant.core.errors import Conflict, InvalidInput, NotFound
from assistant.models import TIERS, Chat, Message, MessageRole, User
from assistant.models.base import utcnow
from assistant.services.admin.settings import DEFAULT_MAX_CHATS, get_setting
from assistant.services.agents.availability import get_available_agent
from assistant.services.chat.skills import get_usable_skill

MAX_TITLE_CHARS = 200
#: Messages per page when a chat is opened or scrolled back.
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_SEARCH_CHARS = 200
SEARCH_LIMIT = 50


@dataclass(frozen=True)
class ChatSummary:
    """A chat as listed: ``skill_id`` None when no skill is picked; ``agent_id`` None: the default assistant."""

    id: uuid.UUID
    title: str
    tier: str
    skill_id: uuid.UUID | None
    archived: bool
    updated_at: datetime
    agent_id: uuid.UUID | None = None


@dataclass(frozen=True)
class MessageView:
    """A stored message as shown: see :class:`assistant.models.Message` for the fields."""

    id: uuid.UUID
    seq: int
    role: str
    content: str
    status: str
    error_code: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    tool_call_id: str | None = None
    is_error: bool = False
    citations: list[dict[str, Any]] = field(default_factory=list)
    provider: str = ""
    model: str = ""
    tier: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: int = 0
    created_at: datetime | None = None

    @classmethod
    def of(cls, message: Message) -> MessageView:
        assert message.seq is not None
        return cls(
            id=message.id, seq=message.seq, role=message.role, content=message.content, status=message.status,
            error_code=message.error_code, tool_calls=list(message.tool_calls), tool_call_id=message.tool_call_id,
            is_error=message.is_error, citations=list(message.citations), provider=message.provider,
            model=message.model, tier=message.tier, input_tokens=message.input_tokens,
            output_tokens=message.output_tokens, latency_ms=message.latency_ms, created_at=message.created_at,
        )


def tool_result_ids(messages: list[MessageView], tool: str, key: str) -> dict[str, uuid.UUID]:
    """Message id -> the UUID under ``key`` in each stored, successful result of the tool ``tool`` among
    ``messages`` (a result is JSON; results that are errors, or without a valid id, are skipped). The chat's cards
    (a report, a reminder proposal) find the rows their tool calls made with it."""
    names = {call["id"]: call["name"] for message in messages for call in message.tool_calls}
    found = {}
    for message in messages:
        if message.role != MessageRole.TOOL or message.is_error or names.get(message.tool_call_id or "") != tool:
            continue
        try:
            found[str(message.id)] = uuid.UUID(str(json.loads(message.content)[key]))
        except (ValueError, KeyError, TypeError):
            continue
    return found


@dataclass(frozen=True)
class MessagePage:
    """Messages oldest first; ``has_older``: more messages precede ``messages[0]``."""

    messages: list[MessageView]
    has_older: bool


def _summary(chat: Chat) -> ChatSummary:
    return ChatSummary(chat.id, chat.title, chat.tier, chat.skill_id, chat.archived_at is not None, chat.updated_at,
                       chat.agent_id)


def get_chat(*, session: Session, user: User, chat_id: uuid.UUID, lock: bool = False) -> Chat:
    """The chat ``chat_id`` of ``user``.

    Args:
        lock: take a row lock until the transaction ends (serialises turns of one chat).

    Raises:
        NotFound: ``chat.not_found`` when it does not exist or belongs to someone else.
    """
    query = select(Chat).where(Chat.id == chat_id, Chat.user_id == user.id)
    if lock:
        query = query.with_for_update()
    chat = session.exec(query).first()
    if chat is None:
        raise NotFound("chat.not_found")
    return chat


def chat_limit(*, session: Session, user: User) -> int:
    """How many chats ``user`` may keep: their own ``max_chats`` or the admin default."""
    return user.max_chats if user.max_chats is not None else int(get_setting(session=session, key=DEFAULT_MAX_CHATS))


def create_chat(*, session: Session, user: User, title: str = "", tier: str | None = None,
                skill_id: uuid.UUID | None = None, agent_id: uuid.UUID | None = None) -> ChatSummary:
    """Start a new chat. An empty ``title`` is filled from the first exchange later; without a ``tier``
    the chat answers with the user's default tier (``User.default_tier``); with an ``agent_id`` it talks to
    that agent.

    Raises:
        Conflict: ``chat.limit_reached`` when the user already has their limit of chats (archived
            ones count); nothing is deleted to make room.
        InvalidInput: ``chat.bad_tier``, ``chat.title_too_long``.
        NotFound: ``skills.not_found`` for a skill the user may not use; ``agents.not_found`` for an agent
            they may not use (:func:`assistant.services.agents.availability.get_available_agent`).
    """
    # one create at a time; the default tier as stored
    default_tier = session.exec(select(User.default_tier).where(User.id == user.id).with_for_update()).one()
    limit = chat_limit(session=session, user=user)
    count = session.exec(select(func.count()).select_from(Chat).where(Chat.user_id == user.id)).one()
    if count >= limit:
        raise Conflict("chat.limit_reached", limit=limit)
    tier = default_tier if tier is None else tier
    if tier not in TIERS:
        raise InvalidInput("chat.bad_tier")
    title = title.strip()
    if len(title) > MAX_TITLE_CHARS:
        raise InvalidInput("chat.title_too_long", limit=MAX_TITLE_CHARS)
    if skill_id is not None:
        get_usable_skill(session=session, user=user, skill_id=skill_id)
    if agent_id is not None:
        get_available_agent(session=session, user=user, agent_id=agent_id)
    chat = Chat(user_id=user.id, title=title, title_is_auto=not title, tier=tier, skill_id=skill_id,
                agent_id=agent_id)
    session.add(chat)
    session.flush()
    return _summary(chat)


def list_chats(*, session: Session, user: User, archived: bool = False, limit: int = 200) -> list[ChatSummary]:
    """``user``'s chats, most recently active first; archived ones only when ``archived``."""
    query = select(Chat).where(Chat.user_id == user.id)
    query = query.where(col(Chat.archived_at).is_not(None) if archived else col(Chat.archived_at).is_(None))
    return [_summary(chat) for chat in session.exec(query.order_by(col(Chat.updated_at).desc()).limit(limit))]


def search_chats(*, session: Session, user: User, query: str) -> list[ChatSummary]:
    """``user``'s chats (archived too) whose title or any message contains ``query`` (case-insensitive
    substring), most recently active first, at most :data:`SEARCH_LIMIT`.

    Raises:
        InvalidInput: ``chat.search_too_long``.
    """
    query = query.strip()
    if len(query) > MAX_SEARCH_CHARS:
        raise InvalidInput("chat.search_too_long", limit=MAX_SEARCH_CHARS)
    if not query:
        return list_chats(session=session, user=user)
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    in_messages = (
        select(Message.chat_id)
        .where(Message.chat_id == Chat.id, col(Message.content).ilike(pattern, escape="\\"),
               col(Message.role).in_(("user", "assistant")))
        .exists()
    )
    rows = session.exec(
        select(Chat)
        .where(Chat.user_id == user.id, or_(col(Chat.title).ilike(pattern, escape="\\"), in_messages))
        .order_by(col(Chat.updated_at).desc())
        .limit(SEARCH_LIMIT)
    )
    return [_summary(chat) for chat in rows]


def rename_chat(*, session: Session, user: User, chat_id: uuid.UUID, title: str) -> ChatSummary:
    """Give a chat a title of the user's own (it is no longer replaced automatically).

    Raises:
        NotFound: ``chat.not_found``.
        InvalidInput: ``chat.title_empty``, ``chat.title_too_long``.
    """
    chat = get_chat(session=session, user=user, chat_id=chat_id)
    title = title.strip()
    if not title:
        raise InvalidInput("chat.title_empty")
    if len(title) > MAX_TITLE_CHARS:
        raise InvalidInput("chat.title_too_long", limit=MAX_TITLE_CHARS)
    chat.title, chat.title_is_auto = title, False
    session.add(chat)
    session.flush()
    return _summary(chat)


def set_tier(*, session: Session, user: User, chat_id: uuid.UUID, tier: str) -> ChatSummary:
    """Answer the chat's next turns with model tier ``tier``.

    Raises:
        NotFound: ``chat.not_found``.
        InvalidInput: ``chat.bad_tier``.
    """
    chat = get_chat(session=session, user=user, chat_id=chat_id)
    if tier not in TIERS:
        raise InvalidInput("chat.bad_tier")
    chat.tier = tier
    session.add(chat)
    session.flush()
    return _summary(chat)


def set_skill(*, session: Session, user: User, chat_id: uuid.UUID, skill_id: uuid.UUID | None) -> ChatSummary:
    """Use skill ``skill_id`` (None: no skill) for the chat's next turns.

    Raises:
        NotFound: ``chat.not_found``, or ``skills.not_found`` for a skill the user may not use.
    """
    chat = get_chat(session=session, user=user, chat_id=chat_id)
    if skill_id is not None:
        get_usable_skill(session=session, user=user, skill_id=skill_id)
    chat.skill_id = skill_id
    session.add(chat)
    session.flush()
    return _summary(chat)


def set_agent(*, session: Session, user: User, chat_id: uuid.UUID, agent_id: uuid.UUID | None) -> ChatSummary:
    """Talk to agent ``agent_id`` (None: the default assistant, the chat's tier and skill) from the next turn.

    Raises:
        NotFound: ``chat.not_found``, or ``agents.not_found`` for an agent the user may not use
            (:func:`assistant.services.agents.availability.get_available_agent`).
    """
    chat = get_chat(session=session, user=user, chat_id=chat_id)
    if agent_id is not None:
        get_available_agent(session=session, user=user, agent_id=agent_id)
    chat.agent_id = agent_id
    session.add(chat)
    session.flush()
    return _summary(chat)


def set_archived(*, session: Session, user: User, chat_id: uuid.UUID, archived: bool) -> ChatSummary:
    """Archive a chat (hidden from the list, kept, still searchable) or bring it back.

    Raises:
        NotFound: ``chat.not_found``.
    """
    chat = get_chat(session=session, user=user, chat_id=chat_id)
    chat.archived_at = utcnow() if archived else None
    session.add(chat)
    session.flush()
    return _summary(chat)


def delete_chat(*, session: Session, user: User, chat_id: uuid.UUID) -> None:
    """Delete a chat and all its messages for good.

    Raises:
        NotFound: ``chat.not_found``.
    """
    session.delete(get_chat(session=session, user=user, chat_id=chat_id))
    session.flush()


def list_messages(*, session: Session, user: User, chat_id: uuid.UUID, before_seq: int | None = None,
                  limit: int = PAGE_SIZE) -> MessagePage:
    """A page of the chat's messages: the latest ``limit`` ones, or the ``limit`` just before
    ``before_seq`` (scrolling back). One index range scan, so it stays fast at any chat length.

    Raises:
        NotFound: ``chat.not_found``.
    """
    get_chat(session=session, user=user, chat_id=chat_id)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = select(Message).where(Message.chat_id == chat_id)
    if before_seq is not None:
        query = query.where(col(Message.seq) < before_seq)
    rows = list(session.exec(query.order_by(col(Message.seq).desc()).limit(limit + 1)))
    has_older = len(rows) > limit
    return MessagePage([MessageView.of(row) for row in reversed(rows[:limit])], has_older)


def message_seq(*, session: Session, user: User, chat_id: uuid.UUID, message_id: uuid.UUID) -> int | None:
    """Where message ``message_id`` is in the chat (its ``seq``, for paging back to it); None when the
    chat has no such message.

    Raises:
        NotFound: ``chat.not_found``.
    """
    get_chat(session=session, user=user, chat_id=chat_id)
    return session.exec(select(Message.seq).where(Message.chat_id == chat_id, Message.id == message_id)).first()


def get_message_context(*, session: Session, user: User, message_id: uuid.UUID) -> list[dict[str, Any]]:
    """What the assistant saw for answer ``message_id``: sections ``[{kind, title, tokens, content}]``
    in the order they were sent.

    Raises:
        NotFound: ``chat.message_not_found`` for a missing message or one in another user's chat.
    """
    row = session.exec(
        select(Message).join(Chat, col(Chat.id) == Message.chat_id)
        .where(Message.id == message_id, Chat.user_id == user.id)
    ).first()
    if row is None:
        raise NotFound("chat.message_not_found")
    return list(row.context)

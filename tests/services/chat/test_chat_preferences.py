"""The user's preferences in what the assistant is sent: the name to address them by, units and answer
style in the "The user" section of the system prompt."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from assistant.core.db import session_scope
from assistant.models import Chat, Message, User
from assistant.services.auth import profile
from assistant.services.chat import chats
from assistant.services.chat.context import assemble_context
from assistant.services.llm.tiers import get_tier

NOW = datetime(2025, 3, 1, 23, 30, tzinfo=UTC)


def preferences(user: User, chat_id) -> str:
    """The preferences section of the context assembled for the chat's newest message."""
    with session_scope() as session:
        chat = session.get(Chat, chat_id)
        newest = session.exec(
            select(Message).where(Message.chat_id == chat_id).order_by(col(Message.seq).desc()).limit(1)
        ).one()
        context = assemble_context(session=session, user=session.get(User, user.id), chat=chat,
                                   tier=get_tier(session=session, name=chat.tier), query=newest.content, now=NOW)
    [section] = [s for s in context.sections if s.kind == "preferences"]
    assert f"## The user\n{section.content}" in context.system
    return section.content


def test_the_preferences_section_shows_name_units_and_answer_style(make_user, call, add_messages):
    user = make_user(display_name="Alexandra")
    chat = call(chats.create_chat, user=user, title="Weight")
    add_messages(chat.id, [("user", "How much should I weigh?")])

    plain = preferences(user, chat.id)
    assert plain.splitlines() == [
        "Name: Alexandra",
        "Preferred language: English (answer in it unless the user writes in another)",
        "Time zone: UTC; today is Saturday, 2025-03-01",
        "Use metric units (kg, cm, °C, mmol/L); keep lab values in the units the document gives",
    ]  # the default answer style adds no instruction

    call(profile.update_profile, user=user, data={"preferred_name": "Sasha", "units": "imperial",
                                               "answer_style": "concise", "language": "ru",
                                               "timezone": "Europe/Berlin"})
    concise = preferences(user, chat.id)
    assert concise.splitlines()[0] == "Name: Sasha"
    assert "Preferred language: Russian" in concise
    assert "Time zone: Europe/Berlin; today is Sunday, 2025-03-02" in concise
    assert "Use imperial units (lb, in, °F); keep lab values in the units the document gives" in concise
    assert "metric" not in concise
    assert concise.splitlines()[-1].startswith("Answer concisely: ")

    call(profile.update_profile, user=user, data={"answer_style": "detailed", "preferred_name": ""})
    detailed = preferences(user, chat.id)
    assert detailed.splitlines()[0] == "Name: Alexandra"
    assert detailed.splitlines()[-1].startswith("Answer in detail: ")
    assert "concisely" not in detailed

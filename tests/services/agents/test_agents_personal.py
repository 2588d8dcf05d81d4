"""Personal agents: a user's own, invisible to everyone else, only on collections and skills the user may use,
never granted; a chat with one answers on its tier."""

from __future__ import annotations

import pytest
from sqlmodel import select
from support.llm_server import Reply, Turn, openai_events

from assistant.core.db import session_scope
from assistant.core.errors import Forbidden, InvalidInput, NotFound
from assistant.models import Agent, Skill
from assistant.services.agents import editing, grants
from assistant.services.agents.availability import agents_for
from assistant.services.chat import chats
from assistant.services.rag import collections

pytestmark = pytest.mark.anyio


async def test_a_personal_agent_is_its_owners_alone(make_user, call, llm_server, turn):
    owner, other, admin = make_user(), make_user(), make_user(role="admin")
    with session_scope() as session:
        own_skill = Skill(owner_id=owner.id, name="Mine", system_prompt="Answer like a pirate.")
        others_skill = Skill(owner_id=other.id, name="Theirs", system_prompt="Secret.")
        session.add_all([own_skill, others_skill])
    shared = call(collections.create_collection, user=admin, name="Leaflets")

    with pytest.raises(NotFound) as refused:  # a collection the owner may not read
        call(editing.create_agent, user=owner, scope="personal",
             data={"name": "Pirate", "collection_ids": [str(shared.id)]})
    assert refused.value.code == "collections.not_found"
    with pytest.raises(NotFound):  # another user's skill
        call(editing.create_agent, user=owner, scope="personal",
             data={"name": "Pirate", "skill_id": str(others_skill.id)})
    with pytest.raises(InvalidInput) as invalid:
        call(editing.create_agent, user=owner, scope="personal", data={"name": "Pirate", "tools": ["rm_rf"]})
    assert invalid.value.params == {"field": "tools"}
    with session_scope() as session:
        assert session.exec(select(Agent)).first() is None

    agent = call(editing.create_agent, user=owner, scope="personal",
                 data={"name": "Pirate", "icon": "sparkles", "skill_id": str(own_skill.id), "tier": "small",
                       "tools": [], "is_active": False})
    assert agent.is_active and not agent.general  # a personal agent has no off switch
    assert [a.name for a in call(agents_for, user=owner)] == ["Pirate"]
    assert call(agents_for, user=other) == [] and call(agents_for, user=admin) == []
    for attempt in (lambda: call(editing.get_agent, user=other, agent_id=agent.id),
                    lambda: call(editing.update_agent, user=other, agent_id=agent.id, data={"name": "Mine now"}),
                    lambda: call(editing.delete_agent, user=admin, agent_id=agent.id),
                    lambda: call(chats.create_chat, user=other, agent_id=agent.id)):
        with pytest.raises(NotFound):
            attempt()
    with pytest.raises(InvalidInput) as not_grantable:
        call(grants.grant_user, actor=admin, agent_id=agent.id, email=other.email)
    assert not_grantable.value.code == "agents.personal_not_grantable"
    with pytest.raises(Forbidden):
        call(grants.grant_user, actor=owner, agent_id=agent.id, email=other.email)

    chat = call(chats.create_chat, user=owner, title="Arr", tier="large", agent_id=agent.id)
    llm_server.script(Reply(events=openai_events(Turn(text=("Arr!",)))))
    await turn(user=owner, chat_id=chat.id, text="Hello")
    [request] = llm_server.requests
    assert "Answer like a pirate." in request.body["messages"][0]["content"]
    assert "tools" not in request.body  # an empty tool list: none offered
    answer = call(chats.list_messages, user=owner, chat_id=chat.id).messages[-1]
    assert (answer.content, answer.tier) == ("Arr!", "small")  # the agent's tier, not the chat's (large)

    call(editing.delete_agent, user=owner, agent_id=agent.id)
    assert call(chats.get_chat, user=owner, chat_id=chat.id).agent_id is None

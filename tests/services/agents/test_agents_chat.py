"""A general agent granted to a group: a member chats with it (its skill prompt, only its tools and only its
collection's passages reach the model), a non-member neither sees nor picks it, and taking the member out of
the group or the grant away refuses the next turn at once, keeping everything stored."""

from __future__ import annotations

import json

import pytest
from sqlmodel import col, select
from support.llm_server import Reply, ToolUse, Turn, openai_events

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.core.errors import Conflict, NotFound
from assistant.core.i18n import translate
from assistant.models import AuditEntry, Group, GroupMember, Message, Skill
from assistant.services.agents import editing, grants
from assistant.services.agents.availability import agents_for
from assistant.services.chat import chats
from assistant.services.chat.turn_events import AnswerDelta, ToolActivity
from assistant.services.rag import collections

pytestmark = pytest.mark.anyio

SKILL_PROMPT = "You are the clinic's cardiology helper. Quote the leaflet you answer from."
LEAFLET = "Statin leaflet: LDL cholesterol above 4.0 mmol/L is treated with atorvastatin 20 mg daily."
OTHER_LEAFLET = "Diet leaflet: LDL cholesterol falls with oats, beans and less saturated fat."
PRIVATE = "My own lab report: LDL cholesterol 4.6 mmol/L measured in June."


@pytest.fixture
def clinic(make_user, call, document_with):
    """An admin with the collection "Cardiology" (the statin leaflet) and the collection "Diet" (granted to the
    member directly too), a general skill, and the group "Cardiology nurses" holding the member; the member
    also has a private lab report. Returns a namespace of them."""
    admin, member, outsider = make_user(role="admin"), make_user(), make_user()
    cardiology = call(collections.create_collection, user=admin, name="Cardiology")
    diet = call(collections.create_collection, user=admin, name="Diet")
    call(collections.grant, user=admin, collection_id=diet.id, email=member.email)
    document_with(admin, "statins.pdf", [LEAFLET], collection=cardiology)
    document_with(admin, "diet.pdf", [OTHER_LEAFLET], collection=diet)
    document_with(member, "my-lab.pdf", [PRIVATE])
    with session_scope() as session:
        skill = Skill(name="Cardiology", system_prompt=SKILL_PROMPT)
        group = Group(name="Cardiology nurses")
        session.add_all([skill, group])
        session.flush()
        session.add(GroupMember(group_id=group.id, user_id=member.id))

    class Clinic:
        pass

    clinic = Clinic()
    clinic.admin, clinic.member, clinic.outsider = admin, member, outsider
    clinic.cardiology, clinic.diet, clinic.skill, clinic.group = cardiology, diet, skill, group
    return clinic


def make_agent(call, clinic):
    agent = call(editing.create_agent, user=clinic.admin, scope="general", data={
        "name": "Heart helper", "description": "Answers from the cardiology leaflets", "icon": "heart-pulse",
        "skill_id": str(clinic.skill.id), "tier": "medium", "collection_ids": [str(clinic.cardiology.id)],
        "tools": ["search_documents", "get_current_time"]})
    call(grants.grant_group, actor=clinic.admin, agent_id=agent.id, group_id=clinic.group.id)
    return agent


def stored_messages(chat_id) -> list[Message]:
    with session_scope() as session:
        return list(session.exec(select(Message).where(Message.chat_id == chat_id).order_by(col(Message.seq))))


def audit_actions() -> list[str]:
    with session_scope() as session:
        return list(session.exec(select(AuditEntry.action).where(AuditEntry.target_type == "agent")
                                 .order_by(col(AuditEntry.created_at))))


async def test_a_group_member_chats_with_the_agent_on_its_skill_tools_and_collection(call, clinic, llm_server, turn):
    agent = make_agent(call, clinic)

    assert [a.name for a in call(agents_for, user=clinic.member)] == ["Heart helper"]
    assert call(agents_for, user=clinic.outsider) == []
    assert call(agents_for, user=clinic.admin) == []  # the role gives no agent; a grant does

    chat = call(chats.create_chat, user=clinic.member, title="Statins", agent_id=agent.id)
    assert chat.agent_id == agent.id
    llm_server.script(
        Reply(events=openai_events(Turn(tool_calls=(
            ToolUse("call_1", "search_documents", ('{"query": "LDL cholesterol treatment"}',)),)))),
        Reply(events=openai_events(Turn(text=("Atorvastatin 20 mg daily [1].",)))),
    )

    events = await turn(user=clinic.member, chat_id=chat.id, text="What is done about high LDL cholesterol?")

    assert "".join(e.text for e in events if isinstance(e, AnswerDelta)) == "Atorvastatin 20 mg daily [1]."
    first, second = (request.body for request in llm_server.requests)
    system = first["messages"][0]["content"]
    assert first["messages"][0]["role"] == "system"
    assert SKILL_PROMPT in system
    assert sorted(tool["function"]["name"] for tool in first["tools"]) == ["get_current_time", "search_documents"]
    assert "atorvastatin 20 mg" in system
    assert "oats" not in system and "4.6 mmol/L" not in system  # the member's other collection and own file
    [activity] = [e for e in events if isinstance(e, ToolActivity)]
    result = json.loads(next(m["content"] for m in second["messages"] if m["role"] == "tool"))
    assert not activity.is_error
    assert [r["document"] for r in result["results"]] == ["statins.pdf"]

    # Without an agent the same question searches everything the member may read.
    plain = call(chats.create_chat, user=clinic.member, title="Plain")
    llm_server.script(Reply(events=openai_events(Turn(text=("Here.",)))))
    await turn(user=clinic.member, chat_id=plain.id, text="What is done about high LDL cholesterol?")
    default_system = llm_server.requests[-1].body["messages"][0]["content"]
    assert SKILL_PROMPT not in default_system
    assert len(llm_server.requests[-1].body["tools"]) > 2



async def test_once_its_collections_are_deleted_the_agent_searches_nothing_until_others_are_chosen(
        call, clinic, llm_server, turn):
    agent = make_agent(call, clinic)
    chat = call(chats.create_chat, user=clinic.member, title="Statins", agent_id=agent.id)
    call(collections.delete_collection, user=clinic.admin, collection_id=clinic.cardiology.id,
         settings=get_settings())
    assert call(editing.get_agent, user=clinic.admin, agent_id=agent.id).collections_gone

    llm_server.script(Reply(events=openai_events(Turn(text=("Nothing found.",)))))
    await turn(user=clinic.member, chat_id=chat.id, text="What is done about high LDL cholesterol?")
    system = llm_server.requests[-1].body["messages"][0]["content"]
    assert SKILL_PROMPT in system
    # neither the deleted leaflet nor what else the member may read: the agent was never meant to search those
    assert "atorvastatin" not in system and "oats" not in system and "4.6 mmol/L" not in system

    # Saved with no collection, it searches everything the member may read, as the editor says.
    call(editing.update_agent, user=clinic.admin, agent_id=agent.id, data={
        "name": "Heart helper", "icon": "heart-pulse", "skill_id": str(clinic.skill.id), "tier": "medium",
        "collection_ids": [], "tools": ["search_documents", "get_current_time"]})
    assert not call(editing.get_agent, user=clinic.admin, agent_id=agent.id).collections_gone
    llm_server.script(Reply(events=openai_events(Turn(text=("Oats.",)))))
    await turn(user=clinic.member, chat_id=chat.id, text="What lowers LDL cholesterol?")
    assert "oats" in llm_server.requests[-1].body["messages"][0]["content"]


async def test_a_non_member_can_neither_see_nor_pick_the_agent(call, clinic):
    agent = make_agent(call, clinic)
    chat = call(chats.create_chat, user=clinic.outsider, title="Mine")

    with pytest.raises(NotFound) as refused:
        call(chats.set_agent, user=clinic.outsider, chat_id=chat.id, agent_id=agent.id)
    assert refused.value.code == "agents.not_found"
    with pytest.raises(NotFound):
        call(chats.create_chat, user=clinic.outsider, agent_id=agent.id)
    assert call(chats.get_chat, user=clinic.outsider, chat_id=chat.id).agent_id is None
    assert len(call(chats.list_chats, user=clinic.outsider)) == 1


async def test_leaving_the_group_or_losing_the_grant_refuses_the_next_turn_at_once(call, clinic, llm_server, turn):
    agent = make_agent(call, clinic)
    chat = call(chats.create_chat, user=clinic.member, title="Statins", agent_id=agent.id)
    llm_server.script(Reply(events=openai_events(Turn(text=("First answer.",)))))
    await turn(user=clinic.member, chat_id=chat.id, text="Hello")
    before = [(m.role, m.content) for m in stored_messages(chat.id)]

    with session_scope() as session:
        session.delete(session.get(GroupMember, (clinic.group.id, clinic.member.id)))
    with pytest.raises(Conflict) as refused:
        await turn(user=clinic.member, chat_id=chat.id, text="And now?")
    assert refused.value.code == "agents.unavailable"
    assert translate(refused.value.code, "en", **refused.value.params).count("Heart helper") == 1
    assert [(m.role, m.content) for m in stored_messages(chat.id)] == before
    assert call(agents_for, user=clinic.member) == []

    with session_scope() as session:  # back in the group: the agent answers again
        session.add(GroupMember(group_id=clinic.group.id, user_id=clinic.member.id))
    llm_server.script(Reply(events=openai_events(Turn(text=("Second answer.",)))))
    await turn(user=clinic.member, chat_id=chat.id, text="Back?")
    assert stored_messages(chat.id)[-1].content == "Second answer."

    assert call(grants.revoke_group, actor=clinic.admin, agent_id=agent.id, group_id=clinic.group.id) is True
    with pytest.raises(Conflict):
        await turn(user=clinic.member, chat_id=chat.id, text="Still there?")
    assert len(stored_messages(chat.id)) == 4
    assert len(llm_server.requests) == 2

    call(chats.set_agent, user=clinic.member, chat_id=chat.id, agent_id=None)  # the default assistant answers
    llm_server.script(Reply(events=openai_events(Turn(text=("Default answer.",)))))
    await turn(user=clinic.member, chat_id=chat.id, text="Anyone?")
    assert stored_messages(chat.id)[-1].content == "Default answer."


async def test_only_admins_manage_general_agents_and_every_change_is_audited(call, clinic):
    agent = make_agent(call, clinic)
    data = {"name": "Sneaky", "tier": "small"}
    for attempt in (
        lambda: call(editing.create_agent, user=clinic.member, scope="general", data=data),
        lambda: call(editing.update_agent, user=clinic.member, agent_id=agent.id, data=data),
        lambda: call(editing.delete_agent, user=clinic.member, agent_id=agent.id),
        lambda: call(grants.grant_user, actor=clinic.member, agent_id=agent.id, email=clinic.member.email),
        lambda: call(grants.grant_group, actor=clinic.member, agent_id=agent.id, group_id=clinic.group.id),
        lambda: call(grants.revoke_group, actor=clinic.member, agent_id=agent.id, group_id=clinic.group.id),
        lambda: call(editing.list_agents, user=clinic.member, scope="general"),
    ):
        with pytest.raises(Exception) as refused:
            attempt()
        assert refused.value.code == "errors.forbidden"
    assert [a.name for a in call(editing.list_agents, user=clinic.admin, scope="general")] == ["Heart helper"]
    assert call(grants.list_grantees, actor=clinic.admin, agent_id=agent.id).groups[0].name == "Cardiology nurses"
    assert audit_actions() == ["agent.create", "agent.grant_group"]

    call(grants.grant_user, actor=clinic.admin, agent_id=agent.id, email=clinic.outsider.email.upper())
    assert [a.name for a in call(agents_for, user=clinic.outsider)] == ["Heart helper"]
    call(grants.grant_user, actor=clinic.admin, agent_id=agent.id, email=clinic.outsider.email)  # again: no change
    call(editing.update_agent, user=clinic.admin, agent_id=agent.id,
         data={"name": "Heart helper", "icon": "heart-pulse", "tier": "large", "is_active": False})
    assert call(agents_for, user=clinic.outsider) == []  # switched off
    assert call(grants.revoke_user, actor=clinic.admin, agent_id=agent.id, user_id=clinic.outsider.id) is True
    call(editing.delete_agent, user=clinic.admin, agent_id=agent.id)

    assert audit_actions() == ["agent.create", "agent.grant_group", "agent.grant_user", "agent.update",
                               "agent.revoke_user", "agent.delete"]
    with session_scope() as session:
        update = session.exec(select(AuditEntry).where(AuditEntry.action == "agent.update")).one()
        assert (update.before["tier"], update.after["tier"]) == ("medium", "large")
        assert update.before["collection_ids"] == [str(clinic.cardiology.id)] and update.after["collection_ids"] == []
        assert update.actor_email == clinic.admin.email and update.target_label == "Heart helper"


async def test_a_general_agent_on_an_administrators_provider_answers_with_its_model(call, clinic, llm_server, turn):
    from assistant.services.llm import providers

    local = call(providers.create_provider, actor=clinic.admin, name="clinic-server", kind="openai_compatible",
                 base_url=f"{llm_server.url}/v1", api_key="sk-clinic", timeout_seconds="5", allow_local=True)
    agent = call(editing.create_agent, user=clinic.admin, scope="general", data={
        "name": "Local helper", "tier": "large", "provider_id": local.id, "model": "clinic-model-7b", "tools": []})
    call(grants.grant_user, actor=clinic.admin, agent_id=agent.id, email=clinic.member.email)
    chat = call(chats.create_chat, user=clinic.member, title="Local", agent_id=agent.id)
    llm_server.script(Reply(events=openai_events(Turn(text=("From the clinic's server.",)))))

    await turn(user=clinic.member, chat_id=chat.id, text="Hello")

    [request] = llm_server.requests
    assert request.path == "/v1/chat/completions" and request.body["model"] == "clinic-model-7b"
    assert request.headers["authorization"] == "Bearer sk-clinic"
    answer = stored_messages(chat.id)[-1]
    assert (answer.content, answer.provider, answer.model) == ("From the clinic's server.", "clinic-server",
                                                               "clinic-model-7b")
    with pytest.raises(Exception) as refused:  # a personal agent cannot name a provider
        call(editing.create_agent, user=clinic.member, scope="personal",
             data={"name": "Mine", "provider_id": local.id, "model": "x"})
    assert refused.value.params == {"field": "provider_id"}

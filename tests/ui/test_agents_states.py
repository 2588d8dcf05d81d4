"""The Agents page state and the chat's agent picker (on the real database, no browser): an admin creates a
general agent and grants it to a user and a group from the page; the user finds it in the chat's picker and on
the page, and starts a chat with it; a plain user's tab sending the admin events is sent home and nothing
changes, while their own agents work."""

from __future__ import annotations

import asyncio
import uuid

from sqlmodel import select
from support.llm_server import LoopbackLLMServer
from support.states import open_tab, run_background

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.models import Agent, AgentGrant, AgentGroupGrant, AuditEntry, Chat, Group, User
from assistant.models.user import Role
from assistant.services.llm import providers
from assistant.services.rag import collections
from assistant.ui.state.agents import AgentsState
from assistant.ui.state.chat import ChatState

FORM = {"name": "Heart helper", "description": "Cardiology", "icon": "heart-pulse", "tier": "small",
        "skill": "none", "provider": "none", "model": "", "is_active": "on"}


def test_an_admin_creates_and_grants_a_general_agent_that_the_user_then_picks(db, make_user, sign_in):
    make_user(email="root@example.com", role=Role.ADMIN)
    make_user(email="nurse@example.com")
    with session_scope() as session:
        group = Group(name="Nurses")
        session.add(group)
    admin = open_tab(AgentsState, sign_in("root@example.com"))
    asyncio.run(admin.load())
    asyncio.run(admin.open_new("general"))
    assert admin.dialog_open and admin.editor_scope == "general"
    admin.set_all_tools(False)
    admin.toggle_tool("get_current_time", True)
    asyncio.run(admin.save(FORM))
    [row] = admin.general_agents
    assert (row["name"], row["tier"], row["users"], row["groups"]) == ("Heart helper", "small", "", "")

    asyncio.run(admin.open_grants(row["id"], row["name"]))
    assert admin.group_options == [{"id": str(group.id), "name": "Nurses"}]
    admin.set_grant_email(" Nurse@Example.com ")
    asyncio.run(admin.grant_user())
    admin.set_grant_group_id(str(group.id))
    asyncio.run(admin.grant_group())
    assert [u["email"] for u in admin.grant_users] == ["nurse@example.com"]
    assert admin.grant_groups[0]["label"] == "Nurses (0 members)"
    assert admin.general_agents[0]["users"] == "nurse@example.com"
    with session_scope() as session:
        agent = session.exec(select(Agent)).one()
        assert agent.tools == ["get_current_time"] and agent.owner_id is None
        assert {e.action for e in session.exec(select(AuditEntry))} >= {"agent.create", "agent.grant_user",
                                                                         "agent.grant_group"}

    chat_tab = open_tab(ChatState, sign_in("nurse@example.com"))
    asyncio.run(chat_tab.load())
    assert chat_tab.agents == [{"id": str(agent.id), "name": "Heart helper", "icon": "heart-pulse"}]
    reaction = str(asyncio.run(chat_tab.new_chat_with(str(agent.id))))
    with session_scope() as session:
        chat = session.exec(select(Chat)).one()
    assert chat.agent_id == agent.id and str(chat.id) in reaction
    chat_tab.chat_id = str(chat.id)
    asyncio.run(chat_tab.set_agent("none"))
    assert chat_tab.chat_agent == "none"
    asyncio.run(chat_tab.set_agent(str(agent.id)))
    assert (chat_tab.chat_agent_name, chat_tab.chat_agent_icon, chat_tab.chat_agent_available) == (
        "Heart helper", "heart-pulse", True)

    page = open_tab(AgentsState, sign_in("nurse@example.com"))
    asyncio.run(page.load())
    assert [a["name"] for a in page.granted_agents] == ["Heart helper"] and page.general_agents == []



def test_the_editor_lists_the_models_of_the_provider_picked_for_a_general_agent(db, make_user, sign_in):
    make_user(email="root@example.com", role=Role.ADMIN)
    with LoopbackLLMServer() as server:
        server.models = ["llama3.1", "qwen2.5:7b"]
        with session_scope() as session:
            root = session.exec(select(User).where(User.email == "root@example.com")).one()
            local = providers.create_provider(session=session, actor=root, name="Local", kind="openai_compatible",
                                              base_url=f"{server.url}/v1", allow_local=True)
        admin = open_tab(AgentsState, sign_in("root@example.com"))
        asyncio.run(admin.open_new("general"))
        assert {"id": local.id, "name": "Local"} in admin.provider_options
        assert admin.list_models() is None  # the tier's provider: nothing to ask
        admin.choose_provider(local.id)
        assert admin.list_models() == AgentsState.fetch_models
        reaction = str(run_background(admin, "fetch_models"))
        assert admin.provider_models == ["llama3.1", "qwen2.5:7b"] and not admin.listing_models
        assert "Local: 2 models listed." in reaction
        asyncio.run(admin.save({**FORM, "provider": local.id, "model": "qwen2.5:7b"}))
        asyncio.run(admin.open_edit("general", admin.general_agents[0]["id"]))
        assert admin.draft_provider == local.id and admin.provider_models == []

        user = open_tab(AgentsState, sign_in(make_user(email="plain@example.com").email))
        user.draft_provider = local.id
        user.list_models()
        assert "You do not have permission" in str(run_background(user, "fetch_models"))
        assert user.provider_models == [] and len(server.requests) == 1  # only the admin's listing reached it



def test_the_editor_says_when_the_agents_collections_were_deleted(db, make_user, sign_in, call):
    admin = make_user(email="root@example.com", role=Role.ADMIN)
    leaflets = call(collections.create_collection, user=admin, name="Leaflets")
    tab = open_tab(AgentsState, sign_in("root@example.com"))
    asyncio.run(tab.open_new("general"))
    assert not tab.draft_collections_gone
    tab.toggle_collection(str(leaflets.id), True)
    asyncio.run(tab.save(FORM))
    agent_id = tab.general_agents[0]["id"]
    asyncio.run(tab.open_edit("general", agent_id))
    assert tab.draft_collections == [str(leaflets.id)] and not tab.draft_collections_gone

    call(collections.delete_collection, user=admin, collection_id=leaflets.id, settings=get_settings())
    asyncio.run(tab.open_edit("general", agent_id))
    assert tab.draft_collections == [] and tab.draft_collections_gone


def test_a_users_admin_events_are_refused_and_change_nothing_but_their_own_agents_work(db, make_user, sign_in):
    make_user(email="root@example.com", role=Role.ADMIN)
    make_user(email="plain@example.com")
    with session_scope() as session:
        general = Agent(name="Staff only")
        group = Group(name="Everyone")
        session.add_all([general, group])
    tab = open_tab(AgentsState, sign_in("plain@example.com"))
    asyncio.run(tab.load())
    assert tab.granted_agents == [] and tab.general_agents == []

    for attempt in (lambda: tab.open_new("general"), lambda: tab.open_edit("general", str(general.id))):
        reaction = str(asyncio.run(attempt()))
        assert "You do not have permission" in reaction and "/chats" in reaction
    tab.editor_scope = "general"
    assert "/chats" in str(asyncio.run(tab.save(FORM)))
    tab.grants_id = str(general.id)
    tab.grant_email, tab.grant_group_id = "plain@example.com", str(group.id)
    for event in (tab.grant_user, tab.grant_group):
        assert "/chats" in str(asyncio.run(event()))
    tab.delete_id = str(general.id)
    asyncio.run(tab.confirm_delete())
    with session_scope() as session:
        assert [a.name for a in session.exec(select(Agent))] == ["Staff only"]
        assert session.exec(select(AgentGrant)).first() is None
        assert session.exec(select(AgentGroupGrant)).first() is None
        assert session.exec(select(AuditEntry)).first() is None

    asyncio.run(tab.open_new("personal"))
    assert tab.editor_scope == "personal" and tab.provider_options == []
    asyncio.run(tab.save({**FORM, "name": "Mine", "is_active": ""}))
    assert [(a["name"], a["is_active"]) for a in tab.own_agents] == [("Mine", True)]
    assert "/chats" not in str(asyncio.run(tab.open_edit("personal", tab.own_agents[0]["id"])))
    assert tab.draft["name"] == "Mine"
    tab.ask_delete(tab.own_agents[0]["id"], "Mine")
    asyncio.run(tab.confirm_delete())
    assert tab.own_agents == []
    assert "/chats" not in str(asyncio.run(tab.open_edit("personal", str(uuid.uuid4()))))

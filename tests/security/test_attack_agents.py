"""The Agents page's admin events sent over the event socket by a plain user who knows a general agent's id: each
is refused (sent home with "You do not have permission"), nothing of the general agents is sent to the tab, and
nothing changes: the agent keeps its name and has no grant, and the attacker cannot start a chat with it."""

from __future__ import annotations

from support.event_socket import event_socket, run
from support.live_app import OWNER, LiveApp

from assistant.ui.state.agents import AgentsState
from assistant.ui.state.chat import ChatState

ATTACKER = "socket-agents@example.org"
FORM = {"name": "Ward helper", "description": "", "icon": "bot", "tier": "small", "skill": "none",
        "provider": "none", "model": "", "is_active": "on"}


def test_agent_admin_events_from_a_plain_user_are_refused_and_change_nothing(live_app: LiveApp) -> None:
    owner_tokens = live_app.login(OWNER)
    tokens = live_app.account(ATTACKER)
    agents, chat = AgentsState.get_full_name(), ChatState.get_full_name()

    async def create_as_owner() -> dict:
        async with event_socket(live_app.url) as tab:
            await tab.sign_in(owner_tokens["access_token"], owner_tokens["refresh_token"], path="/agents")
            await tab.send(f"{agents}.open_new", {"scope": "general"}, path="/agents")
            await tab.send(f"{agents}.save", {"form": FORM}, path="/agents")
            return await tab.state(agents)

    created = run(create_as_owner())
    agent = next(row for row in created["general_agents"] if row["name"] == "Ward helper")
    some_id = "00000000-0000-4000-8000-000000000000"
    refused = [
        (f"{agents}.open_new", {"scope": "general"}),
        (f"{agents}.open_edit", {"scope": "general", "agent_id": agent["id"]}),
        (f"{agents}.open_grants", {"agent_id": agent["id"], "name": agent["name"]}),
        (f"{agents}.grant_user", {}),
        (f"{agents}.grant_group", {}),
        (f"{agents}.revoke_user", {"user_id": some_id}),
        (f"{agents}.revoke_group", {"group_id": some_id}),
        (f"{agents}.confirm_delete", {}),
    ]
    setup = {  # legitimate events that aim the refused ones at the agent
        f"{agents}.grant_user": (f"{agents}.set_grant_email", {"value": ATTACKER}),
        f"{agents}.grant_group": (f"{agents}.set_grant_group_id", {"value": some_id}),
        f"{agents}.confirm_delete": (f"{agents}.ask_delete", {"agent_id": agent["id"], "name": agent["name"]}),
    }

    async def attack() -> tuple[list, dict, list]:
        async with event_socket(live_app.url) as tab:
            await tab.sign_in(tokens["access_token"], tokens["refresh_token"], path="/agents")
            replies = []
            for name, payload in refused:
                if name in setup:
                    await tab.send(*setup[name], path="/agents")
                    await tab.updates()
                await tab.send(name, payload, path="/agents")
                replies.append(await tab.updates())
            view = await tab.state(agents)
            await tab.send(f"{chat}.new_chat_with", {"agent_id": agent["id"]}, path="/chats")
            return replies, view, await tab.updates()

    replies, view, picked = run(attack())
    for (name, _), reply in zip(refused, replies, strict=True):
        sent = [event for update in reply for event in update.get("events", [])]
        assert any(e["name"] == "_redirect" and e["payload"]["path"] == "/chats" for e in sent), name
        assert any("You do not have permission" in str(e["payload"]) for e in sent), name
    assert view["general_agents"] == [] and view["grant_users"] == [] and view["skill_options"] == []
    assert "This agent does not exist or is not available to you." in str(picked)

    async def read_as_owner() -> dict:
        async with event_socket(live_app.url) as tab:
            await tab.sign_in(owner_tokens["access_token"], owner_tokens["refresh_token"], path="/agents")
            await tab.send(f"{agents}.load", path="/agents")
            return await tab.state(agents)

    after = run(read_as_owner())
    row = next(row for row in after["general_agents"] if row["id"] == agent["id"])
    assert (row["name"], row["users"], row["groups"]) == ("Ward helper", "", "")

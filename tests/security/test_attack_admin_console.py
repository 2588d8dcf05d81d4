"""The admin console's user, group, collection-grant and audit events sent over the event socket by a plain
user: each is refused (sent home with "You do not have permission"), nothing of the console is sent to the tab,
and nothing changes: the superadmin keeps their role, account and password, no group exists, and the audit log
holds no action of the attacker (read by the superadmin through the same socket)."""

from __future__ import annotations

from support.event_socket import event_socket, run
from support.live_app import OWNER, LiveApp, bearer

from assistant.ui.state.admin_audit import AuditState
from assistant.ui.state.admin_groups import GroupsState
from assistant.ui.state.admin_system import SystemState
from assistant.ui.state.admin_users import AdminUsersState
from assistant.ui.state.analytics import AnalyticsState
from assistant.ui.state.collections import CollectionsState
from assistant.ui.state.providers import ProvidersState
from assistant.ui.state.tiers import TiersState

ATTACKER = "socket-console@example.org"


def test_console_events_from_a_plain_user_are_refused_and_change_nothing(live_app: LiveApp) -> None:
    tokens = live_app.account(ATTACKER)
    owner_tokens = live_app.login(OWNER)
    with live_app.api() as client:
        owner = client.get("/auth/me", headers=bearer(owner_tokens["access_token"])).json()
    me = tokens["user"]
    users, groups = AdminUsersState.get_full_name(), GroupsState.get_full_name()
    audit, collections = AuditState.get_full_name(), CollectionsState.get_full_name()
    some_id = "00000000-0000-4000-8000-000000000000"
    events = [
        (f"{users}.load", {}),
        (f"{users}.create", {"form": {"email": "planted@example.org", "method": "password"}}),
        (f"{users}.change_role", {"user_id": me["id"], "role": "superadmin"}),
        (f"{users}.change_role", {"user_id": owner["id"], "role": "user"}),
        (f"{users}.toggle_active", {"user_id": owner["id"], "active": "yes"}),
        (f"{users}.reset_password", {"user_id": owner["id"]}),
        (f"{users}.save_max_chats", {"form": {"user_id": owner["id"], "max_chats": "1"}}),
        (f"{users}.delete_user", {"user_id": owner["id"], "email": OWNER}),
        (f"{groups}.load", {}),
        (f"{groups}.create", {"form": {"name": "Planted"}}),
        (f"{groups}.add_member", {"form": {"group_id": some_id, "email": ATTACKER}}),
        (f"{groups}.update", {"form": {"group_id": some_id, "name": "Planted"}}),
        (f"{groups}.delete", {"group_id": some_id, "name": "x"}),
        (f"{collections}.grant_group", {"form": {"collection_id": some_id, "group_id": some_id}}),
        (f"{audit}.load", {}),
        (f"{audit}.apply_filters", {"form": {"action": "all"}}),
    ]

    async def attack() -> tuple[list, dict, dict, dict]:
        async with event_socket(live_app.url) as tab:
            await tab.sign_in(tokens["access_token"], tokens["refresh_token"])
            replies = []
            for name, payload in events:
                await tab.send(name, payload, path="/admin/users")
                replies.append(await tab.updates())
            return replies, await tab.state(users), await tab.state(collections), await tab.state(audit)

    replies, users_view, collections_view, audit_view = run(attack())
    for (name, _), reply in zip(events, replies, strict=True):
        sent = [event for update in reply for event in update.get("events", [])]
        assert any(e["name"] == "_redirect" and e["payload"]["path"] == "/chats" for e in sent), name
        assert any("You do not have permission" in str(e["payload"]) for e in sent), name
    assert (users_view["users"], users_view["secret"]) == ([], "")
    assert collections_view["group_options"] == [] and audit_view["entries"] == []

    async def read_as_owner() -> tuple[dict, dict, dict]:
        async with event_socket(live_app.url) as tab:
            await tab.sign_in(owner_tokens["access_token"], owner_tokens["refresh_token"], path="/admin/users")
            await tab.send(f"{users}.load", path="/admin/users")
            await tab.send(f"{collections}.load", path="/admin")
            await tab.send(f"{audit}.load", path="/admin/audit")
            return await tab.state(users), await tab.state(collections), await tab.state(audit)

    users_seen, collections_seen, audit_seen = run(read_as_owner())
    assert {row["email"] for row in users_seen["users"]} >= {OWNER, ATTACKER}
    assert "planted@example.org" not in {row["email"] for row in users_seen["users"]}
    assert next(row for row in users_seen["users"] if row["email"] == OWNER)["max_chats"] == ""
    assert collections_seen["group_options"] == []  # every group, as the collections card lists them
    assert all(entry["actor"] != ATTACKER for entry in audit_seen["entries"])
    with live_app.api() as client:
        assert client.get("/auth/me", headers=bearer(tokens["access_token"])).json()["role"] == "user"
    assert live_app.login(OWNER)["user"]["role"] == "superadmin"  # same password: not reset


def test_provider_tier_analytics_and_system_events_from_a_plain_user_are_refused(live_app: LiveApp) -> None:
    """The Providers page, the tiers card, Analytics and System over the socket: each event of a plain user is
    refused, nothing of them reaches the tab, no provider is planted and no tier moves to one."""
    tokens = live_app.account("socket-providers@example.org")
    owner_tokens = live_app.login(OWNER)
    providers, tiers = ProvidersState.get_full_name(), TiersState.get_full_name()
    analytics, system_state = AnalyticsState.get_full_name(), SystemState.get_full_name()
    planted = {"name": "Planted", "base_url": "https://api.example.org/v1", "api_key": "sk-planted", "timeout": "5"}
    events = [
        (f"{providers}.load", {}, "/admin/providers"),
        (f"{providers}.save", {"form": planted}, "/admin/providers"),
        (f"{providers}.delete", {"provider_id": "00000000-0000-4000-8000-000000000000"}, "/admin/providers"),
        (f"{tiers}.save", {"name": "small", "form": {"provider": "anthropic", "model": "planted-model",
                                                     "max_tokens": "10", "temperature": "0",
                                                     "context_window": "2048"}}, "/admin"),
        (f"{analytics}.load", {}, "/admin/analytics"),
        (f"{analytics}.show_last", {"days": 90}, "/admin/analytics"),
        (f"{analytics}.download_csv", {"key": "tokens_by_model"}, "/admin/analytics"),
        (f"{system_state}.load", {}, "/admin/system"),
    ]

    async def attack() -> tuple[list, dict, dict, dict, dict]:
        async with event_socket(live_app.url) as tab:
            await tab.sign_in(tokens["access_token"], tokens["refresh_token"])
            replies = []
            for name, payload, path in events:
                await tab.send(name, payload, path=path)
                replies.append(await tab.updates())
            await tab.send(f"{tiers}.load", path="/admin")  # skipped quietly: the tab's last check showed no admin
            await tab.updates()
            return (replies, await tab.state(providers), await tab.state(analytics), await tab.state(system_state),
                    await tab.state(tiers))

    replies, providers_view, analytics_view, system_view, tiers_view = run(attack())
    for (name, _, _), reply in zip(events, replies, strict=True):
        sent = [event for update in reply for event in update.get("events", [])]
        assert any(e["name"] == "_redirect" and e["payload"]["path"] == "/chats" for e in sent), name
        assert any("You do not have permission" in str(e["payload"]) for e in sent), name
        assert "download" not in str(sent), name
    assert providers_view["rows"] == [] and system_view["checks"] == [] and system_view["versions"] == []
    assert tiers_view["tiers"] == {}
    assert all(rows == [] for rows in analytics_view["tables"].values())

    async def read_as_owner() -> tuple[dict, dict]:
        async with event_socket(live_app.url) as tab:
            await tab.sign_in(owner_tokens["access_token"], owner_tokens["refresh_token"], path="/admin/providers")
            await tab.send(f"{providers}.load", path="/admin/providers")
            await tab.send(f"{tiers}.load", path="/admin")
            return await tab.state(providers), await tab.state(tiers)

    providers_seen, tiers_seen = run(read_as_owner())
    assert "Planted" not in {row["name"] for row in providers_seen["rows"]}
    assert tiers_seen["tiers"]["small"]["model"] != "planted-model"

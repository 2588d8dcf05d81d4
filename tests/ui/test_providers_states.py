"""The Providers page's state and the tiers card's model listing, driven as a tab's events drive them (real
database, the loopback model server, no browser): the key never reaches the state, Test connection shows the
models or the refusal, and a plain user's tab sending the admin events is sent home and changes nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import select
from support.llm_server import LoopbackLLMServer
from support.states import open_tab, run_background

from assistant.core.db import session_scope
from assistant.models.admin import AuditEntry, LlmProvider
from assistant.models.user import Role
from assistant.ui.state.providers import ProvidersState
from assistant.ui.state.tiers import TiersState

KEY = "sk-state-test-key-9876"


@pytest.fixture
def server() -> Iterator[LoopbackLLMServer]:
    with LoopbackLLMServer() as loopback:
        loopback.models = ["llama3.1", "mistral-nemo"]
        yield loopback


def _shown(state: Any) -> str:
    return json.dumps({name: getattr(state, name) for name in state.base_vars}, default=str)


def _form(server: LoopbackLLMServer, **values: str) -> dict[str, str]:
    return {"name": "Local", "base_url": f"{server.url}/v1", "api_key": KEY, "timeout": "10", **values}


def test_an_admin_adds_and_tests_a_provider_and_a_tier_lists_its_models(db, make_user, sign_in, server):
    make_user(email="root@example.com", role=Role.ADMIN)
    tab = open_tab(ProvidersState, sign_in("root@example.com"))
    asyncio.run(tab.load())
    assert [row["name"] for row in tab.rows] == ["openai", "anthropic"]

    tab.open_new()
    asyncio.run(tab.save(_form(server)))
    assert tab.dialog_open and "127.0.0.1, a loopback or private address" in tab.form_error
    tab.set_form_allow_local(True)
    asyncio.run(tab.save(_form(server)))
    assert not tab.dialog_open
    row = tab.rows[-1]
    assert (row["name"], row["key_hint"], row["allow_local"], row["configured"]) == ("Local", "••••9876", "yes", "yes")
    assert KEY not in _shown(tab)

    assert tab.test(row["key"]) == ProvidersState.run_test
    run_background(tab, "run_test")
    assert tab.results[row["key"]] == "Models offered by Local: llama3.1, mistral-nemo" and tab.result_ok[row["key"]]

    tab.open_edit(row["id"])
    assert tab.form_key_note == "Stored key ••••9876: leave the field empty to keep it."
    assert KEY not in _shown(tab)
    asyncio.run(tab.save(_form(server, name="Ollama", api_key="")))
    assert [r["name"] for r in tab.rows][-1] == "Ollama" and tab.rows[-1]["key_hint"] == "••••9876"

    tiers = open_tab(TiersState, sign_in("root@example.com"))
    asyncio.run(tiers.load())
    assert {"value": "Ollama", "label": "Ollama"} in tiers.provider_options
    tiers.choose_provider("small", "Ollama")
    assert tiers.tiers["small"]["configured"] == "yes"
    assert tiers.list_models("small") == TiersState.fetch_models
    run_background(tiers, "fetch_models")
    assert tiers.models["small"] == ["llama3.1", "mistral-nemo"] and tiers.listing == ""

    asyncio.run(tab.remove_key(row["id"]))
    assert tab.rows[-1]["key_hint"] == ""
    asyncio.run(tab.delete(row["id"]))
    assert [r["name"] for r in tab.rows] == ["openai", "anthropic"]
    with session_scope() as session:
        assert [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.created_at))] == [
            "provider.create", "provider.update", "provider.remove_key", "provider.delete"]


def test_a_refused_key_is_shown_on_the_row(db, make_user, sign_in, server):
    from support.llm_server import openai_error

    make_user(email="root@example.com", role=Role.ADMIN)
    tab = open_tab(ProvidersState, sign_in("root@example.com"))
    asyncio.run(tab.load())
    tab.open_new()
    tab.set_form_allow_local(True)
    asyncio.run(tab.save(_form(server)))
    server.models_reply = openai_error(401, "Incorrect API key provided", "invalid_request_error", "invalid_api_key")
    tab.test(tab.rows[-1]["key"])
    run_background(tab, "run_test")
    assert tab.results[tab.rows[-1]["key"]] == "The provider rejected the API key. Check the key and its access."
    assert not tab.result_ok[tab.rows[-1]["key"]]


def test_a_plain_users_provider_events_are_refused_and_change_nothing(db, make_user, sign_in, server):
    make_user(email="root@example.com", role=Role.ADMIN)
    make_user(email="plain@example.com")
    with session_scope() as session:
        stored = LlmProvider(name="Staff", kind="openai_compatible", base_url=f"{server.url}/v1", allow_local=True)
        session.add(stored)
    tab = open_tab(ProvidersState, sign_in("plain@example.com"))
    reaction = str(asyncio.run(tab.load()))
    assert "You do not have permission" in reaction and "/chats" in reaction and tab.rows == []

    tab.set_form_allow_local(True)
    tab.rows = [{"key": str(stored.id), "id": str(stored.id), "name": "Staff"}]  # as a crafted tab would claim
    for attempt in (lambda: tab.save(_form(server)), lambda: tab.remove_key(str(stored.id)),
                    lambda: tab.delete(str(stored.id))):
        assert "/chats" in str(asyncio.run(attempt()))
    tab.editing_id = str(stored.id)
    assert "/chats" in str(asyncio.run(tab.save(_form(server, name="Hijacked"))))
    tab.test(str(stored.id))
    assert "/chats" in str(run_background(tab, "run_test"))

    tiers = open_tab(TiersState, sign_in("plain@example.com"))
    tiers.tiers = {"small": {"provider": "Staff"}}
    tiers.list_models("small")
    assert "/chats" in str(run_background(tiers, "fetch_models")) and tiers.models == {}
    assert server.requests == []
    with session_scope() as session:
        assert [p.name for p in session.exec(select(LlmProvider))] == ["Staff"]
        assert session.exec(select(AuditEntry)).first() is None

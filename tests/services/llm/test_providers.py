"""Providers administrators manage: keys encrypted at rest and shown only masked, every change audited,
what is refused (names, URLs, timeouts, deleting a provider in use, non-admins), Test connection through the
real SDKs against the loopback server, and a tier moved to another provider answering the very next turn."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlmodel import select
from support.llm_server import LoopbackLLMServer, Reply, Turn, anthropic_error, openai_error, openai_events

from assistant.core.db import session_scope
from assistant.core.errors import Forbidden, InvalidInput, NotFound, ProviderError
from assistant.models import Message
from assistant.models.admin import Agent, AuditEntry, LlmProvider
from assistant.models.user import Role
from assistant.services.chat import chats
from assistant.services.chat.turn_events import AnswerDelta, TurnStarted
from assistant.services.chat.turns import run_turn
from assistant.services.llm import connections, providers
from assistant.services.llm.tiers import get_tier, list_tiers, set_tier, tier_offline

pytestmark = pytest.mark.anyio

KEY = "sk-live-0123456789abcdef"


def call(function, **kwargs):
    with session_scope() as session:
        return function(session=session, **kwargs)


def add(actor, server: LoopbackLLMServer | None = None, **values):
    fields = {"name": "local", "kind": "openai_compatible", "base_url": f"{server.url}/v1" if server else "",
              "api_key": KEY, "timeout_seconds": "5", "allow_local": True, **values}
    return call(providers.create_provider, actor=actor, **fields)


def audit_actions():
    with session_scope() as session:
        return [(row.action, row.target_label, row.before, row.after)
                for row in session.exec(select(AuditEntry).order_by(AuditEntry.created_at)).all()
                if row.action.startswith("provider.")]


def raw_keys():
    with session_scope() as session:
        return [row[0] for row in session.exec(text("SELECT api_key_encrypted FROM llm_providers")).all()]


def everything_shown(actor, settings) -> str:
    """Every field of every view the page gets, as text."""
    return repr(call(providers.list_providers, actor=actor, settings=settings))


def test_the_key_is_encrypted_at_rest_and_only_ever_shown_masked(db, make_user, configure, llm_server):
    settings = configure(openai_api_key="sk-env-openai-secret-9999")
    admin = make_user(role=Role.ADMIN)
    view = add(admin, llm_server)

    assert (view.key_set, view.key_hint) == (True, "••••cdef")
    [stored] = raw_keys()
    assert stored and KEY not in stored and "cdef" not in stored
    shown = everything_shown(admin, settings)
    assert KEY not in shown and "sk-env-openai-secret" not in shown
    assert "••••9999" in shown  # the environment's key is masked the same way
    config = call(providers.config_for_test, actor=admin, provider=view.id, settings=settings)
    assert KEY not in repr(config)
    # The audit log tells that a key was set, never which.
    assert audit_actions()[0][3]["api_key"] == "set"
    assert KEY not in repr(audit_actions())


def test_an_empty_key_keeps_the_stored_one_and_remove_key_forgets_it(db, make_user, llm_server):
    admin = make_user(role=Role.ADMIN)
    view = add(admin, llm_server)
    before = raw_keys()

    updated = call(providers.update_provider, actor=admin, provider_id=view.id, name="local",
                   kind="openai_compatible", base_url=f"{llm_server.url}/v1", api_key="  ", timeout_seconds=30,
                   allow_local=True)
    assert raw_keys() == before and updated.key_hint == "••••cdef" and updated.timeout_seconds == 30

    replaced = call(providers.update_provider, actor=admin, provider_id=view.id, name="local",
                    kind="openai_compatible", base_url=f"{llm_server.url}/v1", api_key="sk-new-key-abcdwxyz",
                    allow_local=True)
    assert replaced.key_hint == "••••wxyz" and raw_keys() != before

    removed = call(providers.remove_key, actor=admin, provider_id=view.id)
    assert (removed.key_set, removed.key_hint, removed.configured) == (False, "", True)  # a local server needs none
    assert raw_keys() == [None]
    assert [action[0] for action in audit_actions()] == ["provider.create", "provider.update", "provider.update",
                                                          "provider.remove_key"]
    assert audit_actions()[1][2]["timeout_seconds"] == 5.0 and audit_actions()[1][3]["timeout_seconds"] == 30.0
    assert audit_actions()[3][2]["api_key"] == "set" and audit_actions()[3][3]["api_key"] == "unset"


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"name": ""}, "providers.name_length"),
        ({"name": "x" * 33}, "providers.name_length"),
        ({"name": "openai"}, "providers.name_reserved"),
        ({"kind": "mistral"}, "providers.kind_invalid"),
        ({"base_url": ""}, "providers.url_required"),
        ({"base_url": "http://127.0.0.1:11434/v1", "allow_local": False}, "providers.url_private"),
        ({"base_url": "http://169.254.169.254/v1"}, "providers.url_forbidden"),
        ({"base_url": "http://localhost:99999/v1"}, "providers.url_port"),
        ({"timeout_seconds": "0"}, "providers.timeout_invalid"),
        ({"timeout_seconds": "soon"}, "providers.timeout_invalid"),
        ({"api_key": "k" * 501}, "providers.key_too_long"),
    ],
)
def test_invalid_values_are_refused_and_nothing_is_stored(db, make_user, values, code):
    admin = make_user(role=Role.ADMIN)
    with pytest.raises(InvalidInput) as caught:
        add(admin, **{"base_url": "http://127.0.0.1:11434/v1", **values})
    assert caught.value.code == code
    assert raw_keys() == [] and audit_actions() == []


def test_names_are_unique(db, make_user):
    admin = make_user(role=Role.ADMIN)
    add(admin, base_url="http://127.0.0.1:11434/v1")
    with pytest.raises(InvalidInput) as caught:
        add(admin, base_url="http://127.0.0.1:8000/v1", name=" local ")
    assert caught.value.code == "providers.name_taken"


def test_only_active_admins_manage_providers(db, make_user, configure):
    settings = configure()
    admin = make_user(role=Role.ADMIN)
    view = add(admin, base_url="http://127.0.0.1:11434/v1")
    for actor in (make_user(role=Role.USER), make_user(role=Role.ADMIN, active=False)):
        with pytest.raises(Forbidden):
            add(actor, base_url="http://127.0.0.1:8000/v1", name="other")
        with pytest.raises(Forbidden):
            call(providers.list_providers, actor=actor, settings=settings)
        with pytest.raises(Forbidden):
            call(providers.remove_key, actor=actor, provider_id=view.id)
        with pytest.raises(Forbidden):
            call(providers.delete_provider, actor=actor, provider_id=view.id)
        with pytest.raises(Forbidden):
            call(providers.config_for_test, actor=actor, provider=view.id, settings=settings)
    assert len(raw_keys()) == 1 and len(audit_actions()) == 1


def test_the_list_shows_the_environment_providers_read_only_then_the_stored_ones(db, make_user, configure):
    settings = configure(openai_base_url="http://localhost:11434/v1")
    admin = make_user(role=Role.ADMIN)
    add(admin, base_url="http://127.0.0.1:11434/v1", name="b-ollama", api_key="")
    add(admin, name="a-claude", kind="anthropic", base_url="", allow_local=False)
    views = call(providers.list_providers, actor=admin, settings=settings)
    assert [(v.name, v.from_environment, v.configured) for v in views] == [
        ("openai", True, True), ("anthropic", True, False), ("a-claude", False, True), ("b-ollama", False, True)]


def test_a_provider_in_use_cannot_be_deleted_and_a_rename_follows_into_the_tiers(db, make_user):
    admin = make_user(role=Role.ADMIN)
    view = add(admin, base_url="http://127.0.0.1:11434/v1")
    call(set_tier, actor=admin, name="small", data={"provider": "local", "model": "llama3.1", "max_tokens": 512,
                                                    "temperature": 0.5, "context_window": 8192})
    with pytest.raises(InvalidInput) as caught:
        call(providers.delete_provider, actor=admin, provider_id=view.id)
    assert (caught.value.code, caught.value.params) == ("providers.in_use_tier", {"tier": "small"})

    call(providers.update_provider, actor=admin, provider_id=view.id, name="ollama",
         kind="openai_compatible", base_url="http://127.0.0.1:11434/v1", allow_local=True)
    assert call(get_tier, name="small").provider == "ollama"

    call(set_tier, actor=admin, name="small", data={"provider": "openai", "model": "gpt-4o-mini", "max_tokens": 512,
                                                    "temperature": 0.5, "context_window": 8192})
    with session_scope() as session:
        session.add(Agent(name="Researcher", provider_id=uuid.UUID(view.id), model="llama3.1"))
    with pytest.raises(InvalidInput) as caught:
        call(providers.delete_provider, actor=admin, provider_id=view.id)
    assert (caught.value.code, caught.value.params) == ("providers.in_use_agent", {"agent": "Researcher"})

    with session_scope() as session:
        session.exec(text("DELETE FROM agents"))  # type: ignore[call-overload]
    call(providers.delete_provider, actor=admin, provider_id=view.id)
    assert raw_keys() == []
    assert audit_actions()[-1][0:2] == ("provider.delete", "ollama")
    with pytest.raises(NotFound):
        call(providers.delete_provider, actor=admin, provider_id=view.id)
    with pytest.raises(NotFound):
        call(providers.remove_key, actor=admin, provider_id="not-an-id")


def test_a_tier_accepts_only_an_existing_provider(db, make_user):
    admin = make_user(role=Role.ADMIN)
    data = {"provider": "local", "model": "llama3.1", "max_tokens": 512, "temperature": 0.5, "context_window": 8192}
    with pytest.raises(InvalidInput) as caught:
        call(set_tier, actor=admin, name="small", data=data)
    assert caught.value.params == {"field": "provider"}
    add(admin, base_url="http://127.0.0.1:11434/v1")
    assert call(set_tier, actor=admin, name="small", data=data).provider == "local"


async def test_test_connection_lists_the_models_of_each_kind(db, make_user, configure, llm_server):
    settings = configure(anthropic_api_key="sk-ant-loopback", anthropic_base_url=llm_server.url)
    admin = make_user(role=Role.ADMIN)
    llm_server.models = ["qwen2.5:7b", "llama3.1"]
    compatible = add(admin, llm_server)
    claude = add(admin, name="claude", kind="anthropic", base_url=llm_server.url)

    for provider in (compatible.id, claude.id, "anthropic"):
        config = call(providers.config_for_test, actor=admin, provider=provider, settings=settings)
        assert await connections.test_connection(config) == ["llama3.1", "qwen2.5:7b"]
    gets = [request for request in llm_server.requests if request.method == "GET"]
    assert [request.path for request in gets][:1] == ["/v1/models"]
    assert gets[0].headers["authorization"] == f"Bearer {KEY}"
    assert gets[1].headers["authorization"] == f"Bearer {KEY}" and "anthropic-version" in gets[1].headers


@pytest.mark.parametrize("kind", ["openai_compatible", "anthropic"])
async def test_a_rejected_key_is_reported_as_such(db, make_user, configure, llm_server, kind):
    settings = configure()
    admin = make_user(role=Role.ADMIN)
    llm_server.models_reply = (openai_error(401, "Incorrect API key provided", "invalid_request_error",
                                            "invalid_api_key") if kind == "openai_compatible"
                               else anthropic_error(401, "authentication_error", "invalid x-api-key"))
    view = add(admin, llm_server, kind=kind, base_url=llm_server.url + ("/v1" if kind != "anthropic" else ""))
    config = call(providers.config_for_test, actor=admin, provider=view.id, settings=settings)
    with pytest.raises(ProviderError) as caught:
        await connections.test_connection(config)
    assert caught.value.code == "providers.key_rejected"


async def test_test_connection_refuses_a_loopback_url_once_the_tick_is_removed(db, make_user, configure, llm_server):
    """The URL was admitted with the tick; with it removed in the database the request itself is refused."""
    settings = configure()
    admin = make_user(role=Role.ADMIN)
    view = add(admin, llm_server)
    with session_scope() as session:
        row = session.get(LlmProvider, uuid.UUID(view.id))
        row.allow_local = False
    config = call(providers.config_for_test, actor=admin, provider=view.id, settings=settings)
    with pytest.raises(InvalidInput) as caught:
        await connections.test_connection(config)
    assert caught.value.code == "providers.url_private"
    assert llm_server.requests == []


async def test_a_tier_moved_to_another_provider_answers_the_very_next_turn(db, make_user, configure, llm_server):
    configure(openai_api_key="sk-env", openai_base_url=f"{llm_server.url}/v1", llm_timeout_seconds=5)
    admin, user = make_user(role=Role.ADMIN), make_user()
    llm_server.respond_with(lambda request: Reply(events=openai_events(Turn(text=("From the environment.",)))))
    chat = call(chats.create_chat, user=user)

    async def ask(question: str) -> str:
        events = [event async for event in run_turn(user_id=user.id, chat_id=chat.id, text=question)]
        assert isinstance(events[0], TurnStarted) and not events[0].offline
        return "".join(event.text for event in events if isinstance(event, AnswerDelta))

    assert await ask("Hello?") == "From the environment."
    with LoopbackLLMServer() as ollama:
        ollama.respond_with(lambda request: Reply(events=openai_events(Turn(text=("From Ollama.",)))))
        add(admin, ollama, name="ollama", api_key="")
        call(set_tier, actor=admin, name="medium", data={"provider": "ollama", "model": "llama3.1", "max_tokens": 256,
                                                         "temperature": 0.2, "context_window": 8192})
        assert not call(tier_offline, name="medium", settings=configure())

        assert await ask("And now?") == "From Ollama."
        assert ollama.requests[0].body["model"] == "llama3.1"
    with session_scope() as session:
        answers = session.exec(select(Message.provider, Message.model).where(
            Message.chat_id == chat.id, Message.role == "assistant").order_by(Message.seq)).all()
    assert [tuple(row) for row in answers] == [("openai", "gpt-4o"), ("ollama", "llama3.1")]
    assert call(list_tiers)["medium"].provider == "ollama"

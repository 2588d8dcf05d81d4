"""Model tiers set by admins: the seed defaults, changing a tier, who may, what is refused (and then
nothing is stored), and whether each provider has credentials."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time

import pytest

from assistant.core.db import session_scope
from assistant.core.errors import Forbidden, InvalidInput
from assistant.models.user import Role
from assistant.services.admin.settings import MODEL_TIERS, get_setting
from assistant.services.llm.base import DEFAULT_TIERS
from assistant.services.llm.tiers import get_tier, list_tiers, provider_for, provider_status, set_tier

OLLAMA = {"provider": "openai", "model": "llama3.1", "max_tokens": 1024, "temperature": 0.2, "context_window": 8192}


def tiers():
    with session_scope() as session:
        return list_tiers(session=session)


def stored():
    with session_scope() as session:
        return get_setting(session=session, key=MODEL_TIERS)


def save(actor, name, data):
    with session_scope() as session:
        return set_tier(session=session, actor=actor, name=name, data=data)


def tier(name):
    with session_scope() as session:
        return get_tier(session=session, name=name)


def test_without_a_setting_every_tier_is_its_seed_default(db):
    assert tiers() == dict(DEFAULT_TIERS)
    assert list(tiers()) == ["small", "medium", "large"]
    assert stored() == {}


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SUPERADMIN])
def test_an_admin_sets_a_tier_and_chats_use_it(db, make_user, role):
    admin = make_user(role=role)
    saved = save(admin, "medium", OLLAMA)

    assert dataclasses.asdict(saved) == OLLAMA
    assert dataclasses.asdict(tier("medium")) == OLLAMA
    assert tiers()["medium"] == saved
    assert tiers()["small"] == DEFAULT_TIERS["small"] and tiers()["large"] == DEFAULT_TIERS["large"]
    # Every tier is stored with its effective values, so the setting is complete on its own.
    assert stored() == {name: dataclasses.asdict(value) for name, value in tiers().items()}


def test_form_strings_are_converted_and_trimmed(db, make_user):
    admin = make_user(role=Role.ADMIN)
    saved = save(admin, "small", {"provider": "openai", "model": "  qwen2.5:7b ", "max_tokens": "512",
                                  "temperature": "0.35", "context_window": "16384", "ignored": "x"})
    assert dataclasses.asdict(saved) == {"provider": "openai", "model": "qwen2.5:7b", "max_tokens": 512,
                                         "temperature": 0.35, "context_window": 16384}
    assert tier("small") == saved


def test_saving_again_changes_only_that_tier(db, make_user):
    admin = make_user(role=Role.ADMIN)
    save(admin, "medium", OLLAMA)
    large = {"provider": "anthropic", "model": "claude-haiku-4-5", "max_tokens": 2048, "temperature": 1.0,
             "context_window": 200_000}
    save(admin, "large", large)
    assert dataclasses.asdict(tier("medium")) == OLLAMA
    assert dataclasses.asdict(tier("large")) == large
    assert tier("small") == DEFAULT_TIERS["small"]


@pytest.mark.parametrize("active", [True, False])
def test_a_plain_user_or_a_deactivated_admin_is_refused(db, make_user, active):
    actor = make_user(role=Role.USER) if active else make_user(role=Role.ADMIN, active=False)
    with pytest.raises(Forbidden):
        save(actor, "medium", OLLAMA)
    assert stored() == {}
    assert tier("medium") == DEFAULT_TIERS["medium"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"provider": "mistral"}, "provider"),
        ({"model": "   "}, "model"),
        ({"model": "m" * 201}, "model"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": "many"}, "max_tokens"),
        ({"max_tokens": ""}, "max_tokens"),
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": -0.1}, "temperature"),
        ({"context_window": 100}, "context_window"),
    ],
)
def test_invalid_values_are_refused_and_nothing_is_stored(db, make_user, change, field):
    admin = make_user(role=Role.ADMIN)
    save(admin, "small", OLLAMA)
    before = stored()
    with pytest.raises(InvalidInput) as caught:
        save(admin, "medium", {**OLLAMA, **change})
    assert (caught.value.code, caught.value.params) == ("tiers.invalid", {"field": field})
    assert stored() == before
    assert tier("medium") == DEFAULT_TIERS["medium"]


def test_a_missing_field_is_named(db, make_user):
    admin = make_user(role=Role.ADMIN)
    data = dict(OLLAMA)
    del data["max_tokens"]
    with pytest.raises(InvalidInput) as caught:
        save(admin, "medium", data)
    assert caught.value.params == {"field": "max_tokens"}
    assert stored() == {}


def test_an_unknown_tier_is_refused(db, make_user):
    admin = make_user(role=Role.ADMIN)
    with pytest.raises(InvalidInput) as caught:
        save(admin, "huge", OLLAMA)
    assert caught.value.code == "tiers.unknown"
    assert stored() == {}


def test_admins_saving_different_tiers_at_once_keep_both(db, make_user):
    """The second save waits for the first one's transaction instead of merging into a stale copy."""
    admin = make_user(role=Role.ADMIN)
    save(admin, "small", dataclasses.asdict(DEFAULT_TIERS["small"]))  # the setting's row exists from here on
    large = {**OLLAMA, "model": "llama3.1:70b"}
    errors: list[BaseException] = []

    def second_admin() -> None:
        try:
            save(admin, "large", large)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    with session_scope() as session:
        set_tier(session=session, actor=admin, name="medium", data=OLLAMA)
        other = threading.Thread(target=second_admin)
        other.start()
        time.sleep(0.5)
        assert other.is_alive()  # blocked on the row until this transaction commits
    other.join(timeout=20)
    assert not other.is_alive() and errors == []
    assert dataclasses.asdict(tier("medium")) == OLLAMA
    assert dataclasses.asdict(tier("large")) == large


def test_provider_status_without_credentials(db, configure):
    assert provider_status(configure()) == {"openai": False, "anthropic": False}
    assert provider_status(configure(openai_api_key="", anthropic_api_key="")) == {"openai": False, "anthropic": False}


def test_provider_status_tells_only_whether_credentials_exist(db, configure):
    status = provider_status(configure(openai_api_key="sk-secret-openai", anthropic_api_key="sk-ant-secret"))
    assert status == {"openai": True, "anthropic": True}
    assert "secret" not in repr(status)


def test_a_local_openai_compatible_server_needs_no_key(db, configure, make_user):
    """The Ollama case: a base URL and no key; the admin names the local model for a tier."""
    settings = configure(openai_base_url="http://localhost:11434/v1")
    assert provider_status(settings) == {"openai": True, "anthropic": False}

    save(make_user(role=Role.ADMIN), "medium", OLLAMA)
    provider = provider_for(tier("medium"), settings)
    assert provider is not None
    asyncio.run(provider.aclose())
    assert provider_for(tier("large"), settings) is None  # Anthropic without a key: offline

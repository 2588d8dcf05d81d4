"""What a client for one LLM provider is built from (:class:`ProviderConfig`, the key decrypted), for the
environment's two providers and the stored ones (:mod:`assistant.services.llm.providers`), and the client
itself: :func:`build_provider` for a chat turn, :func:`test_connection` for the admin's test button.

Stored providers are guarded against SSRF on every request (:mod:`assistant.services.llm.ssrf`); the
environment's are set by the operator and not guarded.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, get_args

from sqlmodel import Session, select

from assistant.core.config import Settings
from assistant.core.errors import ProviderError
from assistant.core.security import decrypt_secret
from assistant.models.admin import LlmProvider, ProviderKind
from assistant.services.llm.base import ProviderName
from assistant.services.llm.factory import NO_KEY
from assistant.services.llm.ssrf import IPNetwork, Resolver, guarded_client, refusal_of, system_resolver

if TYPE_CHECKING:
    from assistant.services.llm.anthropic_provider import AnthropicProvider
    from assistant.services.llm.openai_provider import OpenAIProvider

#: The names of the environment's providers (reserved: no row may take them).
ENVIRONMENT_PROVIDERS: tuple[str, ...] = get_args(ProviderName)
#: The test-connection faults shown to the admin, by the provider fault's code.
_TEST_FAULTS = {"llm.auth_failed": "providers.key_rejected", "llm.unreachable": "providers.unreachable",
                "llm.timeout": "providers.timed_out"}


@dataclass(frozen=True)
class ProviderConfig:
    """What a client for one provider is built from, the key decrypted (never in ``repr``)."""

    name: str
    kind: str
    base_url: str
    timeout_seconds: float
    allow_local: bool
    guarded: bool
    api_key: str = field(default="", repr=False)


def configured(kind: str, key_set: bool, base_url: str) -> bool:
    """The rule of :func:`assistant.services.llm.factory.create_provider`: Anthropic needs a key, OpenAI a
    key or a base URL (a compatible server), a compatible server its base URL."""
    if kind == ProviderKind.ANTHROPIC:
        return key_set
    if kind == ProviderKind.OPENAI_COMPATIBLE:
        return bool(base_url)
    return key_set or bool(base_url)


def _secret(value: Any) -> str:
    return value.get_secret_value() if value is not None else ""


def environment_config(name: str, settings: Settings) -> ProviderConfig:
    """The configuration of the environment's provider ``name`` (one of :data:`ENVIRONMENT_PROVIDERS`), read
    from ``settings`` each time; unguarded."""
    if name == "anthropic":
        return ProviderConfig(name=name, kind=ProviderKind.ANTHROPIC.value,
                              base_url=settings.anthropic_base_url or "", timeout_seconds=settings.llm_timeout_seconds,
                              allow_local=True, guarded=False, api_key=_secret(settings.anthropic_api_key))
    return ProviderConfig(name=name, kind=ProviderKind.OPENAI.value, base_url=settings.openai_base_url or "",
                          timeout_seconds=settings.llm_timeout_seconds, allow_local=True, guarded=False,
                          api_key=_secret(settings.openai_api_key))


def row_config(row: LlmProvider) -> ProviderConfig:
    """The configuration of a stored provider, its key decrypted; guarded.

    Raises:
        ConfigurationError: the stored key cannot be decrypted (``ASSISTANT_SECRET_KEY`` changed).
    """
    return ProviderConfig(name=row.name, kind=row.kind, base_url=row.base_url, timeout_seconds=row.timeout_seconds,
                          allow_local=row.allow_local, guarded=True,
                          api_key=decrypt_secret(row.api_key_encrypted) if row.api_key_encrypted else "")


def config_by_name(*, session: Session, name: str, settings: Settings) -> ProviderConfig | None:
    """The client configuration of the provider called ``name`` (the key decrypted), or None when there is
    no such provider. The environment's providers are unguarded; stored ones guarded.

    Raises:
        ConfigurationError: the stored key cannot be decrypted (``ASSISTANT_SECRET_KEY`` changed).
    """
    if name in ENVIRONMENT_PROVIDERS:
        return environment_config(name, settings)
    row = session.exec(select(LlmProvider).where(LlmProvider.name == name)).first()
    return row_config(row) if row is not None else None


def build_provider(config: ProviderConfig, *, max_retries: int = 1, resolver: Resolver = system_resolver,
                   trusted: Collection[IPNetwork] = ()) -> OpenAIProvider | AnthropicProvider | None:
    """A new provider instance for ``config``, or None when it cannot answer (OpenAI or Anthropic without a
    key, a compatible server without a base URL). Guarded configurations get an SSRF-checked HTTP client
    (``resolver``/``trusted`` as :func:`assistant.services.llm.ssrf.guarded_client`). Close it with
    ``aclose()``."""
    if not configured(config.kind, bool(config.api_key), config.base_url):
        return None
    http_client = (guarded_client(allow_local=config.allow_local, timeout=config.timeout_seconds, resolver=resolver,
                                  trusted=trusted) if config.guarded else None)
    if config.kind == ProviderKind.ANTHROPIC:
        from assistant.services.llm.anthropic_provider import AnthropicProvider

        return AnthropicProvider(api_key=config.api_key, base_url=config.base_url or None,
                                 timeout=config.timeout_seconds, max_retries=max_retries, http_client=http_client)
    from assistant.services.llm.openai_provider import OpenAIProvider

    return OpenAIProvider(api_key=config.api_key or NO_KEY, base_url=config.base_url or None,
                          timeout=config.timeout_seconds, max_retries=max_retries, http_client=http_client)


async def test_connection(config: ProviderConfig, *, resolver: Resolver = system_resolver,
                          trusted: Collection[IPNetwork] = ()) -> list[str]:
    """The ids of the models the provider offers, through its SDK's ``models.list()`` (no retry).

    Raises:
        ProviderError: ``providers.not_configured`` (no key), ``providers.key_rejected`` (401/403),
            ``providers.unreachable``, ``providers.timed_out`` or ``providers.test_failed`` (another
            answer, with ``fault`` the provider fault's code).
        InvalidInput: the base URL, or a redirect, leads to a refused address (``providers.url_*``).
    """
    provider = build_provider(config, max_retries=0, resolver=resolver, trusted=trusted)
    if provider is None:
        raise ProviderError("providers.not_configured")
    try:
        return await provider.list_models()
    except ProviderError as exc:
        refusal = refusal_of(exc)
        if refusal is not None:
            raise refusal from exc
        raise ProviderError(_TEST_FAULTS.get(exc.code, "providers.test_failed"), fault=exc.code) from exc
    finally:
        await provider.aclose()

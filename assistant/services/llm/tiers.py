"""Which model each tier runs on (admin setting ``model_tiers`` over the seed defaults), how admins change
it, whether each provider has credentials, and the provider instance for a tier built from them.

A tier names its provider: ``openai`` or ``anthropic`` (configured by the environment) or an administrator's
provider (:mod:`assistant.services.llm.providers`). The provider is looked up, and its key decrypted, each
time :func:`provider_for` builds one (every chat turn), so a change applies to the next turn."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session

from assistant.core.config import Settings
from assistant.core.db import session_scope
from assistant.core.errors import ConfigurationError, InvalidInput
from assistant.models import AppSetting, User
from assistant.models.user import Role
from assistant.services.admin.settings import MODEL_TIERS, get_setting, set_setting
from assistant.services.auth.permissions import require_role
from assistant.services.llm.base import DEFAULT_TIERS, LLMProvider, ModelTier, ProviderName, TierName
from assistant.services.llm.connections import ENVIRONMENT_PROVIDERS, build_provider, config_by_name
from assistant.services.llm.factory import create_provider
from assistant.services.llm.providers import provider_configured, provider_exists

log = logging.getLogger(__name__)

_TIER_ADAPTER = TypeAdapter(ModelTier)


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def resolve_tiers(stored: dict[str, Any]) -> dict[TierName, ModelTier]:
    """The seed :data:`DEFAULT_TIERS` with the admin's stored tiers laid over them.

    Args:
        stored: ``{tier: {provider, model, max_tokens, temperature, context_window}}`` as kept in the
            ``model_tiers`` setting; a tier that fails validation keeps its default (and is logged).
    """
    tiers: dict[TierName, ModelTier] = dict(DEFAULT_TIERS)
    for name in DEFAULT_TIERS:
        if name in stored:
            try:
                tiers[name] = ModelTier(**stored[name])
            except (TypeError, ValidationError):
                log.warning("ignoring the invalid stored model tier %s", name)
    return tiers


def get_tier(*, session: Session, name: str) -> ModelTier:
    """The model tier ``name`` (``small``/``medium``/``large``; anything else falls back to ``medium``)."""
    tiers = resolve_tiers(get_setting(session=session, key=MODEL_TIERS))
    return next((tier for key, tier in tiers.items() if key == name), tiers["medium"])


def list_tiers(*, session: Session) -> dict[TierName, ModelTier]:
    """The effective tiers, ``{"small": ModelTier, "medium": ..., "large": ...}`` in that order: what an
    admin stored, else the seed default. Anyone may read them (they name models, never keys)."""
    return resolve_tiers(get_setting(session=session, key=MODEL_TIERS))


def set_tier(*, session: Session, actor: User, name: str, data: dict[str, Any]) -> ModelTier:
    """Set tier ``name`` to ``data`` and store every tier's effective values in ``model_tiers``.

    Args:
        name: ``small``, ``medium`` or ``large``.
        data: ``{provider, model, max_tokens, temperature, context_window}``; ``provider`` is ``openai``,
            ``anthropic`` or the name of a stored provider; numbers may be strings (as a form sends them),
            surrounding blanks of strings are dropped, other keys are ignored.

    Returns:
        The stored tier.

    Raises:
        Forbidden: the actor is not an active admin.
        InvalidInput: ``tiers.unknown`` for another tier name; ``tiers.invalid`` (``field`` names the
            first rejected field) when :class:`ModelTier` refuses the values. Nothing is stored then.
    """
    require_role(actor, Role.ADMIN)
    if name not in DEFAULT_TIERS:
        raise InvalidInput("tiers.unknown")
    cleaned = {key: value.strip() if isinstance(value, str) else value for key, value in data.items()}
    try:
        tier = _TIER_ADAPTER.validate_python(cleaned)
    except ValidationError as exc:
        raise InvalidInput("tiers.invalid", field=str(exc.errors()[0]["loc"][0])) from exc
    if not provider_exists(session=session, name=tier.provider):
        raise InvalidInput("tiers.invalid", field="provider")
    # Two admins saving different tiers at once must not undo each other: hold the row while merging.
    session.get(AppSetting, MODEL_TIERS, with_for_update=True, populate_existing=True)
    tiers = list_tiers(session=session)
    tiers[name] = tier  # type: ignore[index]
    set_setting(session=session, actor=actor, key=MODEL_TIERS,
                value={tier_name: dataclasses.asdict(value) for tier_name, value in tiers.items()})
    return tier


def provider_status(settings: Settings) -> dict[ProviderName, bool]:
    """``{"openai": bool, "anthropic": bool}``: whether the environment's provider has credentials, by the rule of
    :func:`~assistant.services.llm.factory.create_provider` (``openai``: a key or a base URL of a
    compatible server; ``anthropic``: a key). A tier on a provider without them answers offline. The
    keys themselves are never returned."""
    return {
        "openai": bool(_secret(settings.openai_api_key) or settings.openai_base_url),
        "anthropic": bool(_secret(settings.anthropic_api_key)),
    }


def tier_offline(*, session: Session, name: str, settings: Settings) -> bool:
    """Whether tier ``name`` (as :func:`get_tier` resolves it) answers offline: its provider is missing or
    has no credentials (:func:`~assistant.services.llm.providers.provider_configured`)."""
    return not provider_configured(session=session, name=get_tier(session=session, name=name).provider,
                                   settings=settings)


def provider_for(tier: ModelTier, settings: Settings) -> LLMProvider | None:
    """A new provider for ``tier``, or None when it has no credentials (offline mode). Close it with
    ``aclose()``.

    ``openai``/``anthropic``: built from the environment's settings. Another name: the stored provider of that
    name, read now (a short query of one indexed row) with its key decrypted, behind the SSRF-guarded client;
    a missing provider or a key that can no longer be decrypted is logged and answers offline.
    """
    if tier.provider in ENVIRONMENT_PROVIDERS:
        return create_provider(
            tier.provider,  # type: ignore[arg-type]
            openai_api_key=_secret(settings.openai_api_key),
            openai_base_url=settings.openai_base_url or None,
            anthropic_api_key=_secret(settings.anthropic_api_key),
            anthropic_base_url=settings.anthropic_base_url or None,
            timeout=settings.llm_timeout_seconds,
        )
    try:
        with session_scope() as session:
            config = config_by_name(session=session, name=tier.provider, settings=settings)
    except ConfigurationError:
        log.warning("the key of provider %s cannot be decrypted: answering offline", tier.provider)
        return None
    if config is None:
        log.warning("tier provider %s does not exist: answering offline", tier.provider)
        return None
    return build_provider(config)

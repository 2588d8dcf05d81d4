"""Which model each tier runs on (admin setting ``model_tiers`` over the seed defaults) and the
provider instance for a tier, built from the configured credentials."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from assistant.core.config import Settings
from assistant.services.admin.settings import MODEL_TIERS, get_setting
from assistant.services.llm.base import DEFAULT_TIERS, LLMProvider, ModelTier, TierName
from assistant.services.llm.factory import create_provider

log = logging.getLogger(__name__)


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
    return tiers.get(name, tiers["medium"])  # type: ignore[call-overload]


def provider_for(tier: ModelTier, settings: Settings) -> LLMProvider | None:
    """A new provider for ``tier`` with the configured keys, or None when that provider has no
    credentials (offline mode). Close it with ``aclose()``."""

    def secret(value: Any) -> str | None:
        return value.get_secret_value() if value is not None else None

    return create_provider(
        tier.provider,
        openai_api_key=secret(settings.openai_api_key),
        openai_base_url=settings.openai_base_url or None,
        anthropic_api_key=secret(settings.anthropic_api_key),
        anthropic_base_url=settings.anthropic_base_url or None,
        timeout=settings.llm_timeout_seconds,
    )

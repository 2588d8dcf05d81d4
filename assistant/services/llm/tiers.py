"""Which model each tier runs on (admin setting ``model_tiers`` over the seed defaults), how admins change
it, whether each provider has credentials, and the provider instance for a tier built from them."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session

from assistant.core.config import Settings
from assistant.core.errors import InvalidInput
from assistant.models import AppSetting, User
from assistant.models.user import Role
from assistant.services.admin.settings import MODEL_TIERS, get_setting, set_setting
from assistant.services.auth.permissions import require_role
from assistant.services.llm.base import DEFAULT_TIERS, LLMProvider, ModelTier, ProviderName, TierName
from assistant.services.llm.factory import create_provider

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
        data: ``{provider, model, max_tokens, temperature, context_window}``; numbers may be strings (as
            a form sends them), surrounding blanks of strings are dropped, other keys are ignored.

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
    # Two admins saving different tiers at once must not undo each other: hold the row while merging.
    session.get(AppSetting, MODEL_TIERS, with_for_update=True, populate_existing=True)
    tiers = list_tiers(session=session)
    tiers[name] = tier  # type: ignore[index]
    set_setting(session=session, actor=actor, key=MODEL_TIERS,
                value={tier_name: dataclasses.asdict(value) for tier_name, value in tiers.items()})
    return tier


def provider_status(settings: Settings) -> dict[ProviderName, bool]:
    """``{"openai": bool, "anthropic": bool}``: whether that provider has credentials, by the rule of
    :func:`~assistant.services.llm.factory.create_provider` (``openai``: a key or a base URL of a
    compatible server; ``anthropic``: a key). A tier on a provider without them answers offline. The
    keys themselves are never returned."""
    return {
        "openai": bool(_secret(settings.openai_api_key) or settings.openai_base_url),
        "anthropic": bool(_secret(settings.anthropic_api_key)),
    }


def tier_offline(*, session: Session, name: str, settings: Settings) -> bool:
    """Whether tier ``name`` (as :func:`get_tier` resolves it) answers offline: its provider has no
    credentials (:func:`provider_status`)."""
    return not provider_status(settings)[get_tier(session=session, name=name).provider]


def provider_for(tier: ModelTier, settings: Settings) -> LLMProvider | None:
    """A new provider for ``tier`` with the configured keys, or None when that provider has no
    credentials (offline mode). Close it with ``aclose()``."""
    return create_provider(
        tier.provider,
        openai_api_key=_secret(settings.openai_api_key),
        openai_base_url=settings.openai_base_url or None,
        anthropic_api_key=_secret(settings.anthropic_api_key),
        anthropic_base_url=settings.anthropic_base_url or None,
        timeout=settings.llm_timeout_seconds,
    )

"""The model tiers card of the admin page: each tier's provider, model and limits, and whether its provider
has credentials (never the keys). Every event that reads or stores tiers re-checks the admin role."""

from __future__ import annotations

from typing import Any, get_args

import reflex as rx
from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.core.errors import AppError, InvalidInput
from assistant.models import User
from assistant.models.user import Role
from assistant.services.llm import tiers as tier_service
from assistant.services.llm.base import ProviderName
from assistant.ui.state.auth import AuthState
from assistant.ui.state.context import shown_role_suffices

#: The fields of a tier's form, as :class:`~assistant.services.llm.base.ModelTier` names them.
FIELDS = ("provider", "model", "max_tokens", "temperature", "context_window")
PROVIDERS: tuple[str, ...] = get_args(ProviderName)


class TiersState(AuthState):
    """``tiers[name]`` holds what tier ``name``'s form shows, as strings: the :data:`FIELDS`, ``configured``
    (``"yes"``/``"no"``: whether the chosen provider has credentials) and ``key`` (changes when the form
    must show stored values again)."""

    tiers: dict[str, dict[str, str]] = {}
    configured: dict[str, bool] = {}
    loaded: bool = False
    _saves: int = 0

    def _show(self, session: Session, user: User, only: str | None = None) -> None:
        """Show the stored tiers; with ``only``, refresh that tier's form and keep the others as typed."""
        self.configured = dict(tier_service.provider_status(get_settings()))
        self._saves += 1
        rows = dict(self.tiers)
        for name, tier in tier_service.list_tiers(session=session).items():
            if only is not None and name != only and name in rows:
                continue
            rows[name] = {
                "provider": tier.provider,
                "model": tier.model,
                "max_tokens": str(tier.max_tokens),
                "temperature": str(tier.temperature),
                "context_window": str(tier.context_window),
                "configured": "yes" if self.configured[tier.provider] else "no",
                "key": f"{name}-{self._saves}",
            }
        self.tiers = rows
        self.loaded = True

    @rx.event
    def load(self) -> Any:
        """``on_load`` after ``AuthState.check_login``; skipped when that check found no admin (it has
        already reacted)."""
        if not shown_role_suffices(self, Role.ADMIN):
            return None
        try:
            self.run_as_user(self._show, minimum_role=Role.ADMIN)
        except AppError as exc:
            return self.handle_error(exc)
        return None

    @rx.event
    def choose_provider(self, name: str, provider: str) -> None:
        """The provider picked in tier ``name``'s form (stored only with Save): show whether it has
        credentials."""
        if name in self.tiers and provider in PROVIDERS:
            row = dict(self.tiers[name])
            row["provider"] = provider
            row["configured"] = "yes" if self.configured.get(provider) else "no"
            self.tiers = {**self.tiers, name: row}

    @rx.event
    def save(self, name: str, form: dict[str, Any]) -> Any:
        """Store tier ``name`` from its form; on an error the form keeps what was typed."""
        data = {field: form.get(field, "") for field in FIELDS}

        def _save(session: Session, user: User) -> None:
            tier_service.set_tier(session=session, actor=user, name=name, data=data)
            self._show(session, user, only=name)

        try:
            self.run_as_user(_save, minimum_role=Role.ADMIN)
        except AppError as exc:
            field = exc.params.get("field")
            if isinstance(exc, InvalidInput) and exc.code == "tiers.invalid" and field in FIELDS:
                exc = InvalidInput(exc.code, field=self.t(f"tiers.field.{field}"))
            return self.handle_error(exc)
        return rx.toast.success(self.t("tiers.saved", tier=self.t(f"chat.tier.{name}")))

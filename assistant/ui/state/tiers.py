"""The model tiers card of the admin page: each tier's provider, model and limits, and whether its provider
has credentials (never the keys). Every event that reads or stores tiers re-checks the admin role."""

from __future__ import annotations

from typing import Any, get_args

import reflex as rx
from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.core.errors import InvalidInput
from assistant.models import User
from assistant.models.user import Role
from assistant.services.llm import tiers as tier_service
from assistant.services.llm.base import ProviderName
from assistant.ui.state.auth import AuthState, guarded

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

    @staticmethod
    def _stored(session: Session) -> dict[str, dict[str, str]]:
        """The stored tiers' form values (on a worker thread)."""
        status = tier_service.provider_status(get_settings())
        return {
            name: {
                "provider": tier.provider,
                "model": tier.model,
                "max_tokens": str(tier.max_tokens),
                "temperature": str(tier.temperature),
                "context_window": str(tier.context_window),
                "configured": "yes" if status[tier.provider] else "no",
            }
            for name, tier in tier_service.list_tiers(session=session).items()
        }

    def _show(self, stored: dict[str, dict[str, str]], only: str | None = None) -> None:
        """Show the stored tiers; with ``only``, refresh that tier's form and keep the others as typed."""
        self.configured = {str(name): ready for name, ready in tier_service.provider_status(get_settings()).items()}
        self._saves += 1
        rows = dict(self.tiers)
        for name, row in stored.items():
            if only is None or name == only or name not in rows:
                rows[name] = {**row, "key": f"{name}-{self._saves}"}
        self.tiers = rows
        self.loaded = True

    @rx.event
    @guarded
    async def load(self) -> None:
        """``on_load`` after ``AuthState.check_login``; skipped when that check found no admin (it has
        already reacted)."""
        if self._role_shown(Role.ADMIN):
            self._show(await self._run_as_user(lambda session, user: TiersState._stored(session), Role.ADMIN))

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
    @guarded
    async def save(self, name: str, form: dict[str, Any]) -> Any:
        """Store tier ``name`` from its form; on an error the form keeps what was typed."""
        data = {field: form.get(field, "") for field in FIELDS}

        def _save(session: Session, user: User) -> dict[str, dict[str, str]]:
            tier_service.set_tier(session=session, actor=user, name=name, data=data)
            return TiersState._stored(session)

        try:
            stored = await self._run_as_user(_save, Role.ADMIN)
        except InvalidInput as exc:
            field = exc.params.get("field")
            if exc.code == "tiers.invalid" and field in FIELDS:
                raise InvalidInput(exc.code, field=self._t(f"tiers.field.{field}")) from exc
            raise
        self._show(stored, only=name)
        return rx.toast.success(self._t("tiers.saved", tier=self._t(f"chat.tier.{name}")))

"""The model tiers card of the admin page: each tier's provider (the environment's or an administrator's),
model and limits, whether the provider can answer (never the keys), and the provider's models listed on
request. Every event that reads, stores or asks a provider re-checks the admin role."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.core.errors import InvalidInput
from assistant.models import User
from assistant.models.user import Role
from assistant.services.llm import providers as provider_service
from assistant.services.llm import tiers as tier_service
from assistant.services.llm.connections import ENVIRONMENT_PROVIDERS
from assistant.ui.state.auth import AuthState, guarded
from assistant.ui.state.offered_models import offered_models

#: The fields of a tier's form, as :class:`~assistant.services.llm.base.ModelTier` names them.
FIELDS = ("provider", "model", "max_tokens", "temperature", "context_window")


class TiersState(AuthState):
    """``tiers[name]`` holds what tier ``name``'s form shows, as strings: the :data:`FIELDS`, ``configured``
    (``"yes"``/``"no"``: whether the chosen provider can answer) and ``key`` (changes when the form must show
    stored values again). ``provider_options``: ``{"value": name, "label": ...}`` of every provider;
    ``configured``: by provider name; ``models[tier]``: the model ids last listed for that tier's provider."""

    tiers: dict[str, dict[str, str]] = {}
    provider_options: list[dict[str, str]] = []
    configured: dict[str, bool] = {}
    models: dict[str, list[str]] = {}
    listing: str = ""
    loaded: bool = False
    _saves: int = 0

    @staticmethod
    def _stored(session: Session, user: User) -> tuple[dict[str, dict[str, str]], dict[str, bool]]:
        """The stored tiers' form values and every provider's readiness (on a worker thread)."""
        views = provider_service.list_providers(session=session, actor=user, settings=get_settings())
        configured = {view.name: view.configured for view in views}
        tiers = {
            str(name): {
                "provider": tier.provider,
                "model": tier.model,
                "max_tokens": str(tier.max_tokens),
                "temperature": str(tier.temperature),
                "context_window": str(tier.context_window),
                "configured": "yes" if configured.get(tier.provider) else "no",
            }
            for name, tier in tier_service.list_tiers(session=session).items()
        }
        return tiers, configured

    def _show(self, stored: tuple[dict[str, dict[str, str]], dict[str, bool]], only: str | None = None) -> None:
        """Show the stored tiers; with ``only``, refresh that tier's form and keep the others as typed."""
        tiers, self.configured = stored
        self.provider_options = [
            {"value": name, "label": self._t(f"tiers.provider.{name}") if name in ENVIRONMENT_PROVIDERS else name}
            for name in self.configured
        ]
        self._saves += 1
        rows = dict(self.tiers)
        for name, row in tiers.items():
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
            self._show(await self._run_as_user(TiersState._stored, Role.ADMIN))

    @rx.event
    def choose_provider(self, name: str, provider: str) -> None:
        """The provider picked in tier ``name``'s form (stored only with Save): show whether it can answer
        and forget the models listed for the previous one."""
        if name in self.tiers and provider in self.configured:
            row = dict(self.tiers[name])
            row["provider"] = provider
            row["configured"] = "yes" if self.configured.get(provider) else "no"
            self.tiers = {**self.tiers, name: row}
            self.models = {**self.models, name: []}

    @rx.event
    def list_models(self, name: str) -> Any:
        """Ask the provider chosen in tier ``name``'s form for its models (in the background:
        :meth:`fetch_models`); one listing at a time."""
        if self.listing or name not in self.tiers:
            return None
        self.listing = name
        return TiersState.fetch_models

    @rx.event(background=True)
    @guarded
    async def fetch_models(self) -> Any:
        """List the models of the provider chosen in the form of the tier :meth:`list_models` named (Test
        connection); they become the model field's suggestions. A refusal is shown as a toast, translated."""
        async with self:
            name = self.listing
            if name not in self.tiers:
                self.listing = ""
                return None
            provider = self.tiers[name]["provider"]

        try:
            found = await offered_models(self, provider)
        finally:
            async with self:
                self.listing = ""
        async with self:
            self.models = {**self.models, name: found}
            return rx.toast.success(self._t("tiers.models_listed", provider=provider, count=len(found)))

    @rx.event
    @guarded
    async def save(self, name: str, form: dict[str, Any]) -> Any:
        """Store tier ``name`` from its form; on an error the form keeps what was typed."""
        data = {field: form.get(field, "") for field in FIELDS}

        def _save(session: Session, user: User) -> tuple[dict[str, dict[str, str]], dict[str, bool]]:
            tier_service.set_tier(session=session, actor=user, name=name, data=data)
            return TiersState._stored(session, user)

        try:
            stored = await self._run_as_user(_save, Role.ADMIN)
        except InvalidInput as exc:
            field = exc.params.get("field")
            if exc.code == "tiers.invalid" and field in FIELDS:
                raise InvalidInput(exc.code, field=self._t(f"tiers.field.{field}")) from exc
            raise
        self._show(stored, only=name)
        return rx.toast.success(self._t("tiers.saved", tier=self._t(f"chat.tier.{name}")))

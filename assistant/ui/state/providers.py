"""The admin console's Providers page: the environment's providers (read-only) and the stored ones, the
add/edit dialog, remove a key, delete, and Test connection with the models found or the exact refusal.

Keys never reach the browser: the page holds only whether one is set and its masked hint. Every event
re-checks the admin role (``_run_as_user(..., Role.ADMIN)``) and the services check it again.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.core.errors import AppError, InvalidInput, NotFound, ProviderError
from assistant.models import User
from assistant.models.admin import ProviderKind
from assistant.models.user import Role
from assistant.services.llm import providers as provider_service
from assistant.services.llm.providers import ProviderView
from assistant.ui.state.auth import AuthState, guarded
from assistant.ui.state.offered_models import offered_models

KINDS: tuple[str, ...] = tuple(kind.value for kind in ProviderKind)


def _row(view: ProviderView) -> dict[str, str]:
    return {
        "key": view.id or view.name,
        "id": view.id,
        "name": view.name,
        "kind": view.kind,
        "base_url": view.base_url,
        "key_hint": view.key_hint,
        "timeout": f"{view.timeout_seconds:g}",
        "allow_local": "yes" if view.allow_local and view.id else "no",
        "configured": "yes" if view.configured else "no",
        "env": "yes" if view.from_environment else "no",
    }


def _listed(session: Session, user: User) -> list[dict[str, str]]:
    return [_row(view) for view in provider_service.list_providers(session=session, actor=user,
                                                                   settings=get_settings())]


class ProvidersState(AuthState):
    """``rows``: one dict of strings per provider (:func:`_row`); the dialog's fields (``form_*``; the key
    field always starts empty, ``form_key_note`` tells the stored key's masked hint);
    ``results[key]``/``result_ok[key]``: the last Test connection of a row."""

    rows: list[dict[str, str]] = []
    loaded: bool = False
    dialog_open: bool = False
    editing_id: str = ""
    form_name: str = ""
    form_kind: str = ProviderKind.OPENAI_COMPATIBLE.value
    form_base_url: str = ""
    form_timeout: str = "60"
    form_allow_local: bool = False
    form_title: str = ""
    form_key_note: str = ""
    form_error: str = ""
    form_version: int = 0
    testing: str = ""
    results: dict[str, str] = {}
    result_ok: dict[str, bool] = {}

    @rx.event
    @guarded
    async def load(self) -> None:
        """``on_load`` after ``AuthState.check_login``; skipped when that check found no session (a plain
        user is refused and sent home, not shown an empty page)."""
        if self._role_shown(Role.USER):
            self.rows = await self._run_as_user(_listed, Role.ADMIN)
            self.results, self.result_ok, self.loaded = {}, {}, True

    def _fill(self, row: dict[str, str] | None) -> None:
        row = row or {}
        self.editing_id = row.get("id", "")
        self.form_name = row.get("name", "")
        self.form_kind = row.get("kind", ProviderKind.OPENAI_COMPATIBLE.value)
        self.form_base_url = row.get("base_url", "")
        self.form_timeout = row.get("timeout", "60")
        self.form_allow_local = row.get("allow_local") == "yes"
        hint = row.get("key_hint", "")
        self.form_key_note = self._t("providers.field.api_key_keep", hint=hint) if hint else ""
        self.form_title = (self._t("providers.edit_title", name=self.form_name) if self.editing_id
                           else self._t("providers.new_title"))
        self.form_error = ""
        self.form_version += 1
        self.dialog_open = True

    @rx.event
    def open_new(self) -> None:
        """Open the dialog for a new provider."""
        self._fill(None)

    @rx.event
    def open_edit(self, provider_id: str) -> None:
        """Open the dialog with stored provider ``provider_id``'s values (the key field empty)."""
        row = next((row for row in self.rows if row["id"] and row["id"] == provider_id), None)
        if row is not None:
            self._fill(row)

    @rx.event
    def set_dialog_open(self, is_open: bool) -> None:
        """The dialog opened or closed (Cancel, Escape)."""
        self.dialog_open = bool(is_open)

    @rx.event
    def set_form_kind(self, kind: str) -> None:
        """The type chosen in the dialog."""
        if kind in KINDS:
            self.form_kind = kind

    @rx.event
    def set_form_allow_local(self, allow: bool) -> None:
        """The "allow a local server" tick (its warning shows while it is ticked)."""
        self.form_allow_local = bool(allow)

    @rx.event
    @guarded
    async def save(self, form: dict[str, Any]) -> Any:
        """Add or change the provider from the dialog; a refusal stays in the dialog with what was typed."""
        name, base_url = str(form.get("name", "")), str(form.get("base_url", ""))
        api_key, timeout = str(form.get("api_key", "")), str(form.get("timeout", ""))
        kind, allow_local, editing = self.form_kind, self.form_allow_local, self.editing_id

        def _save(session: Session, user: User) -> tuple[str, list[dict[str, str]]]:
            if editing:
                view = provider_service.update_provider(
                    session=session, actor=user, provider_id=editing, name=name, kind=kind, base_url=base_url,
                    api_key=api_key, timeout_seconds=timeout, allow_local=allow_local)
            else:
                view = provider_service.create_provider(
                    session=session, actor=user, name=name, kind=kind, base_url=base_url, api_key=api_key,
                    timeout_seconds=timeout, allow_local=allow_local)
            return view.name, _listed(session, user)

        self.form_name, self.form_base_url, self.form_timeout = name, base_url, timeout
        try:
            saved, self.rows = await self._run_as_user(_save, Role.ADMIN)
        except InvalidInput as exc:
            self.form_error = self._t(exc.code, **exc.params)
            self.form_version += 1  # the fields show what was typed (the key field empties)
            return None
        self.dialog_open = False
        return rx.toast.success(self._t("providers.saved", name=saved))

    async def _change(self, work: Any, done_key: str, name: str) -> Any:
        try:
            self.rows = await self._run_as_user(work, Role.ADMIN)
        except InvalidInput as exc:
            return rx.toast.error(self._t(exc.code, **exc.params))
        return rx.toast.success(self._t(done_key, name=name))

    def _name_of(self, provider_id: str) -> str:
        return next((row["name"] for row in self.rows if row["id"] == provider_id), "")

    @rx.event
    @guarded
    async def remove_key(self, provider_id: str) -> Any:
        """Forget stored provider ``provider_id``'s key."""
        def _remove(session: Session, user: User) -> list[dict[str, str]]:
            provider_service.remove_key(session=session, actor=user, provider_id=provider_id)
            return _listed(session, user)

        return await self._change(_remove, "providers.key_removed", self._name_of(provider_id))

    @rx.event
    @guarded
    async def delete(self, provider_id: str) -> Any:
        """Delete stored provider ``provider_id`` (refused, with the reason, while a tier or agent uses it)."""
        def _delete(session: Session, user: User) -> list[dict[str, str]]:
            provider_service.delete_provider(session=session, actor=user, provider_id=provider_id)
            return _listed(session, user)

        return await self._change(_delete, "providers.deleted", self._name_of(provider_id))

    @rx.event
    def test(self, key: str) -> Any:
        """Test connection of row ``key`` (a stored provider's id or an environment provider's name), in the
        background (:meth:`run_test`); one test at a time."""
        if self.testing or not any(row["key"] == key for row in self.rows):
            return None
        self.testing = key
        self.results = {**self.results, key: ""}
        return ProvidersState.run_test

    @rx.event(background=True)
    @guarded
    async def run_test(self) -> None:
        """List the models of the provider :meth:`test` named; shows them, or the translated refusal."""
        async with self:
            key = self.testing
            row = next((row for row in self.rows if row["key"] == key), None)
            if row is None:
                self.testing = ""
                return

        try:
            models = await offered_models(self, key)
        except (InvalidInput, NotFound, ProviderError) as exc:
            async with self:
                self.testing = ""
                self.results = {**self.results, key: self._t(exc.code, **exc.params)}
                self.result_ok = {**self.result_ok, key: False}
            return
        except AppError:  # a session or role refusal: guarded reacts
            async with self:
                self.testing = ""
            raise
        async with self:
            self.testing = ""
            found = (self._t("providers.models", name=row["name"], models=", ".join(models)) if models
                     else self._t("providers.no_models", name=row["name"]))
            self.results = {**self.results, key: found}
            self.result_ok = {**self.result_ok, key: True}

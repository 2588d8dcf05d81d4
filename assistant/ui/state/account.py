"""Login, registration and profile forms."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import reflex as rx
from sqlmodel import Session

from assistant.core.db import session_scope
from assistant.core.errors import AppError, InvalidInput
from assistant.core.security import decode_access_token
from assistant.models import User
from assistant.services.auth import profile
from assistant.services.auth import service as auth
from assistant.ui.state.auth import AuthState, guarded


def _login(email: str, password: str, address: str, device: str) -> auth.TokenPair:
    with session_scope() as session:
        return auth.login(session=session, email=email, password=password, client_address=address, device_info=device)


def _register_and_login(form: dict[str, Any], address: str, device: str) -> auth.TokenPair:
    with session_scope() as session:
        auth.register(
            session=session,
            data={
                "email": form.get("email", ""),
                "password": form.get("password", ""),
                "display_name": form.get("display_name", ""),
                "language": form.get("language", "en"),
            },
        )
    return _login(form.get("email", ""), form.get("password", ""), address, device)


async def _sign_in_with(state: LoginState | RegisterState, work: Callable[[str, str, str], auth.TokenPair]) -> Any:
    """Shared body of the sign-in forms: run ``work(address, device, language)`` off the event loop,
    then store the tokens and go on (to the page the tab was sent away from, else home), or show the
    translated error in the form."""
    async with state:
        if state.busy:
            return None
        state.busy = True
        state.form_error = ""
        address = state._client_address()
        device = state.router.headers.user_agent
        language = state.lang
    try:
        pair = await asyncio.to_thread(work, address, device, language)
    except AppError as exc:
        async with state:
            state.form_error = state._t(exc.code, **exc.params)
            state.busy = False
        return None
    async with state:
        state.busy = False
        return state._sign_in(pair)


class LoginState(AuthState):
    """The sign-in form."""

    form_error: str = ""
    busy: bool = False

    @rx.event(background=True)
    async def submit(self, form: dict[str, Any]) -> Any:
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        return await _sign_in_with(self, lambda address, device, _language: _login(email, password, address, device))


class RegisterState(AuthState):
    """The registration form. A role is never read from it."""

    form_error: str = ""
    busy: bool = False

    @rx.event(background=True)
    async def submit(self, form: dict[str, Any]) -> Any:
        def _work(address: str, device: str, language: str) -> auth.TokenPair:
            if form.get("password", "") != form.get("password_confirm", ""):
                raise InvalidInput("auth.passwords_differ")
            return _register_and_login({**form, "language": language}, address, device)

        return await _sign_in_with(self, _work)


#: The id of the settings page's "ask before saving health facts" switch (the form reports it under it).
HEALTH_SWITCH_ID = "confirm-health-memories"


class ProfileState(AuthState):
    """The settings page: profile fields, preferences and password change."""

    display_name: str = ""
    timezone: str = "UTC"
    preferred_name: str = ""
    answer_style: str = "default"
    units: str = "metric"
    default_tier: str = "medium"
    confirm_health_memories: bool = True
    profile_message: str = ""
    password_error: str = ""
    password_message: str = ""
    busy: bool = False

    def _show_profile(self, user: User) -> None:
        self.display_name = user.display_name
        self.timezone = user.timezone
        self.preferred_name = user.preferred_name
        self.answer_style = user.answer_style
        self.units = user.units
        self.default_tier = user.default_tier
        self.confirm_health_memories = user.confirm_health_memories

    @rx.event
    @guarded
    async def load(self) -> None:
        """``on_load`` of the settings page: the profile as stored."""
        user = await self._run_as_user(lambda _session, user: user)
        self._show_profile(user)
        self.profile_message = ""
        self.password_error = ""
        self.password_message = ""

    @rx.event
    @guarded
    async def save_profile(self, form: dict[str, Any]) -> None:
        """Store the profile form: names, time zone, preferences and the health-facts setting; a field the
        form does not hold keeps its value. The switch arrives as Reflex's reading of the control with its
        id (a bool, also when off) or as the browser submits it ("on")."""
        data: dict[str, Any] = {key: form[key] for key in ("display_name", "timezone", "preferred_name",
                                                           "answer_style", "units", "default_tier") if key in form}
        switch = form.get(HEALTH_SWITCH_ID, form.get("confirm_health_memories"))
        if switch is not None:
            data["confirm_health_memories"] = switch in (True, "on")
        self.profile_message = ""
        user = await self._run_as_user(
            lambda session, user: profile.update_profile(session=session, user=user, data=data))
        self._show_profile(user)
        self.user_name = user.display_name
        self.profile_message = self._t("common.saved")

    @rx.event(background=True)
    @guarded
    async def change_password(self, form: dict[str, Any]) -> None:
        """Change the password (the other login sessions end; this one stays)."""
        async with self:
            if self.busy:
                return
            self.password_error = ""
            self.password_message = ""
            self.busy = True
            current = str(form.get("current_password", ""))
            new = str(form.get("new_password", ""))
            confirm = str(form.get("password_confirm", ""))

        def _change(session: Session, user: User) -> None:
            if new != confirm:
                raise InvalidInput("auth.passwords_differ")
            auth.change_password(session=session, user=user, current_password=current, new_password=new,
                                 keep_session_id=session_id)

        try:
            await self._run_as_user(lambda session, user: None)  # renews an expired access token first
        except AppError:
            async with self:
                self.busy = False
            raise
        async with self:
            session_id = decode_access_token(self.access_token).session_id
        try:
            await self._run_as_user(_change)
        except AppError as exc:
            async with self:
                self.busy = False
                self.password_error = self._t(exc.code, **exc.params)
            return
        async with self:
            self.busy = False
            self.password_message = self._t("settings.password_changed")

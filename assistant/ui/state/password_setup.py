"""Choosing a password an admin did not choose: the page an invitation link opens (``/invite?code=...``, signed
out; the invitee is signed in afterwards) and the page an account with a one-time password is sent to after
signing in (``/change-password``), which it cannot leave before choosing its own."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from assistant.core.db import session_scope
from assistant.core.errors import AppError, InvalidInput
from assistant.core.security import decode_access_token
from assistant.services.admin import users as admin_users
from assistant.services.auth import service as auth
from assistant.ui import routes
from assistant.ui.state.auth import AuthState, guarded


def _accept_and_sign_in(code: str, password: str, address: str, device: str) -> auth.TokenPair:
    """Use the invitation (committed), then sign in with the password just chosen."""
    with session_scope() as session:
        email = admin_users.accept_invitation(session=session, code=code, password=password).email
    with session_scope() as session:
        return auth.login(session=session, email=email, password=password, client_address=address,
                          device_info=device)


def _passwords(form: dict[str, Any]) -> str:
    """The new password of ``form``.

    Raises:
        InvalidInput: ``auth.passwords_differ`` when the confirmation differs.
    """
    password = str(form.get("password", ""))
    if password != str(form.get("password_confirm", "")):
        raise InvalidInput("auth.passwords_differ")
    return password


class PasswordSetupState(AuthState):
    """Both forms: the error to show and whether a submit is running."""

    setup_error: str = ""
    setup_busy: bool = False

    @rx.event
    def open_invitation(self) -> None:
        """``on_load`` of the invitation page: a clean form."""
        self.setup_error = ""
        self.setup_busy = False

    @rx.event(background=True)
    async def accept_invitation(self, form: dict[str, Any]) -> Any:
        """Set the invitee's password with the link's code and sign them in (then home)."""
        async with self:
            if self.setup_busy:
                return None
            self.setup_busy, self.setup_error = True, ""
            code = str(self.router.url.query_parameters.get("code", ""))
            address, device = self._client_address(), self.router.headers.user_agent
        try:
            password = _passwords(form)
            pair = await asyncio.to_thread(_accept_and_sign_in, code, password, address, device)
        except AppError as exc:
            async with self:
                self.setup_busy = False
                self.setup_error = self._t(exc.code, **exc.params)
            return None
        async with self:
            self.setup_busy = False
            return self._sign_in(pair)

    @rx.event
    @guarded
    async def open_change(self) -> Any:
        """``on_load`` of the change-password page: signed in, and only while a new password is due."""
        self.setup_error = ""
        self.setup_busy = False
        if not await self._run_as_user(lambda session, user: user.must_change_password):
            return rx.redirect(routes.HOME)
        return None

    @rx.event(background=True)
    @guarded
    async def choose_password(self, form: dict[str, Any]) -> Any:
        """Replace the one-time password (other login sessions end; this one stays), then go on to the page the
        tab was sent away from, else home."""
        async with self:
            if self.setup_busy:
                return None
            self.setup_busy, self.setup_error = True, ""
        try:
            password = _passwords(form)
            await self._run_as_user(lambda session, user: None)  # renews an expired access token first
            async with self:
                session_id = decode_access_token(self.access_token).session_id
            await self._run_as_user(lambda session, user: admin_users.choose_new_password(
                session=session, user=user, password=password, keep_session_id=session_id))
        except InvalidInput as exc:
            async with self:
                self.setup_busy = False
                self.setup_error = self._t(exc.code, **exc.params)
            return None
        except AppError:
            async with self:
                self.setup_busy = False
            raise
        async with self:
            self.setup_busy = False
            target, self._return_to = self._return_to or routes.HOME, ""
            return [rx.toast.success(self._t("password_setup.changed")), rx.redirect(target)]

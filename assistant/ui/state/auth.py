"""Base UI state: who is signed in, their tokens (browser LocalStorage), language and errors.

The account is never trusted from state: every page load and privileged event re-reads it from the
database through :func:`assistant.services.auth.service.authenticate` (see :meth:`AuthState.acting_user`).
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.core.errors import AppError, Forbidden, Unauthorized
from assistant.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, catalogue, translate
from assistant.core.net import client_address
from assistant.models import User
from assistant.models.user import Role
from assistant.services.auth import service as auth

T = TypeVar("T")

LOGIN_ROUTE = "/login"
HOME_ROUTE = "/chats"


class server_only:  # noqa: N801 - used like ``staticmethod``
    """Marks a state method that only server code may call.

    Reflex exposes every public function of a state class as an event handler that any open socket can
    invoke by name with a JSON payload. The helpers below take sessions, token pairs or service errors
    from server code and must not be reachable that way; wrapped in this descriptor they are no longer
    functions to Reflex (no ``__code__``), yet ``self.helper(...)`` still binds as a normal method, also
    through the proxy of a background event.
    """

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.__func__ = fn
        functools.update_wrapper(self, fn)

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        return self if instance is None else types.MethodType(self.__func__, instance)


class AuthState(rx.State):
    """Signed-in account (for display only), tokens and the UI language."""

    access_token: str = rx.LocalStorage("", name="assistant_access_token", sync=True)
    refresh_token: str = rx.LocalStorage("", name="assistant_refresh_token", sync=True)
    lang: str = rx.LocalStorage(DEFAULT_LANGUAGE, name="assistant_lang", sync=True)

    user_email: str = ""
    user_name: str = ""
    user_role: str = ""
    notice: str = ""

    @rx.var
    def tr(self) -> dict[str, str]:
        """The message catalogue of the current language."""
        return catalogue(self.lang if self.lang in LANGUAGES else DEFAULT_LANGUAGE)

    @rx.var
    def is_authenticated(self) -> bool:
        return self.user_email != ""

    @rx.var
    def is_admin(self) -> bool:
        return self.user_role in (Role.ADMIN.value, Role.SUPERADMIN.value)

    @server_only
    def t(self, code: str, **params: Any) -> str:
        """Translate ``code`` into the tab's language (for messages built in event handlers)."""
        return translate(code, self.lang, **params)

    @server_only
    def client_address(self) -> str:
        """The browser's address as seen through trusted proxies (for login throttling)."""
        headers = self.router.headers.raw_headers
        return client_address(
            self.router.session.client_ip, headers.get("x-forwarded-for"), get_settings().trusted_proxies
        )

    @server_only
    def acting_user(self, session: Session, minimum_role: Role = Role.USER) -> User:
        """The account behind this tab's tokens, re-checked now (session live, active, role).

        An expired access token is renewed once with the refresh token (rotating it).

        Raises:
            Unauthorized: not signed in, or the session ended.
            Forbidden: deactivated, or below ``minimum_role``.
        """
        if not self.access_token:
            raise Unauthorized("errors.unauthorized")
        try:
            user = auth.authenticate(session=session, access_token=self.access_token, minimum_role=minimum_role)
        except Unauthorized as exc:
            if exc.code != "auth.token_expired" or not self.refresh_token:
                raise
            pair = auth.refresh(session=session, refresh_token=self.refresh_token)
            self.access_token, self.refresh_token = pair.access_token, pair.refresh_token
            user = auth.authenticate(session=session, access_token=self.access_token, minimum_role=minimum_role)
        self._show_user(user)
        return user

    def _show_user(self, user: User) -> None:
        self.user_email = user.email
        self.user_name = user.display_name
        self.user_role = user.role

    def _forget(self) -> None:
        self.access_token = ""
        self.refresh_token = ""
        self.user_email = ""
        self.user_name = ""
        self.user_role = ""

    @server_only
    def handle_error(self, exc: AppError) -> Any:
        """React to a service error: sign out on a dead session, leave the page on a missing role,
        otherwise show the translated message as a toast."""
        message = self.t(exc.code, **exc.params)
        if isinstance(exc, Unauthorized) or exc.code == "auth.account_disabled":
            self._forget()
            self.notice = message
            return rx.redirect(LOGIN_ROUTE)
        if isinstance(exc, Forbidden):
            return [rx.toast.error(message), rx.redirect(HOME_ROUTE)]
        return rx.toast.error(message)

    @server_only
    def run_as_user(self, action: Callable[[Session, User], T], minimum_role: Role = Role.USER) -> T:
        """Run ``action(session, user)`` in one transaction after re-checking the account.

        Raises:
            AppError: whatever the check or the action raised (the transaction is rolled back).
        """
        with session_scope() as session:
            user = self.acting_user(session, minimum_role)
            return action(session, user)

    @rx.event
    def check_login(self) -> Any:
        """``on_load`` of every signed-in page: re-validate the session or go to the login page."""
        try:
            with session_scope() as session:
                self.acting_user(session)
        except AppError as exc:
            return self.handle_error(exc)
        return None

    @rx.event
    def go_home(self) -> Any:
        """``on_load`` of ``/``: the chats when signed in, else the login page."""
        return rx.redirect(HOME_ROUTE if self.access_token else LOGIN_ROUTE)

    @rx.event
    def redirect_if_signed_in(self) -> Any:
        """``on_load`` of the login and register pages."""
        if not self.access_token:
            return None
        try:
            with session_scope() as session:
                self.acting_user(session)
        except AppError:
            self._forget()
            return None
        return rx.redirect(HOME_ROUTE)

    @rx.event
    def set_language(self, language: str) -> Any:
        """Switch the UI language; a signed-in user's profile keeps the choice."""
        if language not in LANGUAGES:
            return None
        self.lang = language
        if not self.access_token:
            return None
        try:
            self.run_as_user(lambda session, user: auth.update_profile(session=session, user=user, data={"language": language}))
        except AppError as exc:
            return self.handle_error(exc)
        return None

    @rx.event
    def logout(self) -> Any:
        """Revoke this tab's login session and forget its tokens."""
        refresh_token, access_token = self.refresh_token, self.access_token
        with session_scope() as session:
            auth.logout(session=session, refresh_token=refresh_token, access_token=access_token)
        self._forget()
        self.notice = ""
        return rx.redirect(LOGIN_ROUTE)

    @server_only
    def sign_in(self, pair: auth.TokenPair) -> None:
        """Store a fresh token pair and show the account (call inside ``async with self``)."""
        self.access_token, self.refresh_token = pair.access_token, pair.refresh_token
        self.lang = pair.user.language
        self.notice = ""
        self._show_user(pair.user)


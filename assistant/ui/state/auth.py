"""Base UI state: who is signed in, their tokens (browser LocalStorage), language and errors.

The account is never trusted from state: every page load and privileged event re-reads it from the
database (:meth:`AuthState._run_as_user`, through :func:`assistant.services.auth.acting.run_as`), off the
event loop. Reflex exposes every public method of a state as an event any socket can call, so every helper
here starts with ``_``.

Event handlers that touch the database are ``async``: they await the work on a worker thread and assign
what it returned. Background events read and assign state only inside short ``async with self`` blocks
(for a foreground handler that block is a no-op, so the helpers below serve both kinds). The decorator
:func:`guarded` turns a service error raised by a handler into the toast, the sign-out or the way home
:meth:`AuthState._handle_error` chooses.
"""

from __future__ import annotations

import functools
import inspect
import uuid
from collections.abc import Callable, Collection
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.core.db import in_session
from assistant.core.errors import AppError, Forbidden, InvalidInput, NotFound, Unauthorized
from assistant.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, catalogue, translate
from assistant.core.logging import log_context, new_request_id
from assistant.core.net import client_address
from assistant.models import User
from assistant.models.user import Role
from assistant.services.admin import audit
from assistant.services.auth import acting, profile
from assistant.services.auth import service as auth
from assistant.ui import routes

T = TypeVar("T")
H = TypeVar("H", bound=Callable[..., Any])


def parse_id(value: object, not_found: str = "errors.not_found") -> uuid.UUID:
    """The UUID in ``value`` (an id sent by the page or read from the URL).

    Raises:
        NotFound: ``not_found`` for anything that is not a UUID (ids come from the browser).
    """
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFound(not_found) from exc


def guarded(handler: H) -> H:
    """Wrap an async event handler (coroutine or async generator, foreground or background): a service
    error it raises becomes the reaction of :meth:`AuthState._handle_error` (returned, or yielded last).
    Put it under ``@rx.event``."""
    if inspect.isasyncgenfunction(handler):

        @functools.wraps(handler)
        async def stream(self: AuthState, *args: Any, **kwargs: Any) -> Any:
            try:
                async for item in handler(self, *args, **kwargs):
                    yield item
            except AppError as exc:
                async with self:
                    reaction = self._handle_error(exc)
                yield reaction

        return stream  # type: ignore[return-value]

    @functools.wraps(handler)
    async def call(self: AuthState, *args: Any, **kwargs: Any) -> Any:
        try:
            return await handler(self, *args, **kwargs)
        except AppError as exc:
            async with self:
                return self._handle_error(exc)

    return call  # type: ignore[return-value]


class AuthState(rx.State):
    """Signed-in account (for display only), tokens and the UI language."""

    access_token: str = rx.LocalStorage("", name="assistant_access_token", sync=True)
    refresh_token: str = rx.LocalStorage("", name="assistant_refresh_token", sync=True)
    lang: str = rx.LocalStorage(DEFAULT_LANGUAGE, name="assistant_lang", sync=True)

    user_email: str = ""
    user_name: str = ""
    user_role: str = ""
    notice: str = ""
    #: The page (path and query) a tab sent to the login page comes back to once signed in.
    _return_to: str = ""

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

    def _t(self, code: str, **params: Any) -> str:
        """Translate ``code`` into the tab's language (for messages built in event handlers)."""
        return translate(code, self.lang, **params)

    def _client_address(self) -> str:
        """The browser's address as seen through trusted proxies (for login throttling and the audit log)."""
        headers = self.router.headers.raw_headers
        return client_address(
            self.router.session.client_ip, headers.get("x-forwarded-for"), get_settings().trusted_proxies
        )

    def _role_shown(self, minimum: Role) -> bool:
        """Whether the role the last session check showed is at least ``minimum``.

        For skipping a page's extra loaders after :meth:`check_login` found no session or too low a role
        (never for granting anything: every event re-checks the account).
        """
        return self.user_role in {role.value for role in Role} and Role(self.user_role).rank >= minimum.rank

    async def _run_as_user(self, work: Callable[[Session, User], T], minimum_role: Role = Role.USER) -> T:
        """Re-check the account behind this tab's tokens and run ``work(session, user)`` for it in one
        transaction on a worker thread; keep rotated tokens and show the account as read now.

        ``work`` must not touch state: it returns what the caller assigns afterwards.

        Raises:
            AppError: the check's refusal or what ``work`` raised (its transaction rolled back).
        """
        async with self:
            access_token, refresh_token = self.access_token, self.refresh_token
            tab = self.router.session.client_token
            shown = (self.user_email, self.user_name, self.user_role)
            address = self._client_address()
        audit.client_address.set(address)  # for the audit log of admin actions (carried to the worker thread)

        def logged(session: Session, user: User) -> T:
            with log_context(user_id=user.id):  # the event's log lines name the acting account
                return work(session, user)

        with log_context(request_id=new_request_id()):
            outcome = await acting.run_as(access_token=access_token, refresh_token=refresh_token, tab=tab,
                                          work=logged, minimum_role=minimum_role)
        user = outcome.user
        if outcome.pair is not None or (user is not None and (user.email, user.display_name, user.role) != shown):
            # a background event takes the state lock only when something changed (each block costs a
            # state write, a Redis round trip with several web processes)
            async with self:
                if outcome.pair is not None:
                    self.access_token, self.refresh_token = outcome.pair.access_token, outcome.pair.refresh_token
                if user is not None:
                    self._show_user(user)
        if outcome.error is not None:
            raise outcome.error
        return outcome.result  # type: ignore[return-value]

    async def _run_and_list(self, action: Callable[[Session, User], T],
                            lists: Callable[[Session, User], dict[str, Any]], minimum_role: Role, *,
                            catalogue: str, fields: Collection[str]) -> T:
        """Run ``action(session, user)`` as :meth:`_run_as_user` does, then ``lists(session, user)`` in the same
        transaction, and assign each entry of what ``lists`` returned to the state var of that name (a page's
        lists shown again after a change).

        Raises:
            InvalidInput: ``<catalogue>.invalid`` naming one of ``fields`` has that field named in the tab's
                language (the catalogue's ``<catalogue>.field.<name>``).
            AppError: anything else the check or ``action`` raised.
        """
        def work(session: Session, user: User) -> tuple[T, dict[str, Any]]:
            return action(session, user), lists(session, user)

        try:
            result, shown = await self._run_as_user(work, minimum_role)
        except InvalidInput as exc:
            field = exc.params.get("field")
            if exc.code == f"{catalogue}.invalid" and field in fields:
                raise InvalidInput(exc.code, field=self._t(f"{catalogue}.field.{field}")) from exc
            raise
        async with self:
            for name, value in shown.items():
                setattr(self, name, value)
        return result

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

    def _handle_error(self, exc: AppError) -> Any:
        """React to a service error: sign out on a dead session (coming back to this page after signing
        in again), leave the page on a missing role, otherwise show the translated message as a toast.
        Call it where state may be assigned."""
        message = self._t(exc.code, **exc.params)
        if isinstance(exc, Unauthorized) or exc.code == "auth.account_disabled":
            self._forget()
            self.notice = message
            self._return_to = routes.return_target(self.router.url.path, self.router.url.query)
            return rx.redirect(routes.LOGIN)
        if isinstance(exc, Forbidden):
            return [rx.toast.error(message), rx.redirect(routes.HOME)]
        return rx.toast.error(message)

    def _sign_in(self, pair: auth.TokenPair) -> Any:
        """Store a fresh token pair, show the account and go where the tab was sent away from (else
        home). Call where state may be assigned."""
        self.access_token, self.refresh_token = pair.access_token, pair.refresh_token
        self.lang = pair.user.language
        self.notice = ""
        self._show_user(pair.user)
        if pair.user.must_change_password:  # an admin set the password: choose one first, then go on
            return rx.redirect(routes.CHANGE_PASSWORD)
        target, self._return_to = self._return_to or routes.HOME, ""
        return rx.redirect(target)

    @rx.event
    @guarded
    async def check_login(self) -> Any:
        """``on_load`` of every signed-in page: re-validate the session or go to the login page (and
        come back here after signing in); an account whose password an admin set chooses its own first."""
        if await self._run_as_user(lambda session, user: user.must_change_password):
            self._return_to = routes.return_target(self.router.url.path, self.router.url.query)
            return rx.redirect(routes.CHANGE_PASSWORD)
        return None

    @rx.event
    def go_home(self) -> Any:
        """``on_load`` of ``/``: the chats when signed in, else the login page."""
        return rx.redirect(routes.HOME if self.access_token else routes.LOGIN)

    @rx.event
    async def redirect_if_signed_in(self) -> Any:
        """``on_load`` of the login and register pages: a live session goes on to the page it was sent
        away from, or home."""
        if not self.access_token:
            return None
        try:
            await self._run_as_user(lambda session, user: None)
        except AppError:
            self._forget()
            return None
        target, self._return_to = self._return_to or routes.HOME, ""
        return rx.redirect(target)

    @rx.event
    @guarded
    async def set_language(self, language: str) -> None:
        """Switch the UI language; a signed-in user's profile keeps the choice."""
        if language not in LANGUAGES:
            return
        self.lang = language
        if self.access_token:
            await self._run_as_user(
                lambda session, user: profile.update_profile(session=session, user=user, data={"language": language}))

    @rx.event
    async def logout(self) -> Any:
        """Revoke this tab's login session and forget its tokens."""
        refresh_token, access_token = self.refresh_token, self.access_token
        await in_session(lambda session: auth.logout(session=session, refresh_token=refresh_token,
                                                     access_token=access_token))
        self._forget()
        self.notice = ""
        self._return_to = ""
        return rx.redirect(routes.LOGIN)

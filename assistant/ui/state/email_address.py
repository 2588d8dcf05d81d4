"""The Settings page's "E-mail address" section: the account's address, whether it is verified, and the button
that mails a verification link."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from assistant.core.db import in_session
from assistant.core.errors import AppError, InvalidInput
from assistant.models import User
from assistant.services.channels.verification import EmailStatus, email_status, send_verification, verify_email
from assistant.ui.state.auth import AuthState, guarded


class EmailAddressState(AuthState):
    """The address as stored, its state and the last send's outcome."""

    email_address: str = ""
    email_verified: bool = False
    email_smtp_configured: bool = False
    email_message: str = ""
    email_error: str = ""
    email_sending: bool = False

    def _show_status(self, status: EmailStatus) -> None:
        self.email_address = status.address
        self.email_verified = status.verified
        self.email_smtp_configured = status.smtp_configured

    @rx.event
    @guarded
    async def load_email(self) -> None:
        """``on_load`` of the Settings page: the address and whether it is verified."""
        status = await self._run_as_user(lambda session, user: email_status(session=session, user=user))
        self._show_status(status)
        self.email_message = self.email_error = ""

    @rx.event(background=True)
    @guarded
    async def send_verification_link(self) -> None:
        """Mail a link that verifies the address (earlier links stop working); says where it went, or why not."""
        async with self:
            if self.email_sending:
                return
            self.email_sending = True
            self.email_message = self.email_error = ""

        def send(session: Session, user: User) -> EmailStatus:
            send_verification(session=session, user=user)
            return email_status(session=session, user=user)

        try:
            status = await self._run_as_user(send)
        except InvalidInput as exc:
            async with self:
                self.email_sending = False
                self.email_error = self._t(exc.code, **exc.params)
            return
        except AppError:
            async with self:
                self.email_sending = False
            raise
        async with self:
            self.email_sending = False
            self._show_status(status)
            self.email_message = self._t("email.verification_sent", address=status.address)


class VerifyEmailState(AuthState):
    """The page a verification link opens (``/verify-email?code=...``): signed in or not, the code is the proof.

    ``verify_outcome``: ``""`` while checking, ``verified`` or ``failed`` (``verify_error_key``: the i18n key of
    why, shown in the tab's language)."""

    verify_outcome: str = ""
    verify_error_key: str = ""
    verified_address: str = ""
    #: The code this tab verified, so that reloading the page keeps showing success instead of "already used".
    _verified_code: str = ""

    @rx.event
    async def verify(self) -> None:
        """``on_load``: use the link's ``code``."""
        code = str(self.router.url.query_parameters.get("code", ""))
        if code and code == self._verified_code:
            return
        self.verify_outcome = self.verify_error_key = ""
        try:
            user = await in_session(lambda session: verify_email(session=session, code=code))
        except AppError as exc:
            self.verify_outcome = "failed"
            self.verify_error_key = exc.code
            return
        self._verified_code = code
        self.verified_address = user.email
        self.verify_outcome = "verified"

"""The admin page's "E-mail (SMTP)" section: the SMTP settings and the test mail. The password never reaches the
browser (only ``password_set``); every event re-checks the admin role, and the services check it again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx
from sqlmodel import Session

from assistant.core.errors import AppError, InvalidInput
from assistant.models import User
from assistant.models.user import Role
from assistant.services.channels.config import SmtpView, TlsMode, save_smtp, smtp_view
from assistant.services.channels.email import send_test_mail
from assistant.ui.state.auth import AuthState, guarded

#: The TLS modes in the order the select lists them.
TLS_MODES = tuple(mode.value for mode in TlsMode)


def _port(value: object) -> int:
    try:
        return int(str(value).strip())
    except ValueError as exc:
        raise InvalidInput("channels.smtp_port_invalid") from exc


class SmtpSettingsState(AuthState):
    """The SMTP form as stored (no password), its messages, and the last test mail's outcome."""

    smtp_host: str = ""
    smtp_port: str = "587"
    smtp_tls: str = TlsMode.STARTTLS.value
    smtp_username: str = ""
    smtp_sender: str = ""
    smtp_password_set: bool = False
    #: Changes whenever the form's inputs must show the stored values again.
    smtp_form_key: int = 0
    smtp_message: str = ""
    smtp_error: str = ""
    smtp_test_result: str = ""
    smtp_test_error: str = ""
    smtp_testing: bool = False

    def _show_smtp(self, view: SmtpView) -> None:
        self.smtp_host, self.smtp_port, self.smtp_tls = view.host, str(view.port), view.tls
        self.smtp_username, self.smtp_sender = view.username, view.sender
        self.smtp_password_set = view.password_set
        self.smtp_form_key += 1

    def _clear_smtp_messages(self) -> None:
        self.smtp_message = self.smtp_error = self.smtp_test_result = self.smtp_test_error = ""

    @rx.event
    @guarded
    async def load_smtp(self) -> None:
        """``on_load`` of the admin page: the SMTP settings as stored."""
        view = await self._run_as_user(lambda session, actor: smtp_view(session=session, actor=actor),
                                       minimum_role=Role.ADMIN)
        self._clear_smtp_messages()
        self._show_smtp(view)

    async def _store_smtp(self, save: Callable[[Session, User], SmtpView], done_key: str) -> None:
        """Run ``save(session, actor) -> SmtpView`` as a re-checked admin and show the stored values; an invalid
        value is shown in the form and nothing changes."""
        self._clear_smtp_messages()
        try:
            view = await self._run_as_user(save, minimum_role=Role.ADMIN)
        except InvalidInput as exc:
            self.smtp_error = self._t(exc.code, **exc.params)
            return
        self._show_smtp(view)
        self.smtp_message = self._t(done_key)

    @rx.event
    @guarded
    async def save_smtp_settings(self, form: dict[str, Any]) -> None:
        """Store the form; an empty password field keeps the stored password, anything typed replaces it."""
        password = str(form.get("smtp_password", "")) or None

        def save(session: Session, actor: User) -> SmtpView:
            return save_smtp(session=session, actor=actor, host=str(form.get("smtp_host", "")),
                             port=_port(form.get("smtp_port", "")), tls=str(form.get("smtp_tls", "")),
                             username=str(form.get("smtp_username", "")), sender=str(form.get("smtp_sender", "")),
                             password=password)

        await self._store_smtp(save, "email.smtp_saved")

    @rx.event
    @guarded
    async def remove_smtp_password(self) -> None:
        """Forget the stored password; the other settings stay as stored."""
        def remove(session: Session, actor: User) -> SmtpView:
            stored = smtp_view(session=session, actor=actor)
            return save_smtp(session=session, actor=actor, host=stored.host, port=stored.port, tls=stored.tls,
                             username=stored.username, sender=stored.sender, password="")

        await self._store_smtp(remove, "email.smtp_password_removed")

    @rx.event(background=True)
    @guarded
    async def send_smtp_test(self) -> None:
        """Mail a test message to the admin's own address with the saved settings; shows the server's reply or
        exactly what failed."""
        async with self:
            if self.smtp_testing:
                return
            self._clear_smtp_messages()
            self.smtp_testing = True
        try:
            reply = await self._run_as_user(
                lambda session, actor: (actor.email, send_test_mail(session=session, actor=actor)),
                minimum_role=Role.ADMIN)
        except InvalidInput as exc:
            async with self:
                self.smtp_testing = False
                self.smtp_test_error = self._t(exc.code, **exc.params)
            return
        except AppError:
            async with self:
                self.smtp_testing = False
            raise
        async with self:
            self.smtp_testing = False
            self.smtp_test_result = self._t("email.test_sent", address=reply[0], reply=reply[1])

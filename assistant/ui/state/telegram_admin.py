"""The admin page's "Telegram bot" section: the bot token (never sent to the browser: only whether one is set),
replace or remove it, and "Check the bot" with the bot's @username or Telegram's exact refusal. Every event
re-checks the admin role, and the services check it again."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from assistant.core.errors import AppError, InvalidInput
from assistant.models import User
from assistant.models.user import Role
from assistant.services.channels.config import TelegramView, save_telegram_token, telegram_view
from assistant.services.channels.telegram import check_bot
from assistant.ui.state.auth import AuthState, guarded


class TelegramBotState(AuthState):
    """Whether a token is set, the bot's username once checked, and the messages of the last action."""

    bot_token_set: bool = False
    bot_username: str = ""
    #: Changes whenever the token field must be emptied (after a save).
    bot_form_key: int = 0
    bot_message: str = ""
    bot_error: str = ""
    bot_check_result: str = ""
    bot_check_error: str = ""
    bot_checking: bool = False

    def _show_bot(self, view: TelegramView) -> None:
        self.bot_token_set, self.bot_username = view.token_set, view.bot_username
        self.bot_form_key += 1

    def _clear_bot_messages(self) -> None:
        self.bot_message = self.bot_error = self.bot_check_result = self.bot_check_error = ""

    @rx.event
    @guarded
    async def load_bot(self) -> None:
        """``on_mount`` of the section: whether a token is set and the bot's username."""
        view = await self._run_as_user(lambda session, actor: telegram_view(session=session, actor=actor),
                                       minimum_role=Role.ADMIN)
        self._clear_bot_messages()
        self._show_bot(view)

    async def _store_token(self, token: str, done_key: str) -> None:
        self._clear_bot_messages()

        def save(session: Session, actor: User) -> TelegramView:
            return save_telegram_token(session=session, actor=actor, token=token)

        try:
            view = await self._run_as_user(save, minimum_role=Role.ADMIN)
        except InvalidInput as exc:
            self.bot_error = self._t(exc.code, **exc.params)
            return
        self._show_bot(view)
        self.bot_message = self._t(done_key)

    @rx.event
    @guarded
    async def save_bot_token(self, form: dict[str, Any]) -> None:
        """Store the typed token (replacing the stored one); an empty field changes nothing."""
        token = str(form.get("bot_token", "")).strip()
        if not token:
            self._clear_bot_messages()
            self.bot_error = self._t("telegram.token_empty")
            return
        await self._store_token(token, "telegram.token_saved")

    @rx.event
    @guarded
    async def remove_bot_token(self) -> None:
        """Remove the bot: the worker stops polling within seconds; linked chats stay linked."""
        await self._store_token("", "telegram.token_removed")

    @rx.event(background=True)
    @guarded
    async def check_telegram_bot(self) -> None:
        """Ask Telegram who the stored token's bot is; shows its @username or exactly why Telegram refused."""
        async with self:
            if self.bot_checking:
                return
            self._clear_bot_messages()
            self.bot_checking = True
        try:
            view = await self._run_as_user(lambda session, actor: check_bot(session=session, actor=actor),
                                           minimum_role=Role.ADMIN)
        except InvalidInput as exc:
            async with self:
                self.bot_checking = False
                self.bot_check_error = self._t(exc.code, **exc.params)
            return
        except AppError:
            async with self:
                self.bot_checking = False
            raise
        async with self:
            self.bot_checking = False
            self._show_bot(view)
            self.bot_check_result = self._t("telegram.bot_checked", username=view.bot_username)

"""The Settings page's "Telegram" section: link a chat with a deep link, see the linked chat, unlink.

While a deep link is shown, the tab checks every :data:`WATCH_SECONDS` whether the chat got linked (then shows
it) and hides the link once it expires (:data:`~assistant.services.channels.linking.LINK_TTL`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx
from sqlmodel import Session

from assistant.core.errors import AppError, InvalidInput
from assistant.core.i18n import format_time
from assistant.models import User
from assistant.models.base import utcnow
from assistant.services.channels.linking import LINK_TTL, LinkStatus, link_status, start_link, unlink
from assistant.ui.state.auth import AuthState, guarded
from assistant.ui.state.delivery import DeliverySettingsState

#: How often a tab showing a deep link checks whether the chat was linked, seconds.
WATCH_SECONDS = 3.0


class TelegramLinkState(AuthState):
    """The section as shown: whether linking is offered (else the reason), the link while valid, the chat."""

    tg_available: bool = False
    tg_reason: str = ""
    tg_linked: bool = False
    tg_username: str = ""
    tg_link_url: str = ""
    tg_link_until: str = ""
    tg_message: str = ""
    tg_error: str = ""
    tg_busy: bool = False
    #: The link shown now; a newer link or an unlink ends the watch of an older one.
    _tg_watch: int = 0

    def _show_link_status(self, status: LinkStatus) -> None:
        self.tg_available = status.available
        self.tg_reason = self._t(status.reason) if status.reason else ""
        self.tg_linked = status.chat is not None
        self.tg_username = status.chat.username if status.chat is not None else ""

    @rx.event
    @guarded
    async def load_telegram(self) -> None:
        """``on_mount`` of the section: whether a bot is set up and the chat linked to the account."""
        status = await self._run_as_user(lambda session, user: link_status(session=session, user=user))
        self._show_link_status(status)
        self.tg_link_url = self.tg_link_until = self.tg_message = self.tg_error = ""
        self._tg_watch += 1

    @rx.event(background=True)
    @guarded
    async def start_telegram_link(self) -> AsyncIterator[Any]:
        """Make a deep link (valid ten minutes, earlier ones stop working) and show it until it is used or
        expires; once the chat is linked, show it (and the Notifications section offers Telegram)."""
        async with self:
            if self.tg_busy:
                return
            self.tg_busy = True
            self.tg_message = self.tg_error = ""

        def begin(session: Session, user: User) -> tuple[str, str]:
            url = start_link(session=session, user=user)
            return url, _until(user)

        try:
            url, until = await self._run_as_user(begin)
        except InvalidInput as exc:
            async with self:
                self.tg_busy = False
                self.tg_error = self._t(exc.code, **exc.params)
            return
        except AppError:
            async with self:
                self.tg_busy = False
            raise
        async with self:
            self.tg_busy = False
            self.tg_link_url, self._tg_watch = url, self._tg_watch + 1
            self.tg_link_until = self._t("telegram.link_valid_until", time=until)
            watch = self._tg_watch
        if await self._watch_link(watch, issued=time.time()):
            yield DeliverySettingsState.load_delivery

    async def _watch_link(self, watch: int, *, issued: float) -> bool:
        """Until the link of ``watch`` expires: show the chat once one is linked after ``issued`` (epoch s).
        Returns whether it was linked."""
        ends = time.monotonic() + LINK_TTL.total_seconds()
        while time.monotonic() < ends:
            await asyncio.sleep(WATCH_SECONDS)
            async with self:
                if self._tg_watch != watch:
                    return False
            status = await self._run_as_user(lambda session, user: link_status(session=session, user=user))
            if status.chat is not None and status.chat.linked_at.timestamp() >= issued - 1:
                async with self:
                    if self._tg_watch == watch:
                        self._show_link_status(status)
                        self.tg_link_url = self.tg_link_until = ""
                        self.tg_message = self._t("telegram.link_done", username=status.chat.username or "-")
                return True
        async with self:
            if self._tg_watch == watch:
                self.tg_link_url = self.tg_link_until = ""
                self.tg_error = self._t("telegram.link_expired")
        return False

    @rx.event
    @guarded
    async def unlink_telegram(self) -> Any:
        """Unlink the chat: the bot stops answering it and sends no more reminders there (nor does the
        Notifications section offer it)."""

        def drop(session: Session, user: User) -> LinkStatus:
            unlink(session=session, user=user)
            return link_status(session=session, user=user)

        status = await self._run_as_user(drop)
        self._show_link_status(status)
        self._tg_watch += 1
        self.tg_link_url = self.tg_link_until = self.tg_error = ""
        self.tg_message = self._t("telegram.unlinked")
        return DeliverySettingsState.load_delivery


def _until(user: User) -> str:
    return format_time(utcnow() + LINK_TTL, user.language, user.timezone)

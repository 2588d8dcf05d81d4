"""The Settings page's "Notifications" section: for each type of notification, whether it also goes by e-mail and
by Telegram (a channel the user cannot be reached on is shown disabled with the reason), and quiet hours.

The section loads when it mounts (it is drawn on the Settings page) and after each save; the form is drawn again
with the stored values (``form_key``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import reflex as rx
from sqlmodel import Session

from assistant.core.errors import InvalidInput
from assistant.core.i18n import translate
from assistant.models import User
from assistant.services.notifications.preferences import (
    EXTRA_CHANNELS,
    PREFERENCE_TYPES,
    PreferencesInput,
    get_preferences,
    save_preferences,
    unreachable_reasons,
)
from assistant.ui.state.auth import AuthState, guarded


def field_name(kind: str, channel: str) -> str:
    """The checkbox of ``channel`` for notifications of ``kind`` in the submitted form (``reminder__email``)."""
    return f"{kind}__{channel}"


@dataclass(frozen=True)
class _Shown:
    checked: dict[str, bool]
    reasons: dict[str, str]
    quiet_on: bool
    quiet_start: str
    quiet_end: str


def _read(session: Session, user: User, lang: str) -> _Shown:
    prefs = get_preferences(session=session, user=user)
    chosen = prefs.channels if isinstance(prefs.channels, dict) else {}
    checked = {field_name(kind, channel): channel in (chosen.get(kind) or [])
               for kind in PREFERENCE_TYPES for channel in EXTRA_CHANNELS}
    reasons = {channel: translate(key, lang) if key else ""
               for channel, key in unreachable_reasons(session=session, user=user).items()}
    start, end = prefs.quiet_start, prefs.quiet_end
    return _Shown(checked=checked, reasons=reasons, quiet_on=start is not None and end is not None,
                  quiet_start=start.strftime("%H:%M") if start else "22:00",
                  quiet_end=end.strftime("%H:%M") if end else "07:00")


def _input(form: dict[str, Any], quiet_on: bool) -> PreferencesInput:
    """The service's input from the submitted form: checked boxes, and the quiet hours only when switched on."""
    channels = {kind: [channel for channel in EXTRA_CHANNELS
                       if form.get(field_name(kind, channel)) in (True, "on")]
                for kind in PREFERENCE_TYPES}
    if not quiet_on:
        return PreferencesInput(channels=channels)
    return PreferencesInput(channels=channels, quiet_start=str(form.get("quiet_start") or ""),
                            quiet_end=str(form.get("quiet_end") or ""))


class DeliverySettingsState(AuthState):
    """The section's stored choices, why a channel is unavailable (``""`` when it is available), and the last
    save's outcome."""

    delivery_checked: dict[str, bool] = {}
    delivery_reasons: dict[str, str] = {}
    quiet_on: bool = False
    quiet_start: str = "22:00"
    quiet_end: str = "07:00"
    delivery_message: str = ""
    delivery_error: str = ""
    delivery_form_key: int = 0

    def _show(self, shown: _Shown) -> None:
        self.delivery_checked, self.delivery_reasons = shown.checked, shown.reasons
        self.quiet_on, self.quiet_start, self.quiet_end = shown.quiet_on, shown.quiet_start, shown.quiet_end
        self.delivery_form_key += 1

    @rx.event
    @guarded
    async def load_delivery(self) -> None:
        """``on_mount`` of the section: the stored preferences and which channels can be used."""
        lang = self.lang
        shown = await self._run_as_user(lambda session, user: _read(session, user, lang))
        self._show(shown)
        self.delivery_message = self.delivery_error = ""

    @rx.event
    def set_quiet_on(self, value: bool) -> None:
        """Switch quiet hours on or off in the form (stored on save)."""
        self.quiet_on = bool(value)

    @rx.event
    @guarded
    async def save_delivery(self, form: dict[str, Any]) -> None:
        """Store the channels per type and the quiet hours; a refused choice is explained and nothing changes."""
        lang = self.lang
        self.delivery_message = self.delivery_error = ""
        try:
            data = _input(form, self.quiet_on)

            def save(session: Session, user: User) -> _Shown:
                save_preferences(session=session, user=user, data=data)
                return _read(session, user, lang)

            shown = await self._run_as_user(save)
        except InvalidInput as exc:
            self.delivery_error = self._t(exc.code, **exc.params)
            return
        self._show(shown)
        self.delivery_message = self._t("common.saved")

"""The Settings page's "Daily review" section: whether the morning review is sent and at what local time."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from assistant.core.errors import InvalidInput
from assistant.models import User
from assistant.services.review.timing import review_schedule, save_review_schedule
from assistant.ui.state.auth import AuthState, guarded


def _read(session: Session, user: User) -> tuple[bool, str]:
    enabled, at, _ = review_schedule(session=session, user=user)
    return enabled, at.strftime("%H:%M")


class ReviewSettingsState(AuthState):
    """The stored switch and time (``HH:MM``, the user's zone) and the last save's outcome."""

    review_on: bool = True
    review_time: str = "08:00"
    review_message: str = ""
    review_error: str = ""
    review_form_key: int = 0

    @rx.event
    @guarded
    async def load_review(self) -> None:
        """``on_mount`` of the section: the stored schedule."""
        self.review_on, self.review_time = await self._run_as_user(_read)
        self.review_message = self.review_error = ""
        self.review_form_key += 1

    @rx.event
    def set_review_on(self, value: bool) -> None:
        """Switch the review on or off in the form (stored on save)."""
        self.review_on = bool(value)

    @rx.event
    @guarded
    async def save_review(self, form: dict[str, Any]) -> None:
        """Store the switch and the time; a time that is not ``HH:MM`` is explained and nothing changes."""
        self.review_message = self.review_error = ""
        enabled, at = self.review_on, str(form.get("review_time") or "")

        def save(session: Session, user: User) -> tuple[bool, str]:
            save_review_schedule(session=session, user=user, enabled=enabled, review_time=at)
            return _read(session, user)

        try:
            self.review_on, self.review_time = await self._run_as_user(save)
        except InvalidInput as exc:
            self.review_error = self._t(exc.code, **exc.params)
            return
        self.review_form_key += 1
        self.review_message = self._t("common.saved")

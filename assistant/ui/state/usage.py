"""The Settings page's "My usage" card: the signed-in user's messages and tokens of the last 30 days, by model."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from assistant.core.i18n import format_number, translate
from assistant.models import User
from assistant.services.analytics.periods import last_days
from assistant.services.analytics.usage import my_usage
from assistant.ui.state.auth import AuthState, guarded

#: How many days the card covers.
USAGE_DAYS = 30


class UsageState(AuthState):
    """``usage_summary``: one sentence (messages, input and output tokens); ``usage_models``: per model
    ``{model, answers, input_tokens, output_tokens}`` as shown."""

    usage_summary: str = ""
    usage_models: list[dict[str, str]] = []

    @rx.event
    @guarded
    async def load_usage(self) -> None:
        """Read the user's own usage (on mount of the card)."""
        async with self:
            lang = self.lang

        def work(session: Session, user: User) -> tuple[str, list[dict[str, str]]]:
            usage = my_usage(session=session, user=user, period=last_days(USAGE_DAYS, timezone=user.timezone))
            tokens_in, tokens_out = usage.tokens
            summary = translate("usage.summary", lang, messages=format_number(usage.messages, lang),
                                input=format_number(tokens_in, lang), output=format_number(tokens_out, lang))
            models = [{name: format_number(value, lang) if isinstance(value, int) else str(value)
                       for name, value in zip(usage.per_model.columns, row, strict=True)}
                      for row in usage.per_model.rows]
            return summary, models

        summary, models = await self._run_as_user(work)
        async with self:
            self.usage_summary, self.usage_models = summary, models

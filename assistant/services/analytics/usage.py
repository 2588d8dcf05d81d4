"""A user's own usage, for the Settings page: their messages and the tokens of the answers they got."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session

from assistant.models.user import User
from assistant.services.analytics.periods import Period
from assistant.services.analytics.tables import Table, cell

_MINE = ("JOIN chats c ON c.id = m.chat_id WHERE c.user_id = :user_id "
         "AND m.created_at >= :lo AND m.created_at < :hi")

_PER_DAY = (
    "WITH counted AS (SELECT (m.created_at AT TIME ZONE :tz)::date AS day, "
    "count(*) FILTER (WHERE m.role = 'user') AS messages, "
    "coalesce(sum(m.input_tokens) FILTER (WHERE m.role = 'assistant'), 0) AS input_tokens, "
    "coalesce(sum(m.output_tokens) FILTER (WHERE m.role = 'assistant'), 0) AS output_tokens "
    f"FROM messages m {_MINE} GROUP BY 1) "
    "SELECT d::date, coalesce(counted.messages, 0), coalesce(counted.input_tokens, 0), "
    "coalesce(counted.output_tokens, 0) "
    "FROM generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 day') AS d "
    "LEFT JOIN counted ON counted.day = d::date ORDER BY 1"
)

_PER_MODEL = (
    "SELECT m.model, count(*), coalesce(sum(m.input_tokens), 0), coalesce(sum(m.output_tokens), 0) "
    f"FROM messages m {_MINE} AND m.role = 'assistant' GROUP BY 1 "
    "ORDER BY sum(m.input_tokens) + sum(m.output_tokens) DESC, 1"
)


@dataclass(frozen=True)
class Usage:
    """``per_day`` (day, messages, input_tokens, output_tokens): every day of the period, the user's own
    messages and the tokens of the answers they got; ``per_model`` (model, answers, input_tokens,
    output_tokens): those answers by model, most tokens first."""

    per_day: Table
    per_model: Table

    @property
    def messages(self) -> int:
        """The user's messages in the period."""
        return _total(self.per_day, 1)

    @property
    def tokens(self) -> tuple[int, int]:
        """(input, output) tokens of the answers in the period."""
        return _total(self.per_day, 2), _total(self.per_day, 3)


def _total(table: Table, index: int) -> int:
    """The sum of column ``index`` (counts) over ``table``'s rows."""
    return sum(value for row in table.rows if isinstance(value := row[index], int))


def my_usage(*, session: Session, user: User, period: Period) -> Usage:
    """``user``'s own usage over ``period`` (only their chats; any signed-in user may ask for their own)."""
    params = period.params() | {"user_id": user.id}
    per_day = session.execute(text(_PER_DAY), params).all()
    per_model = session.execute(text(_PER_MODEL), params).all()
    return Usage(
        per_day=Table(key="usage_per_day", columns=("day", "messages", "input_tokens", "output_tokens"),
                      rows=[tuple(cell(value) for value in row) for row in per_day]),
        per_model=Table(key="usage_per_model", columns=("model", "answers", "input_tokens", "output_tokens"),
                        rows=[tuple(cell(value) for value in row) for row in per_model]),
    )

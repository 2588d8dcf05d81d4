"""The instance's usage, for admins: every table of the analytics page, each one SQL query over the stored
rows of a :class:`~assistant.services.analytics.periods.Period` (days bucketed in the period's time zone).

What each table counts (``lo``/``hi``: the period's bounds):

* ``messages_per_day`` (day, messages): user messages sent that day; every day of the period, 0 included.
* ``active_users_per_day`` (day, users): distinct users who sent a message that day; every day of the period.
* ``tokens_by_tier`` / ``tokens_by_provider`` / ``tokens_by_model`` (name, answers, input_tokens,
  output_tokens): assistant messages and their tokens, most tokens first.
* ``latency_by_model`` (model, answers, p50_ms, p95_ms): answer latency of assistant messages with a
  measured latency (``latency_ms > 0``), continuous percentiles.
* ``tool_calls`` (tool, calls): the calls listed in assistant messages' ``tool_calls``, by tool name.
* ``documents_by_status`` (status, documents, chunks): documents stored now (not limited to the period)
  and their chunks, every status, then a ``total`` row.
* ``ingestion_failures`` (error_code, documents): documents that failed, by their error code, counted
  when they last changed within the period.
* ``notifications_by_channel`` (channel, created, sent, failed, acknowledged, failed_attempts): notification
  rows created in the period on each channel, how many were sent (in-app: shown in the app; e-mail and
  Telegram: accepted by the server), failed for good and acknowledged; ``failed_attempts``: failed send
  attempts logged in the period (e-mail and Telegram retry; the app never fails).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from assistant.core.errors import NotFound
from assistant.models.document import DocumentStatus
from assistant.models.reminder import Channel
from assistant.models.user import Role, User
from assistant.services.analytics.periods import Period
from assistant.services.analytics.tables import Table, cell
from assistant.services.auth.permissions import require_role

_USER_MESSAGES = "m.role = 'user' AND m.created_at >= :lo AND m.created_at < :hi"
_ANSWERS = "m.role = 'assistant' AND m.created_at >= :lo AND m.created_at < :hi"
_DAYS = "generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 day')"


def _per_day(counted: str) -> str:
    """Every day of the period with the count of ``counted`` (a query of ``day, n``), 0 where it has none."""
    return (f"WITH counted AS ({counted}) SELECT d::date AS day, coalesce(counted.n, 0) "
            f"FROM {_DAYS} AS d LEFT JOIN counted ON counted.day = d::date ORDER BY 1")


def _tokens(dimension: str) -> str:
    return (f"SELECT m.{dimension}, count(*), coalesce(sum(m.input_tokens), 0), coalesce(sum(m.output_tokens), 0) "
            f"FROM messages m WHERE {_ANSWERS} GROUP BY 1 "
            f"ORDER BY sum(m.input_tokens) + sum(m.output_tokens) DESC, 1")


def _values(column: str, values: list[str]) -> str:
    """A ``VALUES`` list of fixed labels (enum values of the code, never input) as relation ``v(column, ord)``,
    ``ord`` their position."""
    return "(VALUES " + ", ".join(f"('{value}', {n})" for n, value in enumerate(values)) + f") AS v({column}, ord)"


_TOKEN_COLUMNS = ("answers", "input_tokens", "output_tokens")

#: key -> (columns, SQL). Every statement takes the parameters of :meth:`Period.params`.
QUERIES: dict[str, tuple[tuple[str, ...], str]] = {
    "messages_per_day": (("day", "messages"), _per_day(
        f"SELECT (m.created_at AT TIME ZONE :tz)::date AS day, count(*) AS n FROM messages m "
        f"WHERE {_USER_MESSAGES} GROUP BY 1")),
    "active_users_per_day": (("day", "users"), _per_day(
        f"SELECT (m.created_at AT TIME ZONE :tz)::date AS day, count(DISTINCT c.user_id) AS n "
        f"FROM messages m JOIN chats c ON c.id = m.chat_id WHERE {_USER_MESSAGES} GROUP BY 1")),
    "tokens_by_tier": (("tier", *_TOKEN_COLUMNS), _tokens("tier")),
    "tokens_by_provider": (("provider", *_TOKEN_COLUMNS), _tokens("provider")),
    "tokens_by_model": (("model", *_TOKEN_COLUMNS), _tokens("model")),
    "latency_by_model": (("model", "answers", "p50_ms", "p95_ms"), (
        "SELECT m.model, count(*), "
        "round(CAST(percentile_cont(0.5) WITHIN GROUP (ORDER BY m.latency_ms) AS numeric), 1), "
        "round(CAST(percentile_cont(0.95) WITHIN GROUP (ORDER BY m.latency_ms) AS numeric), 1) "
        f"FROM messages m WHERE {_ANSWERS} AND m.latency_ms > 0 GROUP BY 1 ORDER BY 1")),
    "tool_calls": (("tool", "calls"), (
        "SELECT coalesce(call ->> 'name', ''), count(*) "
        "FROM messages m CROSS JOIN LATERAL jsonb_array_elements(m.tool_calls) AS call "
        f"WHERE {_ANSWERS} AND m.tool_calls <> CAST('[]' AS jsonb) GROUP BY 1 ORDER BY 2 DESC, 1")),
    "documents_by_status": (("status", "documents", "chunks"), (
        "WITH counted AS (SELECT status, count(*) AS n, coalesce(sum(chunk_count), 0) AS chunks "
        "FROM documents GROUP BY status) "
        "SELECT status, n, chunks FROM (SELECT v.status, coalesce(counted.n, 0) AS n, "
        "coalesce(counted.chunks, 0) AS chunks, v.ord "
        f"FROM {_values('status', [status.value for status in DocumentStatus])} "
        "LEFT JOIN counted ON counted.status = v.status "
        "UNION ALL SELECT 'total', count(*), coalesce(sum(chunk_count), 0), 1000 FROM documents) AS t ORDER BY ord")),
    "ingestion_failures": (("error_code", "documents"), (
        "SELECT d.error_code, count(*) FROM documents d "
        "WHERE d.status = 'failed' AND d.updated_at >= :lo AND d.updated_at < :hi GROUP BY 1 ORDER BY 2 DESC, 1")),
    "notifications_by_channel": (
        ("channel", "created", "sent", "failed", "acknowledged", "failed_attempts"), (
            "WITH rows AS (SELECT n.channel, count(*) AS created, "
            "count(*) FILTER (WHERE n.sent_at IS NOT NULL) AS sent, "
            "count(*) FILTER (WHERE n.status = 'failed') AS failed, "
            "count(*) FILTER (WHERE n.acknowledged_at IS NOT NULL) AS acknowledged "
            "FROM notifications n WHERE n.created_at >= :lo AND n.created_at < :hi GROUP BY 1), "
            "attempts AS (SELECT n.channel, count(*) AS failed_attempts FROM notification_deliveries d "
            "JOIN notifications n ON n.id = d.notification_id "
            "WHERE d.outcome = 'failed' AND d.created_at >= :lo AND d.created_at < :hi GROUP BY 1) "
            "SELECT v.channel, coalesce(rows.created, 0), coalesce(rows.sent, 0), coalesce(rows.failed, 0), "
            "coalesce(rows.acknowledged, 0), coalesce(attempts.failed_attempts, 0) "
            f"FROM {_values('channel', [channel.value for channel in Channel])} "
            "LEFT JOIN rows ON rows.channel = v.channel LEFT JOIN attempts ON attempts.channel = v.channel "
            "ORDER BY v.ord")),
}

#: The tables of the analytics page, in the order shown.
TABLES: tuple[str, ...] = tuple(QUERIES)


def run_query(session: Session, key: str, period: Period) -> Table:
    """Table ``key`` for ``period``, with no role check (the benchmark and the functions below).

    Raises:
        NotFound: ``analytics.unknown_table`` for a key not in :data:`TABLES`.
    """
    if key not in QUERIES:
        raise NotFound("analytics.unknown_table")
    columns, sql = QUERIES[key]
    rows = session.execute(text(sql), period.params()).all()
    return Table(key=key, columns=columns, rows=[tuple(cell(value) for value in row) for row in rows])


def table(*, session: Session, user: User, key: str, period: Period) -> Table:
    """One table of the instance view (see the module docstring for what each counts).

    Raises:
        Forbidden: ``errors.forbidden`` unless ``user`` is an active admin.
        NotFound: ``analytics.unknown_table`` for a key not in :data:`TABLES`.
    """
    require_role(user, Role.ADMIN)
    return run_query(session, key, period)


def all_tables(*, session: Session, user: User, period: Period) -> list[Table]:
    """Every table of :data:`TABLES` for ``period``, in order.

    Raises:
        Forbidden: ``errors.forbidden`` unless ``user`` is an active admin.
    """
    require_role(user, Role.ADMIN)
    return [run_query(session, key, period) for key in TABLES]

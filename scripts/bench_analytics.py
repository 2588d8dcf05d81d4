"""Benchmark: usage analytics (issue 15). Generates ``--users`` users, ``--messages`` messages spread over the
last year (user, assistant and tool turns; four models of three providers on three tiers; tool calls on some
answers; latencies of a few hundred ms to seconds), ``--notifications`` notifications on the three channels with
their delivery attempts, and ``--documents`` documents into an embedded database with ``INSERT ... SELECT`` over
``generate_series`` (one statement per table), runs ``VACUUM ANALYZE``, then times every analytics table for a
``--days``-day range ``--repeat`` times (after one warm-up), through the service, as the page runs them.

Prints ONE JSON line: ``p50_ms`` / ``p95_ms`` per table, ``max_p95_ms`` (target <= 300), the clamped ten-year
range (every table once, ``ten_years_all_tables_ms``), one heavy user's ``my_usage`` over 30 days, the
generation time, the database size and the machine.

Usage: ``python scripts/bench_analytics.py [--users 1000] [--messages 1000000] [--notifications 50000]
[--documents 5000] [--days 90] [--repeat 30]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TIMEZONE = "Europe/Berlin"

#: One statement per table; ``:users`` etc. are the sizes. Chats: 20 per user. A message's chat is drawn with
#: random()^2, so some users are much more active than others.
GENERATE = [
    """INSERT INTO users (id, email, display_name, language, timezone, password_hash, role, is_active,
                          created_at, updated_at)
       SELECT gen_random_uuid(), 'bench-' || i || '@example.org', 'Bench ' || i, 'en', 'UTC', 'x',
              CASE WHEN i = 1 THEN 'admin' ELSE 'user' END, true, now() - interval '400 days', now()
       FROM generate_series(1, :users) AS i""",
    """INSERT INTO chats (id, user_id, title, title_is_auto, tier, created_at, updated_at)
       SELECT gen_random_uuid(), u.id, 'Chat ' || k, true, 'medium', now() - interval '380 days', now()
       FROM users u CROSS JOIN generate_series(1, 20) AS k""",
    """CREATE TEMP TABLE bench_chats AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM chats""",
    """INSERT INTO messages (id, chat_id, role, content, tool_calls, is_error, citations, context, provider,
                             model, tier, input_tokens, output_tokens, latency_ms, status, error_code, created_at)
       SELECT gen_random_uuid(), c.id, g.role, 'text', g.tool_calls, false, '[]'::jsonb, '[]'::jsonb,
              CASE WHEN g.role = 'assistant' THEN (ARRAY['openai', 'openai', 'anthropic', 'ollama'])[g.m] ELSE '' END,
              CASE WHEN g.role = 'assistant'
                   THEN (ARRAY['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4', 'llama3.1:8b'])[g.m] ELSE '' END,
              CASE WHEN g.role = 'assistant' THEN (ARRAY['small', 'medium', 'large', 'small'])[g.m] ELSE '' END,
              CASE WHEN g.role = 'assistant' THEN 200 + (random() * 4000)::int ELSE 0 END,
              CASE WHEN g.role = 'assistant' THEN 20 + (random() * 800)::int ELSE 0 END,
              CASE WHEN g.role = 'assistant' THEN 250 + (power(random(), 2) * 9000)::int * g.m ELSE 0 END,
              CASE WHEN g.i % 97 = 0 THEN 'error' ELSE 'complete' END,
              CASE WHEN g.i % 97 = 0 THEN 'llm.provider_error' ELSE '' END,
              now() - random() * interval '365 days'
       FROM (SELECT i,
                    CASE WHEN i % 20 < 8 THEN 'user' WHEN i % 20 < 17 THEN 'assistant' ELSE 'tool' END AS role,
                    1 + ((i / 20) * 3 + i) % 4 AS m,
                    CASE WHEN i % 20 BETWEEN 8 AND 16 AND i % 7 = 0
                         THEN jsonb_build_array(jsonb_build_object('id', 'c' || i, 'arguments', '{}'::jsonb, 'name',
                              (ARRAY['search_documents', 'create_reminder', 'remember', 'create_task', 'web_fetch',
                                     'generate_pdf'])[1 + i % 6]))
                              || CASE WHEN i % 3 = 0 THEN jsonb_build_array(jsonb_build_object(
                                     'id', 'd' || i, 'arguments', '{}'::jsonb, 'name', 'search_documents'))
                                 ELSE '[]'::jsonb END
                         ELSE '[]'::jsonb END AS tool_calls,
                    1 + floor(power(random(), 2) * :chats)::int AS chat_n
             FROM generate_series(1, :messages) AS i) AS g
       JOIN bench_chats c ON c.n = g.chat_n""",
    """INSERT INTO documents (id, owner_id, filename, storage_name, media_type, size_bytes, sha256, language,
                              chunk_count, status, progress, stage, error_code, error_detail, cancel_requested,
                              attempts, created_at, updated_at)
       SELECT gen_random_uuid(), u.id, 'doc-' || i || '.pdf', md5(i::text), 'application/pdf', 100000,
              md5('d' || i) || md5('e' || i), 'english',
              CASE WHEN i % 10 < 8 THEN 5 + i % 200 ELSE 0 END,
              (ARRAY['completed', 'completed', 'completed', 'completed', 'completed', 'completed', 'completed',
                     'completed', 'failed', 'pending'])[1 + i % 10],
              100, 'done',
              CASE WHEN i % 10 = 8
                   THEN (ARRAY['documents.error.encrypted', 'documents.error.no_text', 'documents.error.timeout'])[
                        1 + i % 3]
                   ELSE '' END,
              '', false, 1, now() - random() * interval '365 days', now() - random() * interval '365 days'
       FROM generate_series(1, :documents) AS i JOIN (SELECT row_number() OVER (ORDER BY id) AS n, id FROM users) u
            ON u.n = 1 + i % :users""",
    """INSERT INTO notifications (id, user_id, type, channel, status, title, body, snooze_count, attempts,
                                  sent_at, acknowledged_at, created_at, updated_at)
       SELECT gen_random_uuid(), u.id, 'reminder', g.channel, g.status, 'Reminder ' || g.i, '', 0,
              CASE WHEN g.channel = 'in_app' THEN 0 ELSE 1 + g.i % 2 END,
              CASE WHEN g.status IN ('sent', 'read', 'acknowledged') THEN g.at + interval '1 second' END,
              CASE WHEN g.status = 'acknowledged' THEN g.at + interval '5 minutes' END, g.at, g.at
       FROM (SELECT i, now() - random() * interval '365 days' AS at,
                    (ARRAY['in_app', 'in_app', 'in_app', 'email', 'telegram'])[1 + i % 5] AS channel,
                    CASE WHEN i % 5 >= 3 AND i % 11 = 0 THEN 'failed'
                         ELSE (ARRAY['sent', 'read', 'acknowledged', 'acknowledged'])[1 + i % 4] END AS status
             FROM generate_series(1, :notifications) AS i) AS g
       JOIN (SELECT row_number() OVER (ORDER BY id) AS n, id FROM users) u ON u.n = 1 + g.i % :users""",
    """INSERT INTO notification_deliveries (id, notification_id, attempt, outcome, detail, created_at)
       SELECT gen_random_uuid(), n.id, a,
              CASE WHEN n.status = 'failed' OR a < n.attempts THEN 'failed' ELSE 'sent' END, '',
              n.created_at + a * interval '1 minute'
       FROM notifications n CROSS JOIN LATERAL generate_series(1, n.attempts) AS a
       WHERE n.channel <> 'in_app'""",
]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _generate(sizes: dict[str, int]) -> float:
    from sqlalchemy import text

    from assistant.core.db import get_engine

    started = time.perf_counter()
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for statement in GENERATE:
            conn.execute(text(statement), {key: value for key, value in sizes.items() if f":{key}" in statement})
        conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


def _measure(args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import text
    from sqlmodel import Session

    from assistant.core.db import get_engine
    from assistant.models import User
    from assistant.services.analytics.instance import TABLES, all_tables, run_query
    from assistant.services.analytics.periods import bounded_period, last_days
    from assistant.services.analytics.usage import my_usage

    period = last_days(args.days, timezone=TIMEZONE)
    timings: dict[str, list[float]] = {key: [] for key in TABLES}
    rows: dict[str, int] = {}
    with Session(get_engine()) as session:
        for round_ in range(args.repeat + 1):
            for key in TABLES:
                started = time.perf_counter()
                found = run_query(session, key, period)
                if round_:
                    timings[key].append((time.perf_counter() - started) * 1000)
                rows[key] = len(found.rows)
        admin = session.exec(text("SELECT id FROM users WHERE role = 'admin'")).one()  # type: ignore[call-overload]
        actor = session.get(User, admin[0])
        today = datetime.now(UTC).date()
        started = time.perf_counter()
        wide = bounded_period(start=today - timedelta(days=3650), end=today, timezone=TIMEZONE)
        all_tables(session=session, user=actor, period=wide)
        ten_years = (time.perf_counter() - started) * 1000
        heavy = session.exec(text(  # type: ignore[call-overload]
            "SELECT c.user_id FROM messages m JOIN chats c ON c.id = m.chat_id GROUP BY 1 ORDER BY count(*) DESC "
            "LIMIT 1")).one()
        user = session.get(User, heavy[0])
        usage_ms = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            usage = my_usage(session=session, user=user, period=last_days(30, timezone=TIMEZONE))
            usage_ms.append((time.perf_counter() - started) * 1000)
        size = session.exec(text("SELECT pg_database_size(current_database())")).one()[0]  # type: ignore[call-overload]
    p95 = {key: round(_percentile(values, 0.95), 1) for key, values in timings.items()}
    return {
        "p50_ms": {key: round(statistics.median(values), 1) for key, values in timings.items()},
        "p95_ms": p95,
        "max_p95_ms": max(p95.values()),
        "rows": rows,
        "ten_years_days": wide.days,
        "ten_years_all_tables_ms": round(ten_years, 1),
        "my_usage_30d_heavy_user_p95_ms": round(_percentile(usage_ms, 0.95), 1),
        "my_usage_heavy_user_messages": usage.messages,
        "database_mb": round(size / 2**20),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--notifications", type=int, default=50_000)
    parser.add_argument("--documents", type=int, default=5000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    from assistant.core.config import get_settings
    from assistant.core.db import get_engine, start_embedded_postgres, stop_embedded_postgres
    from assistant.core.migrations import upgrade

    with tempfile.TemporaryDirectory(prefix="bench-analytics-") as tmp:
        url = start_embedded_postgres(Path(tmp) / "pg", "bench")
        try:
            upgrade(url)
            os.environ["DATABASE_URL"] = url
            os.environ["ASSISTANT_DATA_DIR"] = str(Path(tmp) / "data")
            get_settings.cache_clear()
            get_engine.cache_clear()
            sizes = {"users": args.users, "chats": args.users * 20, "messages": args.messages,
                     "notifications": args.notifications, "documents": args.documents}
            generated = _generate(sizes)
            result = _measure(args)
            get_engine().dispose()
        finally:
            stop_embedded_postgres(Path(tmp) / "pg")
    print(json.dumps({"bench": "analytics", **sizes, "days": args.days, "repeat": args.repeat,
                      "timezone": TIMEZONE, **result, "generate_s": round(generated, 1),
                      "target_p95_ms": 300, "cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2),
                      "python": platform.python_version(), "date": date.today().isoformat()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A small usage dataset with known numbers for the analytics tests (services and API).

Two users in ``America/New_York`` days: on day ``A`` (three days ago) alice asks twice, the second time at
23:30 local (already the next day in UTC), and gets two ``gpt-a`` answers (openai, medium; 100+10 and 200+20
tokens; 1,000 and 3,000 ms; tool calls search_documents twice, remember once, and one tool named like a
spreadsheet formula); on ``A+1`` bob asks once and gets a ``claude-b`` answer (anthropic, large; 50+5 tokens;
2,000 ms) and a failed one (no tokens, no latency). A message of alice's and a notification lie before the
period. Documents: completed (5 chunks), failed (``documents.error.no_text``), pending. Notifications in the
period: in-app sent and acknowledged; e-mail failed after two failed attempts; Telegram sent on its second
attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from assistant.core.db import session_scope
from assistant.models import Chat, Document, Message, Notification, NotificationDelivery, User
from assistant.services.analytics.periods import Period, bounded_period

TIMEZONE = "America/New_York"
FORMULA_TOOL = "=HYPERLINK(\"http://x\")"


@dataclass(frozen=True)
class Seeded:
    admin: User
    alice: User
    bob: User
    period: Period
    day_a: date


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo(TIMEZONE))


def seed(make_user) -> Seeded:
    """Store the dataset (module docstring); the period is the last seven days up to today (New York)."""
    admin = make_user(role="admin", email="admin@example.com")
    alice, bob = make_user(email="alice@example.com"), make_user(email="bob@example.com")
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    period = bounded_period(start=today - timedelta(days=6), end=today, timezone=TIMEZONE)
    day_a = today - timedelta(days=3)
    before = period.start - timedelta(days=1)
    with session_scope() as session:
        chat_a, chat_b = Chat(user_id=alice.id, title="a"), Chat(user_id=bob.id, title="b")
        session.add_all([chat_a, chat_b])
        session.flush()
        gpt = {"provider": "openai", "model": "gpt-a", "tier": "medium"}
        claude = {"provider": "anthropic", "model": "claude-b", "tier": "large"}
        session.add_all([
            Message(chat_id=chat_a.id, role="user", content="q0", created_at=_at(before, 12)),
            Message(chat_id=chat_a.id, role="assistant", input_tokens=7, output_tokens=7, latency_ms=700,
                    created_at=_at(before, 12, 1), **gpt),
            Message(chat_id=chat_a.id, role="user", content="q1", created_at=_at(day_a, 10)),
            Message(chat_id=chat_a.id, role="assistant", input_tokens=100, output_tokens=10, latency_ms=1000,
                    tool_calls=[{"id": "1", "name": "search_documents", "arguments": {}},
                                {"id": "2", "name": "remember", "arguments": {}},
                                {"id": "3", "name": FORMULA_TOOL, "arguments": {}}],
                    created_at=_at(day_a, 10, 1), **gpt),
            Message(chat_id=chat_a.id, role="tool", tool_call_id="1", content="r", created_at=_at(day_a, 10, 1)),
            Message(chat_id=chat_a.id, role="user", content="q2", created_at=_at(day_a, 23, 30)),
            Message(chat_id=chat_a.id, role="assistant", input_tokens=200, output_tokens=20, latency_ms=3000,
                    tool_calls=[{"id": "4", "name": "search_documents", "arguments": {}}],
                    created_at=_at(day_a, 23, 31), **gpt),
            Message(chat_id=chat_b.id, role="user", content="q3", created_at=_at(day_a + timedelta(days=1), 9)),
            Message(chat_id=chat_b.id, role="assistant", input_tokens=50, output_tokens=5, latency_ms=2000,
                    created_at=_at(day_a + timedelta(days=1), 9, 1), **claude),
            Message(chat_id=chat_b.id, role="assistant", status="error", error_code="llm.provider_error",
                    created_at=_at(day_a + timedelta(days=1), 9, 2), **claude),
        ])
        documents = ((alice, "completed", 5, ""), (alice, "failed", 0, "documents.error.no_text"),
                     (bob, "pending", 0, ""))
        for owner, status, chunks, code in documents:
            session.add(Document(owner_id=owner.id, filename=f"{status}.pdf", storage_name=status,
                                 media_type="application/pdf", size_bytes=1, sha256=status, status=status,
                                 chunk_count=chunks, error_code=code))
        sent = _at(day_a, 8)
        in_app = Notification(user_id=alice.id, type="reminder", channel="in_app", status="acknowledged", title="t",
                              sent_at=sent, acknowledged_at=sent + timedelta(minutes=5), created_at=sent)
        email = Notification(user_id=alice.id, type="reminder", channel="email", status="failed", title="t",
                             attempts=2, created_at=sent)
        telegram = Notification(user_id=bob.id, type="reminder", channel="telegram", status="sent", title="t",
                                attempts=2, sent_at=sent + timedelta(minutes=2), created_at=sent)
        old = Notification(user_id=bob.id, type="reminder", channel="in_app", status="sent", title="t",
                           sent_at=_at(before, 8), created_at=_at(before, 8))
        session.add_all([in_app, email, telegram, old])
        session.flush()
        session.add_all([
            NotificationDelivery(notification_id=email.id, attempt=1, outcome="failed", detail="550",
                                 created_at=sent + timedelta(minutes=1)),
            NotificationDelivery(notification_id=email.id, attempt=2, outcome="failed", detail="550",
                                 created_at=sent + timedelta(minutes=2)),
            NotificationDelivery(notification_id=telegram.id, attempt=1, outcome="failed", detail="timeout",
                                 created_at=sent + timedelta(minutes=1)),
            NotificationDelivery(notification_id=telegram.id, attempt=2, outcome="sent", detail="42",
                                 created_at=sent + timedelta(minutes=2)),
        ])
    return Seeded(admin=admin, alice=alice, bob=bob, period=period, day_a=day_a)

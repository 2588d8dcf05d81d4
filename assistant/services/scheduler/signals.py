"""The web process's half of scheduling: tell the worker's scheduler that a row changed.

A signal is a PostgreSQL ``NOTIFY`` on :data:`SCHEDULER_CHANNEL` with the payload ``"<kind>:<uuid>"``; sent
inside the caller's transaction, it reaches the worker only when the row it names is committed (nothing if
it rolls back). The scheduler reads the row again and (re)schedules or removes its job; a lost signal is
repaired when the worker reconciles rows and jobs on start and every few minutes.
"""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy import text
from sqlmodel import Session

#: The NOTIFY channel the worker's scheduler listens on.
SCHEDULER_CHANNEL = "scheduler_signals"

#: What a signal names: a reminder (created, edited, paused, resumed, snoozed, deleted), a notification
#: (snoozed: to be delivered again at its new ``scheduled_at``) or a run of a task handed to the assistant
#: (queued: to start at its ``due_at``; cancelled before it started), or a notification whose ``escalate_at``
#: was set or cleared (its occurrence is sent on the next channel then, unless acknowledged), or a user whose
#: daily review time or switch changed, or a report or data export (queued: to build now; deleted or cancelled).
SignalKind = Literal["reminder", "notification", "task_run", "escalation", "review", "report"]
_KINDS = ("reminder", "notification", "task_run", "escalation", "review", "report")


def signal_scheduler(session: Session, kind: SignalKind, item_id: uuid.UUID) -> None:
    """Queue a signal for ``item_id`` on ``session``'s transaction (sent when it commits)."""
    session.execute(text("SELECT pg_notify(:channel, :message)"),
                    {"channel": SCHEDULER_CHANNEL, "message": f"{kind}:{item_id}"})


def parse_signal(message: str) -> tuple[SignalKind, uuid.UUID] | None:
    """``(kind, id)`` from a signal's payload, or None for a malformed one."""
    kind, _, raw = message.partition(":")
    if kind not in _KINDS:
        return None
    try:
        return kind, uuid.UUID(raw)  # type: ignore[return-value]
    except ValueError:
        return None

"""Daily reviews as jobs of the leader's scheduler (:mod:`assistant.worker.scheduler`).

Each active user whose review is on has the job ``review:<user uuid>`` at their next review time
(:func:`assistant.services.review.timing.next_review_at`), run in the scheduler's :data:`RUN_EXECUTOR` (the
model may take a while; reminders never wait for it). After it runs, the job is set for the next day. A
changed review time or an account turned off arrives as the signal ``review:<user id>``; the reconciliation
sets the jobs of new users. Missed reviews follow the reminders' rule: a review whose time passed at most the
grace window ago (the worker was down) runs late, once; an older one is skipped, and the next is the next day's.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Protocol

from sqlmodel import col, select

from assistant.core.db import session_scope
from assistant.models import DeliveryPreferences, User
from assistant.models.base import utcnow
from assistant.services.review.compose import send_review
from assistant.services.review.timing import DEFAULT_REVIEW_TIME, next_review_at

log = logging.getLogger("assistant.worker.scheduler")


class ReviewBook(Protocol):
    """The scheduler's side that this module needs (:class:`assistant.worker.scheduler.Jobs`)."""

    grace: timedelta

    def set_review(self, user_id: uuid.UUID, run_at: datetime) -> None: ...

    def remove(self, job_id: str) -> None: ...


def review_job_id(user_id: uuid.UUID) -> str:
    """``review:<uuid>``: the id of a user's daily review job."""
    return f"review:{user_id}"


def _due_at(prefs: DeliveryPreferences | None, timezone: str, now: datetime, grace: timedelta) -> datetime:
    """The next review time after the last review and after ``now - grace``."""
    after = now - grace
    if prefs is not None and prefs.last_review_at is not None and prefs.last_review_at > after:
        after = prefs.last_review_at
    return next_review_at(prefs.review_time if prefs is not None else DEFAULT_REVIEW_TIME, timezone, after)


def due_reviews(grace: timedelta, now: datetime | None = None) -> list[tuple[uuid.UUID, datetime]]:
    """``(user id, next review time)`` of every active user whose review is on, for the reconciliation."""
    at = now or utcnow()
    with session_scope() as session:
        rows = session.exec(select(User.id, User.timezone, DeliveryPreferences)
                            .join(DeliveryPreferences, col(DeliveryPreferences.user_id) == col(User.id), isouter=True)
                            .where(User.is_active)).all()
        return [(user_id, _due_at(prefs, timezone, at, grace)) for user_id, timezone, prefs in rows
                if prefs is None or prefs.review_enabled]


def sync_review(user_id: uuid.UUID, book: ReviewBook) -> None:
    """Make the review job of ``user_id`` match the account and its preferences (set, moved or removed)."""
    with session_scope() as session:
        user = session.get(User, user_id)
        prefs = session.get(DeliveryPreferences, user_id)
        if user is None or not user.is_active or (prefs is not None and not prefs.review_enabled):
            book.remove(review_job_id(user_id))
            return
        book.set_review(user_id, _due_at(prefs, user.timezone, utcnow(), book.grace))


def run_review(user_id: str, book: ReviewBook) -> None:
    """The job's work: send the review of ``user_id`` (:func:`assistant.services.review.compose.send_review`),
    then set the job for the next one."""
    sent = send_review(uuid.UUID(user_id), now=utcnow())
    log.info("daily review of user %s %s", user_id, "sent" if sent else "not sent (off, gone, or sent already)")
    sync_review(uuid.UUID(user_id), book)

"""The daily review as the real worker's scheduler sends it: at each user's local review time, written by the
model for a user whose tier has one and as a plain digest for a user whose tier has none; once."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select
from support.llm_server import LoopbackLLMServer, openai_env
from support.scripted_model import ScriptedModel
from support.worker import leading_worker, wait_for, worker_environment

from assistant.core.db import session_scope
from assistant.models import DeliveryPreferences, Notification, User
from assistant.models.user import Role
from assistant.services.llm.tiers import set_tier
from assistant.services.scheduler.signals import signal_scheduler
from assistant.services.tasks.due import parse_due
from assistant.services.tasks.tasks import create_task

MODEL_REVIEW = "Today: **call the clinic** before noon."


@pytest.fixture(scope="module")
def model():
    with LoopbackLLMServer() as server:
        yield ScriptedModel(server, title=MODEL_REVIEW)


@pytest.fixture(scope="module")
def worker(database, tmp_path_factory, model):
    with leading_worker("reviews", tmp_path_factory.mktemp("reviews"),
                        worker_environment(database.url, database.data_dir) | openai_env(model.server)) as worker:
        yield worker


def _review_in_seconds(session, user: User, zone: str, seconds: int, tier: str) -> datetime:
    """Put ``user`` in ``zone`` with a task due today, the review a few seconds from now on their clock."""
    row = session.get_one(User, user.id)
    row.timezone, row.default_tier = zone, tier
    local = (datetime.now(ZoneInfo(zone)) + timedelta(seconds=seconds)).replace(microsecond=0)
    create_task(session=session, user=row, title="Call the clinic", due=parse_due(local.date()))
    session.add(DeliveryPreferences(user_id=user.id, review_time=local.time()))
    signal_scheduler(session, "review", user.id)
    return local


def _reviews(user: User) -> list[Notification]:
    with session_scope() as session:
        return list(session.exec(select(Notification).where(
            Notification.user_id == user.id, col(Notification.idempotency_key).startswith("review:"))))


def test_reviews_fire_at_each_users_local_time_with_and_without_a_model(worker, model, make_user, call) -> None:
    admin = make_user(role=Role.ADMIN)
    # the small tier runs on Anthropic, which has no key here: its users have no model
    call(set_tier, actor=admin, name="small", data={"provider": "anthropic", "model": "claude-haiku-4-5",
                                                    "max_tokens": 500, "temperature": 0.2, "context_window": 200000})
    with_model, without_model = make_user(), make_user()
    with session_scope() as session:
        due_tokyo = _review_in_seconds(session, with_model, "Asia/Tokyo", 6, "medium")
        due_berlin = _review_in_seconds(session, without_model, "Europe/Berlin", 8, "small")

    wait_for(lambda: bool(_reviews(with_model)) and bool(_reviews(without_model)), 60, "both reviews", [worker])
    [written] = _reviews(with_model)
    [digest] = _reviews(without_model)
    assert written.type == "ai_generated" and written.body == MODEL_REVIEW
    assert digest.type == "info" and "Call the clinic (due" in digest.body
    for row, due in ((written, due_tokyo), (digest, due_berlin)):
        late = (row.created_at - due).total_seconds()
        assert -0.5 <= late < 10, f"sent {late:.1f} s after the user's review time"
    time.sleep(2)
    assert len(_reviews(with_model)) == 1 and len(_reviews(without_model)) == 1

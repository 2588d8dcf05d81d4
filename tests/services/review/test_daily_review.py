"""The daily review: written by the model from the user's lists (bounded), a plain digest without a model, at
most one a day, and at the user's local review time across DST changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select
from support.llm_server import LoopbackLLMServer
from support.scripted_model import ScriptedModel

from assistant.core.db import session_scope
from assistant.models import DeliveryPreferences, Notification, User
from assistant.models.base import utcnow
from assistant.services.review import materials
from assistant.services.review.compose import send_review
from assistant.services.review.timing import next_review_at
from assistant.services.scheduler.reminders import ReminderInput, create_reminder
from assistant.services.tasks.due import parse_due
from assistant.services.tasks.tasks import create_task

MODEL_REVIEW = "Good morning. **Renew the prescription** today; metformin at 20:00."


@pytest.fixture(scope="module")
def model():
    with LoopbackLLMServer() as server:
        yield ScriptedModel(server, title=MODEL_REVIEW)


@pytest.fixture
def patient(make_user, call) -> User:
    """A Berlin user with a task due today, one overdue, and a medication reminder later today."""
    user = make_user()

    def setup(session, user):
        row = session.get(User, user.id)
        row.timezone = "Europe/Berlin"
        session.add(row)
        now = utcnow()
        local = now.astimezone(ZoneInfo("Europe/Berlin"))
        create_task(session=session, user=row, title="Renew the prescription", due=parse_due(local.date()))
        create_task(session=session, user=row, title="Book the blood test",
                    due=parse_due(local.date() - timedelta(days=2)))
        create_task(session=session, user=row, title="Someday: learn Italian")
        later = (local + timedelta(hours=3)).replace(tzinfo=None, microsecond=0)
        create_reminder(session=session, user=row, data=ReminderInput(
            title="Metformin 500 mg", starts_at=later, kind="medication", timezone="Europe/Berlin"))
        return row

    return call(setup, user=user)


def reviews(user: User) -> list[Notification]:
    with session_scope() as session:
        return list(session.exec(select(Notification).where(
            Notification.user_id == user.id, col(Notification.idempotency_key).startswith("review:"))))


def test_without_a_model_the_review_is_a_plain_digest_of_the_same_lists_sent_once_a_day(patient) -> None:
    now = utcnow()
    assert send_review(patient.id, now=now) is True
    [row] = reviews(patient)
    assert row.type == "info" and row.title.startswith("Your daily review")
    assert "Renew the prescription" in row.body and "Book the blood test (overdue since" in row.body
    assert "Metformin 500 mg at" in row.body and "learn Italian" not in row.body  # not due: not in the review
    assert send_review(patient.id, now=now + timedelta(minutes=1)) is False
    assert len(reviews(patient)) == 1
    with session_scope() as session:
        assert session.get(DeliveryPreferences, patient.id).last_review_at is not None


def test_with_a_model_the_assistant_writes_the_review_from_bounded_lists(patient, configure, model) -> None:
    model.reset()
    model.title = MODEL_REVIEW
    configure(openai_api_key="sk-loopback", openai_base_url=f"{model.server.url}/v1")
    assert send_review(patient.id, now=utcnow()) is True
    [row] = reviews(patient)
    assert row.type == "ai_generated" and row.body == MODEL_REVIEW
    [request] = model.server.requests
    prompt = json.dumps(request.body)
    assert "Renew the prescription" in prompt and "Metformin 500 mg" in prompt
    assert len(prompt) < materials.MAX_INPUT_CHARS + 4_000


def test_a_review_turned_off_sends_nothing(patient, call) -> None:
    def turn_off(session, user):
        session.add(DeliveryPreferences(user_id=user.id, review_enabled=False))

    call(turn_off, user=patient)
    assert send_review(patient.id, now=utcnow()) is False
    assert reviews(patient) == []


def test_the_input_is_cut_to_its_bound_and_says_so() -> None:
    many = materials.Materials(memories=[f"fact number {i} " + "x" * 300 for i in range(200)])
    text = materials.as_text(many, "en")
    assert len(text) <= materials.MAX_INPUT_CHARS + 100 and text.endswith("(The list was shortened to fit the review.)")


@pytest.mark.parametrize(("zone", "after", "expected"), [
    # 08:00 in Berlin: 07:00 UTC in winter, 06:00 UTC after the spring change on 2026-03-29
    ("Europe/Berlin", datetime(2026, 3, 28, 7, 30, tzinfo=UTC), datetime(2026, 3, 29, 6, 0, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2026, 10, 24, 6, 30, tzinfo=UTC), datetime(2026, 10, 25, 7, 0, tzinfo=UTC)),
    ("America/New_York", datetime(2026, 3, 8, 0, 0, tzinfo=UTC), datetime(2026, 3, 8, 12, 0, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2026, 3, 28, 6, 59, tzinfo=UTC), datetime(2026, 3, 28, 7, 0, tzinfo=UTC)),
])
def test_the_review_time_stays_on_the_local_clock_across_dst(zone, after, expected) -> None:
    assert next_review_at(time(8, 0), zone, after) == expected


def test_the_daily_review_setting_is_saved_refused_when_malformed_and_the_digest_goes_by_mail(
        patient, make_user, call) -> None:
    from support.delivery import reachable, set_up_mail
    from support.smtp_server import smtp_server

    from assistant.core.errors import InvalidInput
    from assistant.models.user import Role
    from assistant.services.notifications.preferences import PreferencesInput, save_preferences
    from assistant.services.review.timing import save_review_schedule

    with pytest.raises(InvalidInput) as refused:
        call(save_review_schedule, user=patient, enabled=True, review_time="8 o'clock")
    assert refused.value.code == "review.time_invalid"
    call(save_review_schedule, user=patient, enabled=True, review_time="07:15")
    with session_scope() as session:
        stored = session.get(DeliveryPreferences, patient.id)
        assert (stored.review_enabled, stored.review_time) == (True, time(7, 15))
    with smtp_server() as server:
        set_up_mail(make_user(role=Role.ADMIN), server)
        patient = reachable(patient)
        call(save_preferences, user=patient, data=PreferencesInput(channels={"ai_generated": ["email"]}))
        assert send_review(patient.id, now=utcnow()) is True
    rows = reviews(patient)
    assert sorted(row.channel for row in rows) == ["email", "in_app"] and {row.type for row in rows} == {"info"}

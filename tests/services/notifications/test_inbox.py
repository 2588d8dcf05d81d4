"""The in-app inbox on a real database, with notification rows inserted as the worker inserts them: what the
bell counts, the page's filters, mark read / mark all read, Done/Taken (every channel of the occurrence, the
time stored once), Snooze (pending again, the scheduler signalled on commit), the events to the user's tabs,
refused input that changes nothing, and another user who can neither see nor touch any of it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import psycopg
import pytest

from assistant.core import events
from assistant.core.db import session_scope
from assistant.core.errors import InvalidInput, NotFound
from assistant.models import Notification, Reminder
from assistant.models.base import utcnow
from assistant.services.notifications import inbox
from assistant.services.scheduler.signals import SCHEDULER_CHANNEL


def _reminder(user, *, kind: str = "general") -> Reminder:
    reminder = Reminder(user_id=user.id, title="Metformin 500 mg", kind=kind, timezone="Europe/Berlin",
                        starts_at=datetime(2026, 3, 1, 8, 0))
    with session_scope() as session:
        session.add(reminder)
    return reminder


def _row(user, *, type: str = "info", status: str = "sent", channel: str = "in_app", reminder: Reminder | None = None,
         occurrence_at: datetime | None = None, read: bool = False, expires_in: timedelta | None = timedelta(hours=1),
         sent_ago: timedelta = timedelta(minutes=1), title: str = "Hello") -> Notification:
    """A committed notification row, as the worker stores it when it delivers one."""
    now = utcnow()
    occurrence = occurrence_at or now - sent_ago
    key = (f"reminder:{reminder.id}:{occurrence.isoformat()}:{channel}" if reminder is not None
           else f"test:{uuid.uuid4()}")
    row = Notification(user_id=user.id, type="reminder" if reminder is not None else type, channel=channel,
                       status=status, title=title, reminder_id=reminder.id if reminder is not None else None,
                       occurrence_at=occurrence if reminder is not None else None, scheduled_at=occurrence,
                       sent_at=None if status == "pending" else now - sent_ago, read_at=now if read else None,
                       expires_at=now + expires_in if expires_in is not None else None, idempotency_key=key)
    with session_scope() as session:
        session.add(row)
    return row


def _stored(row_id: uuid.UUID) -> Notification:
    with session_scope() as session:
        return session.get_one(Notification, row_id)


def _heard(url: str, channel: str, action: Callable[[], object]) -> list[str]:
    """The NOTIFY payloads sent on ``channel`` while ``action()`` ran and committed."""
    with psycopg.connect(url, autocommit=True) as listener:
        listener.execute(f"LISTEN {channel}")
        action()
        return [note.payload for note in listener.notifies(timeout=0.5)]


def _events(url: str, action: Callable[[], object]) -> list[events.Event]:
    return [event for message in _heard(url, events.CHANNEL, action)
            if isinstance(event := events.decode(message), events.Event)]


@pytest.fixture
def ann(make_user):
    return make_user(email="ann@example.org")


@pytest.fixture
def bob(make_user):
    return make_user(email="bob@example.org")


def test_the_bell_counts_unread_news_and_open_reminders_of_its_user_only(call, ann, bob):
    pills = _reminder(ann, kind="medication")
    counted = {
        "unread info": _row(ann, sent_ago=timedelta(minutes=9)),
        "open reminder": _row(ann, reminder=pills, sent_ago=timedelta(minutes=1)),
        "read but not taken": _row(ann, reminder=pills, status="read", read=True, sent_ago=timedelta(minutes=3)),
        "missed, not seen": _row(ann, reminder=pills, status="missed", sent_ago=timedelta(minutes=5)),
    }
    not_counted = [
        _row(ann, status="read", read=True),
        _row(ann, reminder=pills, expires_in=timedelta(minutes=-1), sent_ago=timedelta(hours=2)),
        _row(ann, reminder=pills, status="acknowledged", sent_ago=timedelta(hours=3)),
        _row(ann, reminder=pills, status="pending", sent_ago=timedelta(hours=4)),
        _row(ann, reminder=pills, status="missed", read=True, sent_ago=timedelta(hours=5)),
        _row(ann, channel="email", sent_ago=timedelta(minutes=2)),
    ]
    _row(bob, title="Bob's")

    assert call(inbox.unread_count, user=ann) == 4
    assert call(inbox.unread_count, user=bob) == 1
    attention = call(inbox.attention_items, user=ann, limit=3)
    assert [item.notification.id for item in attention] == [counted["open reminder"].id,
                                                            counted["read but not taken"].id,
                                                            counted["missed, not seen"].id]
    assert attention[0].reminder_kind == "medication"
    unread = call(inbox.list_notifications, user=ann, filter="unread")
    assert {item.notification.id for item in unread} == {row.id for row in counted.values()}
    everything = call(inbox.list_notifications, user=ann)
    assert len(everything) == 9  # in-app rows only: the e-mail row is the same news on another channel
    assert [item.notification.title for item in call(inbox.list_notifications, user=bob)] == ["Bob's"]
    assert {item.notification.id for item in everything} == (
        {row.id for row in counted.values()} | {row.id for row in not_counted if row.channel == "in_app"})
    assert len(call(inbox.list_notifications, user=ann, filter="reminders")) == 7
    assert {item.notification.status for item in call(inbox.list_notifications, user=ann, filter="missed")} == {
        "missed"}
    assert len(call(inbox.list_notifications, user=ann, limit=2, offset=8)) == 1


def test_mark_read_and_mark_all_read_leave_open_reminders_on_the_bell(call, database, ann):
    pills = _reminder(ann)
    news, other = _row(ann), _row(ann, title="Second")
    reminder = _row(ann, reminder=pills)
    missed = _row(ann, reminder=pills, status="missed", occurrence_at=utcnow() - timedelta(days=1))
    assert call(inbox.unread_count, user=ann) == 4

    heard = _events(database.url, lambda: call(inbox.mark_read, user=ann, notification_id=news.id))
    assert [(e.user_ids, e.topic, e.payload) for e in heard] == [
        (frozenset({ann.id}), "notification", {"notification_id": str(news.id), "status": "read"})]
    first = _stored(news.id)
    assert first.status == "read" and first.read_at is not None
    assert _events(database.url, lambda: call(inbox.mark_read, user=ann, notification_id=news.id)) == []
    assert _stored(news.id).read_at == first.read_at
    assert call(inbox.unread_count, user=ann) == 3

    assert call(inbox.mark_all_read, user=ann) == 3
    assert _stored(other.id).status == "read"
    assert _stored(missed.id).status == "missed" and _stored(missed.id).read_at is not None
    assert _stored(reminder.id).status == "read"
    assert call(inbox.unread_count, user=ann) == 1  # the reminder waits for Done/Snooze
    assert call(inbox.mark_all_read, user=ann) == 0


def test_done_acknowledges_every_channel_of_the_occurrence_once(call, database, ann):
    pills = _reminder(ann, kind="medication")
    occurrence = utcnow().replace(microsecond=0) - timedelta(minutes=2)
    in_app = _row(ann, reminder=pills, occurrence_at=occurrence)
    by_mail = _row(ann, reminder=pills, occurrence_at=occurrence, channel="email", status="pending")
    yesterday = _row(ann, reminder=pills, occurrence_at=occurrence - timedelta(days=1), status="read", read=True)
    before = utcnow()

    heard: list[str] = []
    bus = _events(database.url, lambda: heard.extend(_heard(
        database.url, SCHEDULER_CHANNEL, lambda: call(inbox.acknowledge, user=ann, notification_id=in_app.id))))
    after = utcnow()

    done = _stored(in_app.id)
    assert done.status == "acknowledged" and before <= done.acknowledged_at <= after
    assert done.read_at == done.acknowledged_at
    assert _stored(by_mail.id).status == "acknowledged"
    assert _stored(by_mail.id).acknowledged_at == done.acknowledged_at
    assert heard == [f"notification:{by_mail.id}"]  # the pending one is not delivered again
    assert [e.payload for e in bus] == [{"notification_id": str(in_app.id), "status": "acknowledged"}]
    assert _stored(yesterday.id).status == "read"
    assert call(inbox.unread_count, user=ann) == 1  # yesterday's is still open

    assert _events(database.url, lambda: call(inbox.acknowledge, user=ann, notification_id=in_app.id)) == []
    assert _stored(in_app.id).acknowledged_at == done.acknowledged_at


def test_a_missed_occurrence_may_be_acknowledged_late_and_news_cannot_be(call, ann):
    pills = _reminder(ann)
    missed = _row(ann, reminder=pills, status="missed", occurrence_at=utcnow() - timedelta(hours=3))
    call(inbox.acknowledge, user=ann, notification_id=missed.id)
    late = _stored(missed.id)
    assert late.status == "acknowledged" and late.acknowledged_at - late.occurrence_at >= timedelta(hours=3)

    news = _row(ann)
    with pytest.raises(InvalidInput) as refused:
        call(inbox.acknowledge, user=ann, notification_id=news.id)
    assert refused.value.code == "notifications.not_a_reminder"
    assert _stored(news.id).status == "sent"


def test_snooze_makes_it_pending_and_signals_the_scheduler_on_commit(call, database, ann):
    pills = _reminder(ann)
    row = _row(ann, reminder=pills, status="read", read=True, expires_in=timedelta(minutes=30))
    before = utcnow()

    bus: list[events.Event] = []
    signals = _heard(database.url, SCHEDULER_CHANNEL, lambda: bus.extend(_events(
        database.url, lambda: call(inbox.snooze, user=ann, notification_id=row.id, minutes=60))))

    snoozed = _stored(row.id)
    assert snoozed.status == "pending" and snoozed.snooze_count == 1 and snoozed.read_at is None
    assert before + timedelta(minutes=60) <= snoozed.scheduled_at <= utcnow() + timedelta(minutes=60)
    assert snoozed.expires_at == snoozed.scheduled_at + inbox.SNOOZED_EXPIRY  # it asks again when it is back
    assert signals == [f"notification:{row.id}"]
    assert [e.payload for e in bus] == [{"notification_id": str(row.id), "status": "pending"}]
    assert call(inbox.unread_count, user=ann) == 0

    call(inbox.snooze, user=ann, notification_id=row.id, minutes="10")
    assert _stored(row.id).snooze_count == 2

    def rolled_back() -> None:
        with pytest.raises(RuntimeError), session_scope() as session:
            inbox.snooze(session=session, user=ann, notification_id=row.id, minutes=5)
            raise RuntimeError("the request failed after the snooze")

    assert _heard(database.url, SCHEDULER_CHANNEL, rolled_back) == []
    assert _stored(row.id).snooze_count == 2


@pytest.mark.parametrize("minutes", [0, 1441, -5, "soon", "", True, None, 2.5])
def test_a_snooze_of_a_refused_length_changes_nothing(call, database, ann, minutes):
    row = _row(ann, reminder=_reminder(ann))
    with pytest.raises(InvalidInput) as refused:
        _heard(database.url, SCHEDULER_CHANNEL,
               lambda: call(inbox.snooze, user=ann, notification_id=row.id, minutes=minutes))
    assert refused.value.code == "reminders.snooze_invalid"
    assert refused.value.params == {"min": 1, "max": 1440}
    assert _stored(row.id).status == "sent" and _stored(row.id).snooze_count == 0


def test_a_done_reminder_cannot_be_snoozed(call, ann):
    row = _row(ann, reminder=_reminder(ann), status="acknowledged")
    with pytest.raises(InvalidInput) as refused:
        call(inbox.snooze, user=ann, notification_id=row.id, minutes=10)
    assert refused.value.code == "notifications.already_acknowledged"
    assert _stored(row.id).status == "acknowledged"


def test_another_user_can_neither_read_nor_answer_nor_snooze(call, database, ann, bob):
    row = _row(ann, reminder=_reminder(ann))
    answers = [
        lambda ident: call(inbox.get_notification, user=bob, notification_id=ident),
        lambda ident: call(inbox.mark_read, user=bob, notification_id=ident),
        lambda ident: call(inbox.acknowledge, user=bob, notification_id=ident),
        lambda ident: call(inbox.snooze, user=bob, notification_id=ident, minutes=10),
    ]
    for answer in answers:
        codes = []
        for ident in (row.id, uuid.uuid4()):
            with pytest.raises(NotFound) as refused:
                answer(ident)
            codes.append(refused.value.code)
        assert codes == ["notifications.not_found"] * 2  # the same answer as for a missing one
    assert call(inbox.mark_all_read, user=bob) == 0
    assert call(inbox.list_notifications, user=bob) == []
    assert call(inbox.attention_items, user=bob) == []
    stored = _stored(row.id)
    assert (stored.status, stored.read_at, stored.acknowledged_at, stored.snooze_count) == ("sent", None, None, 0)
    assert call(inbox.unread_count, user=ann) == 1


@pytest.mark.parametrize("kwargs", [{"filter": "everything"}, {"limit": 0}, {"limit": 201}, {"offset": -1}])
def test_a_list_asked_for_wrongly_is_refused(call, ann, kwargs):
    with pytest.raises(InvalidInput) as refused:
        call(inbox.list_notifications, user=ann, **kwargs)
    assert refused.value.code.startswith("notifications.bad_")

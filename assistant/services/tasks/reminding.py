"""A task's reminders ("remind me"): one-time reminders linked to the task (``reminders.task_id``), written
through the reminders service (:mod:`assistant.services.scheduler.reminders`), so the worker's scheduler is
signalled and the Reminders page and the bell see them like any other.

What happens to them with the task: closing a task (done or cancelled, also when its parent closes it)
pauses its active reminders, so nothing reminds the user of something finished (they stay on the Reminders
page and can be resumed there); deleting a task deletes its reminders and those of its subtasks.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from assistant.core.errors import NotFound
from assistant.models import Reminder, Task, User
from assistant.models.reminder import ReminderStatus
from assistant.services.scheduler import reminders


def remind(*, session: Session, user: User, task_id: uuid.UUID, at: datetime | str) -> Reminder:
    """Add a one-time reminder of one of ``user``'s tasks at ``at``, a local wall-clock time in the user's time
    zone (``YYYY-MM-DDTHH:MM``, as a ``datetime-local`` field sends it); its title is the task's.

    Raises:
        NotFound: ``tasks.not_found``. InvalidInput: the reminders service's checks (``reminders.in_past``,
            ``reminders.start_invalid``).
    """
    task = session.exec(select(Task).where(Task.id == task_id, Task.user_id == user.id)).first()
    if task is None:
        raise NotFound("tasks.not_found")
    return reminders.create_reminder(session=session, user=user,
                                     data=reminders.ReminderInput(title=task.title, starts_at=at, task_id=task.id))


def _linked(session: Session, user: User, task_ids: list[uuid.UUID], status: ReminderStatus | None) -> list[Reminder]:
    if not task_ids:
        return []
    query = select(Reminder).where(Reminder.user_id == user.id, col(Reminder.task_id).in_(task_ids))
    if status is not None:
        query = query.where(Reminder.status == status.value)
    return list(session.exec(query.order_by(col(Reminder.next_fire_at).asc().nulls_last())))


def next_reminders(*, session: Session, user: User, task_ids: list[uuid.UUID]) -> dict[uuid.UUID, Reminder]:
    """The soonest active reminder of each of ``user``'s tasks ``task_ids`` that has one."""
    soonest: dict[uuid.UUID, Reminder] = {}
    for reminder in _linked(session, user, task_ids, ReminderStatus.ACTIVE):
        if reminder.task_id is not None:
            soonest.setdefault(reminder.task_id, reminder)
    return soonest


def pause_for(session: Session, user: User, task_ids: list[uuid.UUID]) -> int:
    """Pause the active reminders of the tasks ``task_ids`` (just closed); returns how many."""
    paused = _linked(session, user, task_ids, ReminderStatus.ACTIVE)
    for reminder in paused:
        reminders.pause_reminder(session=session, user=user, reminder_id=reminder.id)
    return len(paused)


def delete_for(session: Session, user: User, task_ids: list[uuid.UUID]) -> int:
    """Delete the reminders of the tasks ``task_ids`` (about to be deleted); returns how many."""
    linked = _linked(session, user, task_ids, None)
    for reminder in linked:
        reminders.delete_reminder(session=session, user=user, reminder_id=reminder.id)
    return len(linked)

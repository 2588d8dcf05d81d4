"""What is due for a user, as the bot's ``/today``, ``/tasks`` and ``/reminders`` answer it: Telegram HTML in the
user's language, times in their zone.

* ``/today``: open tasks overdue or due today, and the reminders' occurrences on the user's local today.
* ``/tasks``: open tasks, soonest due first (no date last), at most :data:`LISTED`.
* ``/reminders``: active reminders with their next occurrence, soonest first, at most :data:`LISTED`.
"""

from __future__ import annotations

import html
from datetime import datetime

from sqlmodel import Session

from assistant.core.i18n import format_date, format_datetime, format_time, translate
from assistant.models import Task, User
from assistant.models.base import utcnow
from assistant.services.scheduler.views import list_reminder_views
from assistant.services.tasks.due import is_overdue, today
from assistant.services.tasks.listing import DueFilter, list_tasks

#: Items listed at most per section.
LISTED = 20


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _task_line(task: Task, user: User, now: datetime) -> str:
    line = f"• {_esc(task.title)}"
    if task.due_at is not None:
        when = (format_date(task.due_at, user.language, user.timezone) if task.due_all_day
                else format_datetime(task.due_at, user.language, user.timezone))
        line += f" — {_esc(when)}"
        if is_overdue(task.due_at, task.due_all_day, now, user.timezone):
            line += f" <i>({_esc(translate('telegram.overdue', user.language))})</i>"
    return line


def _section(title_key: str, lines: list[str], language: str) -> str:
    return f"<b>{_esc(translate(title_key, language))}</b>\n" + "\n".join(lines)


def _tasks(session: Session, user: User, due: DueFilter, now: datetime) -> list[Task]:
    return [row.task for row in list_tasks(session=session, user=user, due=due.value, limit=LISTED, now=now)]


def today_text(*, session: Session, user: User, now: datetime | None = None) -> str:
    """``/today``: open tasks overdue or due today and today's reminder times; a "nothing due" line when empty."""
    now = now or utcnow()
    tasks = {task.id: task for task in _tasks(session, user, DueFilter.OVERDUE, now)
             + _tasks(session, user, DueFilter.TODAY, now)}
    task_lines = [_task_line(task, user, now) for task in tasks.values()]
    local_today = today(now, user.timezone)
    occurrences = sorted((at, view.title) for view in list_reminder_views(session=session, user=user,
                                                                          language=user.language, status="active")
                         for at in view.next_occurrences if at.date() == local_today)
    reminder_lines = [f"• {_esc(format_time(at, user.language, user.timezone))} {_esc(title)}"
                      for at, title in occurrences[:LISTED]]
    day = format_date(now, user.language, user.timezone)
    heading = f"<b>{_esc(translate('telegram.today_title', user.language, date=day))}</b>"
    if not task_lines and not reminder_lines:
        return f"{heading}\n\n{_esc(translate('telegram.nothing_today', user.language))}"
    sections = [heading]
    if task_lines:
        sections.append(_section("telegram.tasks_title", task_lines, user.language))
    if reminder_lines:
        sections.append(_section("telegram.reminders_title", reminder_lines, user.language))
    return "\n\n".join(sections)


def tasks_text(*, session: Session, user: User, now: datetime | None = None) -> str:
    """``/tasks``: the open tasks, soonest due first; a "no open tasks" line when there are none."""
    now = now or utcnow()
    tasks = _tasks(session, user, DueFilter.ANY, now)
    if not tasks:
        return _esc(translate("telegram.no_tasks", user.language))
    return _section("telegram.tasks_title", [_task_line(task, user, now) for task in tasks], user.language)


def reminders_text(*, session: Session, user: User) -> str:
    """``/reminders``: active reminders with their next time, soonest first; a "no reminders" line when none."""
    views = list_reminder_views(session=session, user=user, language=user.language, status="active")
    upcoming = sorted(((view.next_fire_at or view.next_occurrences[0], view) for view in views
                       if view.next_fire_at or view.next_occurrences), key=lambda pair: pair[0])[:LISTED]
    if not upcoming:
        return _esc(translate("telegram.no_reminders", user.language))
    lines = [f"• {_esc(format_datetime(at, user.language, user.timezone))} — {_esc(view.title)} "
             f"<i>({_esc(view.schedule)})</i>" for at, view in upcoming]
    return _section("telegram.reminders_title", lines, user.language)

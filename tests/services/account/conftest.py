"""``fill_account``: a user with a row in every table that refers to a user, each text carrying a marker of
theirs, for the export and deletion tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from assistant.core.db import session_scope
from assistant.models import (
    Agent,
    Chat,
    Collection,
    CollectionGrant,
    ContextFile,
    ContextFileVersion,
    DeliveryPreferences,
    Document,
    Group,
    GroupMember,
    MemoryChange,
    MemoryEntry,
    Message,
    Notification,
    NotificationDelivery,
    OneTimeCode,
    Reminder,
    ReminderProposal,
    Report,
    ReportKind,
    Skill,
    Task,
    TaskRun,
    TelegramLink,
    User,
)
from assistant.models.base import utcnow
from assistant.services.rag import ingest
from assistant.services.reports import jobs
from assistant.services.reports.jobs import BuiltFile, ReportJob


@dataclass
class Holdings:
    """What :func:`fill_account` stored for one user: ``marker`` (in every text), the uploaded ``document``
    and its bytes, the completed ``report`` and its bytes, the ``chat``."""

    user: User
    marker: str
    document: Document
    document_bytes: bytes
    report: Report
    report_bytes: bytes
    chat: Chat
    collection: Collection


def _pdf_builder(data: bytes) -> Callable[[ReportJob], BuiltFile]:
    def build(job: ReportJob) -> BuiltFile:
        path: Path = job.work_dir / "out.pdf"
        path.write_bytes(data)
        return BuiltFile(path=path, media_type="application/pdf", extension=".pdf", page_count=1)

    return build


@pytest.fixture
def fill_account(make_document, sign_in) -> Callable[..., Holdings]:
    """``fill_account(user, telegram_chat=1001, ingested=False)``: rows of ``user`` in every table that refers
    to a user (a login session, a sign-in, a verification code, delivery preferences, a Telegram link, a chat
    with a user message, an answer citing the document with a tool call and the tool's result, a superseded
    and a current memory with the change between them, a task with a subtask and a queued run, a reminder with
    a pending in-app notification that escalates and a delivered e-mail one, a reminder proposal, a personal
    context and skill, a collection grant (of a collection they created, named without the marker: it is the
    instance's), an uploaded text document (with
    chunks and pages when ``ingested``: a real ingestion) and a completed PDF report."""

    def fill(user: User, *, telegram_chat: int = 1001, ingested: bool = False) -> Holdings:
        marker = f"mark{uuid.uuid4().hex[:12]}"
        now = utcnow()
        sign_in(user.email)
        content = (f"Blood pressure diary of {marker}. Morning readings were 120 over 80 and the evening ones "
                   f"a little higher.\n\nThe doctor advised fewer salty meals, {marker}.\n").encode()
        document = make_document(user, filename=f"Diary {marker}: week/1?.txt", content=content,
                                 status="pending" if ingested else "completed")
        if ingested:
            assert ingest.run_job(document.id) == "completed"
        report_bytes = f"%PDF-1.4 health summary of {marker}".encode()
        with session_scope() as session:
            report = jobs.request_report(session=session, user=user, kind=ReportKind.HEALTH_SUMMARY,
                                         title=f"Summary {marker}", params={})
        assert jobs.run_report(report.id, {"health_summary": _pdf_builder(report_bytes)}) == "completed"
        with session_scope() as session:
            report = session.get_one(Report, report.id)
            collection = Collection(name=f"Shelf {uuid.uuid4().hex[:8]}", created_by=user.id)
            chat = Chat(user_id=user.id, title=f"Chat {marker}")
            session.add_all([collection, chat])
            session.flush()
            session.add(CollectionGrant(collection_id=collection.id, user_id=user.id))
            session.add_all([
                Message(chat_id=chat.id, role="user", content=f"What did the diary say, {marker}?"),
                Message(chat_id=chat.id, role="assistant", content="",
                        tool_calls=[{"id": f"call-{marker}", "name": "search_documents",
                                     "arguments": {"query": marker}}]),
                Message(chat_id=chat.id, role="tool", tool_call_id=f"call-{marker}", content=f"found {marker}"),
                Message(chat_id=chat.id, role="assistant", content=f"Fewer salty meals, {marker}.",
                        citations=[{"document_id": str(document.id), "title": document.filename, "page": None,
                                    "chunk_id": None, "score": 0.9}]),
            ])
            old = MemoryEntry(user_id=user.id, content=f"Takes 5 mg of ramipril, {marker}", category="medication",
                              author="user", status="superseded", source_chat_id=chat.id)
            new = MemoryEntry(user_id=user.id, content=f"Takes 10 mg of ramipril, {marker}", category="medication",
                              author="assistant", source_document_id=document.id)
            session.add_all([old, new])
            session.flush()
            old.superseded_by = new.id
            session.add(MemoryChange(user_id=user.id, kind="superseded", state="applied", memory_id=new.id,
                                     previous_id=old.id, content=new.content, previous_content=old.content,
                                     category="medication", chat_id=chat.id))
            task = Task(user_id=user.id, title=f"Book a check-up {marker}", due_at=now + timedelta(days=2))
            session.add(task)
            session.flush()
            session.add(Task(user_id=user.id, parent_id=task.id, title=f"Find the card {marker}"))
            session.add(TaskRun(user_id=user.id, task_id=task.id, due_at=now + timedelta(hours=5), chat_id=chat.id))
            reminder = Reminder(user_id=user.id, title=f"Ramipril {marker}", kind="medication", timezone="UTC",
                                starts_at=datetime(2030, 1, 1, 8, 0), recurrence="daily", rrule="FREQ=DAILY",
                                task_id=task.id, source_document_id=document.id,
                                next_occurrence_at=now + timedelta(hours=3), next_fire_at=now + timedelta(hours=3),
                                channels=["in_app", "email"], escalate_after_minutes=30)
            session.add(reminder)
            session.flush()
            pending = Notification(user_id=user.id, type="reminder", title=f"Take ramipril {marker}",
                                   reminder_id=reminder.id, scheduled_at=now + timedelta(hours=3),
                                   idempotency_key=f"reminder:{reminder.id}:x:in_app",
                                   escalate_at=now + timedelta(hours=4))
            mailed = Notification(user_id=user.id, type="task", channel="email", status="sent", task_id=task.id,
                                  title=f"Check-up due {marker}", body=f"Book it, {marker}", sent_at=now)
            session.add_all([pending, mailed])
            session.flush()
            session.add(NotificationDelivery(notification_id=mailed.id, attempt=1, outcome="sent",
                                             detail=f"250 OK {marker}"))
            session.add(DeliveryPreferences(user_id=user.id, channels={"reminder": ["email"]},
                                            quiet_start=time(22, 0), quiet_end=time(7, 0)))
            session.add(TelegramLink(user_id=user.id, chat_id=telegram_chat, username=f"tg{marker}",
                                     assistant_chat_id=chat.id))
            session.add(OneTimeCode(user_id=user.id, purpose="email_verification",
                                    code_hash=uuid.uuid4().hex + uuid.uuid4().hex, target=user.email,
                                    expires_at=now + timedelta(hours=1)))
            session.add(ReminderProposal(user_id=user.id, chat_id=chat.id, document_id=document.id,
                                         items=[{"drug": f"Ramipril {marker}", "dose": "10 mg", "times": ["08:00"],
                                                 "start": "2030-01-01", "end": None, "page": None, "note": ""}]))
            context = ContextFile(scope="personal", owner_id=user.id)
            session.add(context)
            session.flush()
            session.add(ContextFileVersion(file_id=context.id, version=1, content=f"I am {marker}.",
                                           author_id=user.id))
            session.add(Skill(owner_id=user.id, name=f"Coach {marker}", system_prompt=f"Coach {marker} kindly."))
            session.add(Agent(owner_id=user.id, name=f"Helper {marker}", tier="small"))
            group = Group(name=f"Team {uuid.uuid4().hex[:8]}")  # not theirs: it stays when they go
            session.add(group)
            session.flush()
            session.add(GroupMember(group_id=group.id, user_id=user.id))
        with session_scope() as session:
            stored = session.get_one(Document, document.id)
        return Holdings(user=user, marker=marker, document=stored, document_bytes=content, report=report,
                        report_bytes=report_bytes, chat=chat, collection=collection)

    return fill

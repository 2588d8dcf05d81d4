"""Delete my account: every row and file of one user, after they typed their password again.

The rows: the ``users`` row goes last, and every table that refers to a user does so with ``ON DELETE CASCADE``
(documents with their chunks and pages, reports, memories and their changes, chats and messages, tasks and runs,
reminders, notifications and their deliveries, delivery preferences, the Telegram link, login sessions, one-time
codes, reminder proposals, the personal context and skills, collection grants). The chunk triggers keep the BM25
statistics right on the cascade. Foreign keys that are ``SET NULL`` instead hold no personal data of the user
(``collections.created_by``, ``context_file_versions.author_id`` of the shared primary context) or are other users'
rows losing a link to something that is gone (a memory whose source was a collection document the user uploaded).
Rows with no foreign key that still name the user are deleted too: failed and successful sign-ins under their
e-mail address (``login_attempts``) and large event payloads addressed to them alone (``event_payloads``).

Jobs: the user's open reports and exports are cancelled first (:func:`~assistant.services.reports.jobs.
cancel_open_reports`: a running export stops at its next step and stores nothing); the scheduler is signalled
for each reminder, waiting notification, escalation and queued task run of the user and for their daily review,
and, reading the rows gone, removes their jobs. A document being ingested loses its row: the ingestion worker's
next write matches nothing and it gives the job up (:mod:`assistant.services.rag.ingest`).

Files: the stored uploads and their page-image cache (:func:`assistant.services.rag.documents.remove_document_files`)
and the stored reports are deleted only once the transaction that deleted the rows has committed (kept in the
session's ``info`` and run by an ``after_commit`` hook on every session; a rollback of that transaction or of the
savepoint the deletion ran in drops them), so a deletion that fails or rolls back leaves a still-existing
account with all its files.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from functools import partial

from sqlalchemy import delete, event, or_, text
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col, select

from assistant.core.config import Settings, get_settings
from assistant.core.errors import Conflict, InvalidInput
from assistant.core.security import verify_password
from assistant.models import (
    Document,
    LoginAttempt,
    Notification,
    NotificationStatus,
    Reminder,
    Report,
    RunStatus,
    TaskRun,
    User,
)
from assistant.models.user import Role
from assistant.services.rag.documents import remove_document_files
from assistant.services.rag.progress import publish_deleted
from assistant.services.reports import jobs
from assistant.services.scheduler.signals import signal_scheduler

log = logging.getLogger(__name__)


def delete_account(*, session: Session, user: User, password: str, settings: Settings | None = None) -> None:
    """Delete ``user`` and everything of theirs (module docstring) in ``session``'s transaction; their files
    go when it commits.

    Raises:
        InvalidInput: ``account.delete.wrong_password`` (nothing is deleted).
        Conflict: ``account.delete.last_superadmin``: no other active superadmin would be left.
    """
    account = session.exec(select(User).where(col(User.id) == user.id).with_for_update()).one()
    if not verify_password(password, account.password_hash):
        raise InvalidInput("account.delete.wrong_password")
    erase_account(session=session, account=account, settings=settings)


def erase_account(*, session: Session, account: User, settings: Settings | None = None) -> None:
    """Delete ``account`` and everything of theirs exactly as :func:`delete_account` does, without asking for a
    password: for the caller that checked who may (an admin deleting a user, :mod:`assistant.services.admin.users`).

    Raises:
        Conflict: ``account.delete.last_superadmin``: no other active superadmin would be left.
    """
    settings = settings or get_settings()
    if account.role == Role.SUPERADMIN.value:
        superadmins = session.exec(select(User.id).where(
            col(User.role) == Role.SUPERADMIN.value, col(User.is_active).is_(True)).order_by(col(User.id))
            .with_for_update()).all()
        if not any(other != account.id for other in superadmins):
            raise Conflict("account.delete.last_superadmin")

    jobs.cancel_open_reports(session=session, user_id=account.id)
    _signal_jobs(session, account.id)
    removals = _file_removals(session, account.id, settings)
    session.execute(delete(LoginAttempt).where(col(LoginAttempt.email) == account.email))
    session.execute(text("DELETE FROM event_payloads WHERE user_ids = jsonb_build_array(CAST(:id AS text))"),
                    {"id": str(account.id)})
    session.execute(delete(User).where(col(User.id) == account.id))
    session.flush()
    _on_commit(session, removals)
    log.info("account %s deleted with its data (%d file(s) to remove once committed)", account.id, len(removals))


def _signal_jobs(session: Session, user_id: uuid.UUID) -> None:
    """Tell the scheduler about every row of the user that may have a job (sent when the deletion commits)."""
    for reminder_id in session.exec(select(Reminder.id).where(col(Reminder.user_id) == user_id)).all():
        signal_scheduler(session, "reminder", reminder_id)
    waiting = session.exec(select(Notification.id, Notification.status, Notification.escalate_at).where(
        col(Notification.user_id) == user_id,
        or_(col(Notification.status) == NotificationStatus.PENDING.value, col(Notification.escalate_at).is_not(None))))
    for notification_id, status, escalate_at in waiting.all():
        if status == NotificationStatus.PENDING.value:
            signal_scheduler(session, "notification", notification_id)
        if escalate_at is not None:
            signal_scheduler(session, "escalation", notification_id)
    for run_id in session.exec(select(TaskRun.id).where(
            col(TaskRun.user_id) == user_id,
            col(TaskRun.status).in_((RunStatus.QUEUED.value, RunStatus.RUNNING.value)))).all():
        signal_scheduler(session, "task_run", run_id)
    signal_scheduler(session, "review", user_id)


def _file_removals(session: Session, user_id: uuid.UUID, settings: Settings) -> list[Callable[[], None]]:
    """What deletes each file of the user once the rows are gone: their uploads with the documents' caches,
    their stored reports. Readers of their documents in shared collections are told those are gone."""
    removals: list[Callable[[], None]] = []
    documents = session.exec(select(Document).where(col(Document.owner_id) == user_id)).all()
    for document in documents:
        if document.collection_id is not None:
            publish_deleted(session, document)
        removals.append(partial(remove_document_files, settings, document_id=document.id,
                                storage_name=document.storage_name))
    names = session.exec(select(Report.storage_name).where(
        col(Report.owner_id) == user_id, col(Report.storage_name).is_not(None))).all()
    for name in names:
        if name:
            removals.append(partial(jobs.report_path(settings, name).unlink, missing_ok=True))
    return removals


#: ``Session.info`` key of the removals waiting for their transaction: ``[(transaction, removal)]``.
_PENDING = "account.files_to_remove"


def _on_commit(session: Session, removals: list[Callable[[], None]]) -> None:
    """Run ``removals`` once ``session``'s outermost transaction commits; forget them if the transaction (or
    the savepoint) they were asked in rolls back instead."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).extend((transaction, remove) for remove in removals)


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(OrmSession, "after_commit")
def _committed(session: OrmSession) -> None:
    if session.in_nested_transaction():  # a savepoint was released: the transaction goes on
        return
    for _, remove in session.info.pop(_PENDING, []):
        try:
            remove()
        except OSError:
            log.exception("a file of a deleted account could not be removed")


@event.listens_for(OrmSession, "after_soft_rollback")
def _rolled_back(session: OrmSession, previous: SessionTransaction) -> None:
    if _PENDING in session.info:
        session.info[_PENDING] = [item for item in session.info[_PENDING] if not _within(item[0], previous)]


@event.listens_for(OrmSession, "after_transaction_end")
def _ended(session: OrmSession, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # committed (the removals ran) or ended without a commit (they are dropped)
        session.info.pop(_PENDING, None)

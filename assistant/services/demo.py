"""A lived-in demo account for newcomers (``assistant demo FILE...``): an account, the given documents
uploaded and ingested, and one chat whose first question is answered from them (with citations)."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from sqlmodel import select

from assistant.core.config import Settings
from assistant.core.db import session_scope
from assistant.core.errors import AppError, Conflict
from assistant.models import Document, DocumentStatus, User
from assistant.services.auth import service as auth
from assistant.services.chat import chats
from assistant.services.chat.turns import run_turn
from assistant.services.rag import documents, ingest

#: What the demo chat asks first.
DEMO_QUESTION = "What do my documents recommend for a healthy diet?"
#: Seconds to wait for a document another process (a running worker) took over.
WAIT_SECONDS = 600
READ_BYTES = 1024 * 1024


@dataclass
class DemoResult:
    """What was made: the account, each file's outcome (``(name, status or error message)``), how many
    documents are ready, and the chat."""

    user_id: uuid.UUID
    email: str
    outcomes: list[tuple[str, str]] = field(default_factory=list)
    ready: int = 0
    chat_id: uuid.UUID | None = None


def _upload(settings: Settings, user_id: uuid.UUID, path: Path) -> Document:
    with session_scope() as session:
        limit = documents.upload_limits(session=session)["max_bytes"]
    writer = documents.UploadWriter(settings, max_bytes=limit)
    try:
        with path.open("rb") as source:
            while block := source.read(READ_BYTES):
                writer.write(block)
    except BaseException:
        writer.abort()
        raise
    with session_scope() as session:
        return documents.store_upload(session=session, user=session.get_one(User, user_id), writer=writer,
                                      filename=path.name)


def _ingest(document_id: uuid.UUID, progress: Callable[[int], None]) -> Document:
    """Run the document's job here (or wait for the worker that took it first), calling
    ``progress(percent)`` about twice a second until it ends."""
    job = threading.Thread(target=ingest.run_job, args=(document_id,), name="demo-ingestion", daemon=True)
    job.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        with session_scope() as session:
            document = session.get_one(Document, document_id)
        progress(document.progress)
        if document.status not in (DocumentStatus.PENDING.value, DocumentStatus.PROCESSING.value):
            job.join()
            return document
        if time.monotonic() > deadline:
            return document
        time.sleep(0.5)


async def _ask(user_id: uuid.UUID, chat_id: uuid.UUID, question: str) -> None:
    async for _event in run_turn(user_id=user_id, chat_id=chat_id, text=question):
        pass


def create_demo(*, files: list[Path], email: str, password: str, settings: Settings, question: str = DEMO_QUESTION,
                translate: Callable[[str, dict[str, Any]], str], report: Callable[[str], None] = print,
                progress: Callable[[str, int], None] = lambda name, percent: None) -> DemoResult:
    """Create the demo account ``email`` with ``files`` ingested and one chat that asked ``question``.

    Args:
        files: documents to upload (PDF, EPUB, text...); each is checked like a browser upload.
        translate: ``translate(code, params)``, the message of a refused file.
        report: receives one line per step (progress for the operator).
        progress: ``progress(file name, percent)`` while a file is ingested (for a progress bar).

    Returns:
        The account, every file's outcome and the chat (None when no document was ingested).

    Raises:
        Conflict: ``demo.exists`` when the account exists already (nothing is changed).
        AppError: from registration (``auth.registration_disabled``, a weak password...).
    """
    with session_scope() as session:
        if session.exec(select(User.id).where(User.email == auth.normalize_email(email))).first() is not None:
            raise Conflict("demo.exists", email=email)
        user = auth.register(session=session, data={"email": email, "password": password, "display_name": "Demo"})
        result = DemoResult(user_id=user.id, email=user.email)
    report(f"created the account {result.email}")
    for path in files:
        try:
            document = _upload(settings, result.user_id, path)
        except AppError as exc:
            result.outcomes.append((path.name, translate(exc.code, exc.params)))
            report(f"{path.name}: {result.outcomes[-1][1]}")
            progress(path.name, 100)
            continue
        except OSError as exc:
            result.outcomes.append((path.name, exc.strerror or str(exc)))
            report(f"{path.name}: {result.outcomes[-1][1]}")
            progress(path.name, 100)
            continue
        done = _ingest(document.id, partial(progress, path.name))
        if done.status == DocumentStatus.COMPLETED.value:
            result.ready += 1
            outcome = f"ready, {done.page_count or 1} pages"
        else:
            outcome = translate(done.error_code or "documents.status." + done.status, {})
        result.outcomes.append((path.name, outcome))
        report(f"{path.name}: {outcome}")
    if result.ready:
        with session_scope() as session:
            chat = chats.create_chat(session=session, user=session.get_one(User, result.user_id))
        asyncio.run(_ask(result.user_id, chat.id, question))
        result.chat_id = chat.id
        report(f"asked in a new chat: {question}")
    return result

"""The documents page: upload (streamed to disk, with a progress bar; admins choose their private
documents or a shared collection), the list with live ingestion progress (pushed through
the event bus, :class:`~assistant.ui.state.live.LiveState`, no polling), filter, reindex, cancel and delete."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import reflex as rx
from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.core.errors import AppError
from assistant.core.i18n import format_number, format_size
from assistant.models import DocumentStatus, User
from assistant.models.user import Role
from assistant.services.auth.permissions import has_role
from assistant.services.rag import collections as collection_service
from assistant.services.rag import documents as docs
from assistant.services.rag.documents import DocumentView, UploadWriter
from assistant.services.rag.filetypes import MEDIA_TYPES
from assistant.ui.state.auth import AuthState, guarded, parse_id

UPLOAD_ID = "documents-upload"
#: The value of the upload target "my documents" (otherwise a collection's id).
PRIVATE_TARGET = "private"
NOT_FOUND = "documents.not_found"
_UNFINISHED = (DocumentStatus.PENDING.value, DocumentStatus.PROCESSING.value)


def _kind(media_type: str) -> str:
    """A short name for a media type: its usual file ending (``DOCX``, ``PDF``, ``MD``...)."""
    endings = MEDIA_TYPES.get(media_type)
    return endings[0].lstrip(".").upper() if endings else media_type.split("/")[-1].upper()


def _target_collection(target: str) -> uuid.UUID | None:
    """The collection id of an upload target (None: private)."""
    if target == PRIVATE_TARGET:
        return None
    return parse_id(target, "documents.collection_not_found")


class DocumentsState(AuthState):
    """The user's documents as shown, and the upload in progress."""

    documents: list[dict[str, Any]] = []
    query: str = ""
    uploading: bool = False
    upload_percent: int = 0
    #: Where uploads go: :data:`PRIVATE_TARGET` or the id of a collection (admins only).
    upload_target: str = PRIVATE_TARGET
    #: The collections an admin may upload into: ``[{"id", "name"}]`` (empty for everyone else).
    upload_targets: list[dict[str, str]] = []

    def _row(self, view: DocumentView) -> dict[str, Any]:
        return {
            "id": str(view.id), "filename": view.filename, "type": _kind(view.media_type),
            "size": format_size(view.size_bytes, self.lang),
            "pages": format_number(view.page_count, self.lang) if view.page_count else "",
            "status": view.status, "status_text": self._t(f"documents.status.{view.status}"),
            "progress": view.progress, "stage": self._t(f"documents.stage.{view.stage}"),
            "error": self._t(view.error_code) if view.error_code else "", "collection": view.collection,
            "can_change": view.is_owner, "busy": view.status in _UNFINISHED,
        }

    async def _refresh(self) -> None:
        """Show the list again, filtered by the query on screen."""
        async with self:
            query = self.query
        views = await self._run_as_user(lambda session, user: docs.list_documents(session=session, user=user,
                                                                                   query=query))
        async with self:
            self.documents = [self._row(view) for view in views]

    @staticmethod
    def _targets(session: Session, user: User) -> list[dict[str, str]]:
        """The collections an admin may upload into (none for everyone else; on a worker thread)."""
        if not has_role(user, Role.ADMIN):
            return []
        return [{"id": str(view.id), "name": view.name}
                for view in collection_service.list_collections(session=session, user=user)]

    @rx.event
    @guarded
    async def load(self) -> None:
        """``on_load``: the list and the upload targets; a target that is gone falls back to private.
        Skipped when ``AuthState.check_login`` just found no session (it has already reacted)."""
        if not self._role_shown(Role.USER):
            return
        query = self.query
        views, self.upload_targets = await self._run_as_user(lambda session, user: (
            docs.list_documents(session=session, user=user, query=query), DocumentsState._targets(session, user)))
        self.documents = [self._row(view) for view in views]
        if self.upload_target not in {target["id"] for target in self.upload_targets}:
            self.upload_target = PRIVATE_TARGET

    @rx.event
    def set_upload_target(self, value: str) -> None:
        """Choose where the next uploads go (the upload itself re-checks the role and the collection)."""
        if value == PRIVATE_TARGET or value in {target["id"] for target in self.upload_targets}:
            self.upload_target = value

    @rx.event
    @guarded
    async def set_query(self, value: str) -> None:
        """Filter the list by file name."""
        self.query = value
        await self._refresh()

    async def _act(self, action: Callable[..., object], document_id: str) -> None:
        """Run ``action(session=, user=, document_id=)`` on one document, then show the list again."""
        await self._run_as_user(lambda session, user: action(session=session, user=user,
                                                             document_id=parse_id(document_id, NOT_FOUND)))
        await self._refresh()

    @rx.event
    @guarded
    async def reindex(self, document_id: str) -> None:
        """Queue the document's ingestion again."""
        await self._act(docs.reindex_document, document_id)

    @rx.event
    @guarded
    async def cancel(self, document_id: str) -> None:
        """Stop the document's ingestion."""
        await self._act(docs.cancel_document, document_id)

    @rx.event
    @guarded
    async def delete(self, document_id: str) -> None:
        """Delete the document and its file."""
        settings = get_settings()
        await self._act(lambda **kw: docs.delete_document(settings=settings, **kw), document_id)

    @rx.event
    def upload_progress(self, progress: dict[str, Any]) -> None:
        """The browser's report of the bytes sent (``progress`` is a fraction 0-1); the bar goes away
        once everything is sent."""
        fraction = float(progress.get("progress", 0))
        self.uploading = fraction < 1
        self.upload_percent = int(round(fraction * 100))

    @rx.event(background=True)
    async def upload(self, chunks: rx.UploadChunkIterator) -> AsyncIterator[Any]:
        """Receive the dropped files piece by piece; each complete file becomes a queued document, in
        the chosen collection or private. The size limit is the admin setting as it is now; a file over
        it stops the upload at once (nothing of it is kept)."""
        async with self:
            target = self.upload_target
        try:
            collection_id = _target_collection(target)
            user_id, max_bytes = await self._run_as_user(
                lambda session, user: (user.id, docs.upload_limits(session=session)["max_bytes"]))
        except AppError as exc:
            async with self:
                refused = self._handle_error(exc)
            yield refused
            return
        async with self:
            self.uploading, self.upload_percent = True, 0
        settings = get_settings()
        writer: UploadWriter | None = None
        current: str | None = None
        messages: list[Any] = []

        def store(filename: str, done: UploadWriter) -> None:
            with session_scope() as session:
                user = session.get_one(User, user_id)
                docs.store_upload(session=session, user=user, writer=done, filename=filename,
                                  collection_id=collection_id)

        async def finish(filename: str | None, done: UploadWriter | None) -> None:
            if filename is None or done is None:
                return
            try:
                await asyncio.to_thread(store, filename, done)
            except AppError as exc:
                messages.append(rx.toast.error(f"{filename}: {self._t(exc.code, **exc.params)}"))

        try:
            async for chunk in chunks:
                # a file starts at offset 0: two files of the same name in a row stay two documents
                if chunk.filename != current or chunk.offset == 0:
                    await finish(current, writer)
                    current, writer = chunk.filename, UploadWriter(settings, max_bytes=max_bytes)
                assert writer is not None
                await asyncio.to_thread(writer.write, chunk.data)
            await finish(current, writer)
        except AppError as exc:
            if writer is not None:
                writer.abort()
            messages.append(rx.toast.error(f"{current}: {self._t(exc.code, **exc.params)}"))
        async with self:
            self.uploading, self.upload_percent = False, 0
        try:
            await self._refresh()
        except AppError as exc:
            async with self:
                messages.append(self._handle_error(exc))
        for message in messages:
            yield message

    async def _on_progress(self, event: dict[str, Any]) -> None:
        """Show one ``document`` event of the bus (:class:`~assistant.ui.state.live.LiveState` calls this
        while the page is open): the row's status and progress change in place; a document not listed
        yet (uploaded in another tab) or just completed (page count) reloads the list; a deleted one goes."""
        if event.get("status") == "deleted":
            self.documents = [r for r in self.documents if r["id"] != event.get("id")]
            return
        row = next((r for r in self.documents if r["id"] == str(event.get("id"))), None)
        if row is None or event.get("status") == DocumentStatus.COMPLETED.value:
            query = self.query
            views = await self._run_as_user(
                lambda session, user: docs.list_documents(session=session, user=user, query=query))
            self.documents = [self._row(view) for view in views]
            return
        status = str(event.get("status", row["status"]))
        updated = dict(row, status=status, status_text=self._t(f"documents.status.{status}"),
                       progress=int(event.get("progress", row["progress"])),
                       stage=self._t(f"documents.stage.{event.get('stage') or 'queued'}"),
                       error=self._t(event["error_code"]) if event.get("error_code") else "",
                       busy=status in _UNFINISHED)
        self.documents = [updated if r["id"] == row["id"] else r for r in self.documents]

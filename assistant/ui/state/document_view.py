"""The document viewer (``/documents/{id}?page=N&chunk=ID``): one page of extracted text with the cited
passage marked, page by page, and the original file as a download."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx
from sqlmodel import Session

from assistant.core.errors import AppError, NotFound
from assistant.core.security import create_download_ticket, decode_access_token
from assistant.models import User
from assistant.models.user import Role
from assistant.services.rag.documents import get_document
from assistant.services.rag.viewer import PageView, read_page
from assistant.ui.state.auth import AuthState
from assistant.ui.state.context import shown_role_suffices

DOCUMENTS_ROUTE = "/documents"
#: The element the cited passage is drawn in (scrolled into view when a page opens).
PASSAGE_ID = "cited-passage"


def viewer_route(document_id: str, page: int | str | None = None, chunk_id: str | None = None) -> str:
    """The viewer's URL for a document, optionally at a page and with a chunk marked."""
    query = "&".join(f"{key}={value}" for key, value in (("page", page), ("chunk", chunk_id)) if value not in (None, ""))
    return f"{DOCUMENTS_ROUTE}/{document_id}" + (f"?{query}" if query else "")


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


class DocumentViewState(AuthState):
    """The page on screen: ids and text only (one page, never the whole document)."""

    document_id: str = ""
    title: str = ""
    status: str = ""
    page_number: str = ""
    position: int = 0
    pages: int = 0
    previous_number: str = ""
    next_number: str = ""
    segments: list[dict[str, Any]] = []
    passage_found: bool = False
    missing: bool = False
    chunk_id: str = ""

    def _show(self, view: PageView) -> None:
        self.document_id, self.title, self.status = str(view.document_id), view.title, view.status
        self.page_number = "" if view.number is None else str(view.number)
        self.position, self.pages = view.position, view.pages
        self.previous_number = "" if view.previous_number is None else str(view.previous_number)
        self.next_number = "" if view.next_number is None else str(view.next_number)
        self.segments = [{"text": s.text, "marked": s.marked} for s in view.segments]
        self.passage_found, self.missing = view.passage_found, False

    def _open(self, number: int | None) -> Any:
        document_id = _uuid(self.document_id)
        try:
            if document_id is None:
                raise NotFound("documents.not_found")
            view = self.run_as_user(lambda session, user: read_page(
                session=session, user=user, document_id=document_id, number=number, chunk_id=_uuid(self.chunk_id)))
        except NotFound as exc:
            self.missing, self.title, self.segments, self.pages = True, "", [], 0
            return rx.toast.error(self.t(exc.code, **exc.params))
        except AppError as exc:
            return self.handle_error(exc)
        self._show(view)
        return rx.scroll_to(PASSAGE_ID) if view.passage_found else None

    @rx.event
    def load(self) -> Any:
        """``on_load``: the page and passage the URL names (``?page=3&chunk=…``)."""
        if not shown_role_suffices(self, Role.USER):
            return None
        parts = [part for part in str(self.router.url.path).split("/") if part]
        query = self.router.url.query_parameters
        self.document_id = parts[1] if len(parts) == 2 else ""
        self.chunk_id = query.get("chunk", "")
        page = query.get("page", "")
        return self._open(int(page) if page.isdigit() else None)

    @rx.event
    def show_page(self, number: str) -> Any:
        """Go to page ``number`` of the same document (the cited passage stays marked on its own page)."""
        if number.isdigit():
            return self._open(int(number))
        return None

    @rx.event
    def download(self) -> Any:
        """Fetch the original file: a one-minute ticket for this document and this login session, followed
        by the browser as an attachment (``GET /api/v1/documents/{id}/file?ticket=…``)."""
        document_id = _uuid(self.document_id)

        def ticket(session: Session, user: User) -> str:
            if document_id is None:
                raise NotFound("documents.not_found")
            get_document(session=session, user=user, document_id=document_id)  # may they read it
            return create_download_ticket(user_id=user.id, session_id=decode_access_token(self.access_token).session_id,
                                          resource_id=document_id)

        try:
            issued = self.run_as_user(ticket)
        except AppError as exc:
            return self.handle_error(exc)
        return rx.download(url=f"/api/v1/documents/{document_id}/file?ticket={issued}", filename=self.title)

"""The document viewer (``/documents/{id}?page=N&chunk=ID``): one page of extracted text with the cited
passage marked, page by page, for PDFs the page image with the passage's boxes over it, and the original
file as a download."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from assistant.core.errors import NotFound
from assistant.core.security import decode_access_token
from assistant.models.user import Role
from assistant.services.rag.passage_boxes import Box
from assistant.services.rag.viewer import PageView, download_ticket, read_page
from assistant.ui import routes
from assistant.ui.state.auth import AuthState, guarded, parse_id

#: The element the cited passage is drawn in, and the first of its boxes on the page image (this one, or
#: the text's mark for a page without image, is scrolled into view when a page opens).
PASSAGE_ID = "cited-passage"
FIRST_BOX_ID = "cited-box-0"
NOT_FOUND = "documents.not_found"


def _optional_id(value: str) -> uuid.UUID | None:
    """The chunk id of the URL, or None when there is none or it is no id (the page opens unmarked)."""
    try:
        return parse_id(value) if value else None
    except NotFound:
        return None


def _box_style(index: int, box: Box) -> dict[str, str]:
    """The ``index``-th box as its element id and CSS percentages of the image it is drawn over."""
    return {"id": f"cited-box-{index}", "left": f"{box.x0 * 100:.3f}%", "top": f"{box.y0 * 100:.3f}%",
            "width": f"{(box.x1 - box.x0) * 100:.3f}%", "height": f"{(box.y1 - box.y0) * 100:.3f}%"}


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
    #: The page image's URL with a fresh one-minute ticket ("" for no image), its alt text, the passage's
    #: boxes as CSS percentages, and whether drawing the image failed.
    image_url: str = ""
    image_alt: str = ""
    boxes: list[dict[str, str]] = []
    image_failed: bool = False

    def _show(self, view: PageView) -> None:
        self.document_id, self.title, self.status = str(view.document_id), view.title, view.status
        self.page_number = "" if view.number is None else str(view.number)
        self.position, self.pages = view.position, view.pages
        self.previous_number = "" if view.previous_number is None else str(view.previous_number)
        self.next_number = "" if view.next_number is None else str(view.next_number)
        self.segments = [{"text": s.text, "marked": s.marked} for s in view.segments]
        self.passage_found, self.missing = view.passage_found, False
        self.boxes = [_box_style(i, box) for i, box in enumerate(view.boxes)]
        self.image_failed = view.image_error is not None
        self.image_alt = self._t("viewer.image_alt", page=self.page_number, title=view.title) if view.image else ""

    async def _open(self, number: int | None) -> Any:
        document_id, chunk_id = self.document_id, self.chunk_id
        try:
            view = await self._run_as_user(lambda session, user: read_page(
                session=session, user=user, document_id=parse_id(document_id, NOT_FOUND), number=number,
                chunk_id=_optional_id(chunk_id)))
        except NotFound as exc:
            self.missing, self.title, self.segments, self.pages = True, "", [], 0
            self.image_url, self.boxes = "", []
            return rx.toast.error(self._t(exc.code, **exc.params))
        image_url = ""
        if view.image and view.number is not None:
            login_session_id = decode_access_token(self.access_token).session_id
            issued = await self._run_as_user(lambda session, user: download_ticket(
                session=session, user=user, document_id=view.document_id, login_session_id=login_session_id))
            image_url = f"/api/v1/documents/{view.document_id}/pages/{view.number}/image?ticket={issued}"
        self._show(view)
        self.image_url = image_url
        if view.boxes:
            return rx.scroll_to(FIRST_BOX_ID)
        return rx.scroll_to(PASSAGE_ID) if view.passage_found else None

    @rx.event
    @guarded
    async def load(self) -> Any:
        """``on_load``: the page and passage the URL names (``?page=3&chunk=…``)."""
        if not self._role_shown(Role.USER):
            return None
        parts = routes.path_segments(str(self.router.url.path))
        query = self.router.url.query_parameters
        self.document_id = parts[1] if len(parts) == 2 else ""
        self.chunk_id = query.get("chunk", "")
        page = query.get("page", "")
        return await self._open(int(page) if page.isdigit() else None)

    @rx.event
    @guarded
    async def show_page(self, number: str) -> Any:
        """Go to page ``number`` of the same document (the cited passage stays marked on its own page)."""
        return await self._open(int(number)) if number.isdigit() else None

    @rx.event
    @guarded
    async def download(self) -> Any:
        """Fetch the original file: a one-minute ticket for this document and this login session, followed
        by the browser as an attachment (``GET /api/v1/documents/{id}/file?ticket=…``)."""
        document_id: uuid.UUID = parse_id(self.document_id, NOT_FOUND)
        await self._run_as_user(lambda session, user: None)  # renews an expired access token first
        login_session_id = decode_access_token(self.access_token).session_id
        issued = await self._run_as_user(lambda session, user: download_ticket(
            session=session, user=user, document_id=document_id, login_session_id=login_session_id))
        return rx.download(url=f"/api/v1/documents/{document_id}/file?ticket={issued}", filename=self.title)

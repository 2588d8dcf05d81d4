"""The memory page: the user's remembered facts grouped by category, with search and filters, adding,
editing (a new version supersedes the old one: history kept), forgetting and restoring, pinning, each
fact's history, and the assistant's proposals waiting for confirmation.

State holds what is on screen only: display dicts built on a worker thread (texts translated, dates
written in the tab's language), the filters and which fact is being edited or shows its history. A change
made elsewhere (another tab, the assistant in a chat, another process) arrives as a ``memory`` event of
the bus and :class:`~assistant.ui.state.live.LiveState` calls :meth:`MemoryState._reload`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.core.errors import InvalidInput, NotFound
from assistant.core.i18n import format_date, format_datetime, translate
from assistant.models import (
    MemoryAuthor,
    MemoryCategory,
    MemoryChange,
    MemoryEntry,
    MemoryImportance,
    MemoryStatus,
    User,
)
from assistant.models.user import Role
from assistant.services.memory import changes, listing
from assistant.services.memory import entries as memories
from assistant.ui import routes
from assistant.ui.state.auth import AuthState, guarded, parse_id

T = TypeVar("T")

#: The filter value that does not filter.
ALL = "all"
#: The importance choice of the add form that leaves it to the category (allergies critical, ...).
AUTO_IMPORTANCE = "auto"
CATEGORIES = tuple(category.value for category in MemoryCategory)
IMPORTANCES = tuple(importance.value for importance in MemoryImportance)
#: Health filter: all facts, only health data, only the rest.
HEALTH_FILTERS = (ALL, "health", "other")
AUTHOR_FILTERS = (ALL, MemoryAuthor.ASSISTANT.value, MemoryAuthor.USER.value)
STATUS_FILTERS = tuple(status.value for status in MemoryStatus)
NOT_FOUND = "memory.not_found"
CHANGE_NOT_FOUND = "memory.change_not_found"


@dataclass(frozen=True)
class _Filters:
    query: str = ""
    category: str = ALL
    health: str = ALL
    author: str = ALL
    status: str = MemoryStatus.ACTIVE.value


@dataclass(frozen=True)
class _View:
    """What the page shows, built on a worker thread."""

    groups: list[dict[str, Any]]
    pending: list[dict[str, Any]]
    history: list[dict[str, Any]]


def _validity(entry: MemoryEntry, lang: str) -> str:
    """The days a fact held, in ``lang``: "since Mar 3, 2026", "Mar 3, 2026 – Apr 1, 2026" or ""."""
    start = format_date(entry.valid_from, lang) if entry.valid_from else ""
    end = format_date(entry.valid_until, lang) if entry.valid_until else ""
    if start and end:
        return translate("memory.valid.range", lang, start=start, end=end)
    if start:
        return translate("memory.valid.since", lang, start=start)
    return translate("memory.valid.until", lang, end=end) if end else ""


def _source(entry: MemoryEntry, lang: str) -> tuple[str, str]:
    """Where a fact came from: ``(link, text)``; both "" for a fact the user typed on this page (its
    author says "added by you"), only the link "" when the chat or document is gone."""
    if entry.source_chat_id is not None:
        href = (routes.chat_message(entry.source_chat_id, entry.source_message_id)
                if entry.source_message_id is not None else routes.chat(entry.source_chat_id))
        return href, translate("memory.source.chat", lang)
    if entry.source_document_id is not None:
        href = routes.document(entry.source_document_id, entry.source_page, entry.source_chunk_id)
        if entry.source_page is not None:
            return href, translate("memory.source.document_page", lang, page=entry.source_page)
        return href, translate("memory.source.document", lang)
    if entry.author == MemoryAuthor.USER:
        return "", ""
    return "", translate("memory.source.gone", lang)


def _fact(entry: MemoryEntry, lang: str) -> dict[str, Any]:
    href, source = _source(entry, lang)
    return {
        "id": str(entry.id), "content": entry.content, "category": entry.category, "importance": entry.importance,
        "importance_text": translate(f"memory.importance.{entry.importance}", lang),
        "sensitive": entry.sensitive, "author_text": translate(f"memory.author.{entry.author}", lang),
        "validity": _validity(entry, lang), "source_href": href, "source_text": source,
        "pinned": entry.importance == MemoryImportance.CRITICAL,
        "active": entry.status == MemoryStatus.ACTIVE, "forgotten": entry.status == MemoryStatus.FORGOTTEN,
    }


def _groups(rows: list[MemoryEntry], lang: str) -> list[dict[str, Any]]:
    """The facts by category, in the order of :class:`~assistant.models.MemoryCategory`, each group with
    its translated name and count."""
    by_category: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in rows:
        by_category[entry.category].append(_fact(entry, lang))
    return [{"category": category, "title": translate(f"memory.category.{category}", lang),
             "count": translate("memory.page.count", lang, count=len(facts)), "facts": facts}
            for category in CATEGORIES if (facts := by_category.get(category))]


def _proposal(change: MemoryChange, lang: str, tz: str) -> dict[str, Any]:
    return {
        "id": str(change.id), "kind": change.kind, "kind_text": translate(f"memory.page.pending.{change.kind}", lang),
        "content": change.content,
        "previous": (translate("memory.page.pending.was", lang, previous=change.previous_content)
                     if change.previous_content and change.previous_content != change.content else ""),
        "category_text": translate(f"memory.category.{change.category}", lang) if change.category else "",
        "created": format_datetime(change.created_at, lang, tz),
    }


def _version(entry: MemoryEntry, lang: str, tz: str) -> dict[str, Any]:
    return {
        "id": str(entry.id), "content": entry.content,
        "status_text": translate(f"memory.status.{entry.status}", lang),
        "author_text": translate(f"memory.author.{entry.author}", lang), "validity": _validity(entry, lang),
        "recorded": translate("memory.page.history.recorded", lang, when=format_datetime(entry.created_at, lang, tz)),
    }


def _read(session: Session, user: User, filters: _Filters, lang: str, history_id: str) -> _View:
    """The page as it is now for ``user`` (on a worker thread)."""
    rows = listing.list_memories(
        session=session, user=user, query=filters.query,
        category=None if filters.category == ALL else filters.category,
        sensitive=None if filters.health == ALL else filters.health == "health",
        author=None if filters.author == ALL else filters.author, status=filters.status)
    pending = changes.pending_changes(session=session, user=user)
    history: list[MemoryEntry] = []
    if history_id:
        try:
            history = listing.memory_history(session=session, user=user, memory_id=parse_id(history_id, NOT_FOUND))
        except NotFound:
            history = []
    return _View(groups=_groups(rows, lang), pending=[_proposal(change, lang, user.timezone) for change in pending],
                 history=[_version(entry, lang, user.timezone) for entry in history])


def _choice(value: str, allowed: tuple[str, ...], default: str) -> str:
    return value if value in allowed else default


class MemoryState(AuthState):
    """The facts on screen, the filters, the add and edit forms' messages and the open history."""

    groups: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    budget_note: str = ""
    query: str = ""
    category_filter: str = ALL
    health_filter: str = ALL
    author_filter: str = ALL
    status_filter: str = MemoryStatus.ACTIVE.value
    add_error: str = ""
    #: Changed after a fact was added, so the add form starts empty again (kept as typed on an error).
    add_form_key: int = 0
    editing_id: str = ""
    edit_error: str = ""
    history_id: str = ""
    history: list[dict[str, Any]] = []

    @rx.var
    def filtered(self) -> bool:
        """Whether a search or a filter narrows the list (the empty list then says "nothing matches")."""
        return bool(self.query.strip()) or (self.category_filter, self.health_filter, self.author_filter,
                                            self.status_filter) != (ALL, ALL, ALL, MemoryStatus.ACTIVE.value)

    def _filters(self) -> _Filters:
        return _Filters(query=self.query, category=self.category_filter, health=self.health_filter,
                        author=self.author_filter, status=self.status_filter)

    def _show(self, view: _View) -> None:
        self.groups, self.pending, self.history = view.groups, view.pending, view.history
        shown = {fact["id"] for group in view.groups for fact in group["facts"]}
        if self.editing_id not in shown:
            self.editing_id, self.edit_error = "", ""
        if not view.history:
            self.history_id = ""

    async def _apply(self, action: Callable[[Session, User], T], edited: str = "") -> T:
        """Run ``action(session, user)`` for the re-checked user, then read the page again in the same
        transaction and show it; returns what ``action`` returned. ``edited``: the id of the fact
        ``action`` replaced by the entry it returns (an open history of it follows to the new version)."""
        async with self:
            filters, lang, history_id = self._filters(), self.lang, self.history_id

        def work(session: Session, user: User) -> tuple[T, str, _View]:
            result = action(session, user)
            shown = history_id
            if isinstance(result, MemoryEntry) and edited and history_id == edited:
                shown = str(result.id)
            return result, shown, _read(session, user, filters, lang, shown)

        result, shown, view = await self._run_as_user(work)
        async with self:
            self.history_id = shown
            self._show(view)
        return result

    async def _reload(self) -> None:
        """Show the page again as stored (after a filter changed, or a ``memory`` event of the bus)."""
        await self._apply(lambda session, user: None)

    @rx.event
    @guarded
    async def load(self) -> None:
        """``on_load``: the facts, the proposals, nothing being edited. Skipped when
        ``AuthState.check_login`` just found no session (it has already reacted)."""
        self.editing_id, self.edit_error, self.add_error, self.history_id = "", "", "", ""
        settings = get_settings()
        self.budget_note = self._t("memory.page.budget", chars=settings.memory_context_chars,
                                   k=settings.memory_recall_k)
        if self._role_shown(Role.USER):
            await self._reload()

    @rx.event
    @guarded
    async def set_query(self, value: str) -> None:
        """Search the facts' text."""
        self.query = str(value)[:listing.MAX_SEARCH_CHARS]
        await self._reload()

    @rx.event
    @guarded
    async def set_category_filter(self, value: str) -> None:
        """Show one category (or all)."""
        self.category_filter = _choice(value, (ALL, *CATEGORIES), ALL)
        await self._reload()

    @rx.event
    @guarded
    async def set_health_filter(self, value: str) -> None:
        """Show only health data, only the rest, or both."""
        self.health_filter = _choice(value, HEALTH_FILTERS, ALL)
        await self._reload()

    @rx.event
    @guarded
    async def set_author_filter(self, value: str) -> None:
        """Show the facts the assistant saved, those the user added, or both."""
        self.author_filter = _choice(value, AUTHOR_FILTERS, ALL)
        await self._reload()

    @rx.event
    @guarded
    async def set_status_filter(self, value: str) -> None:
        """Show the active, the superseded (earlier versions) or the forgotten facts."""
        self.status_filter = _choice(value, STATUS_FILTERS, MemoryStatus.ACTIVE.value)
        await self._reload()

    @rx.event
    @guarded
    async def add(self, form: dict[str, Any]) -> Any:
        """Remember a fact typed on the page; a rejected one is explained in the form, as typed."""
        importance = str(form.get("importance", ""))
        content, category = str(form.get("content", "")), str(form.get("category", ""))
        valid_from = str(form.get("valid_from", ""))
        self.add_error = ""
        try:
            saved = await self._apply(lambda session, user: memories.add_memory(
                session=session, user=user, content=content, category=category,
                importance=None if importance in ("", AUTO_IMPORTANCE) else importance, valid_from=valid_from))
        except InvalidInput as exc:
            self.add_error = self._t(exc.code, **exc.params)
            return None
        self.add_form_key += 1
        if saved.duplicate:
            return rx.toast.info(self._t("memory.page.duplicate"))
        if saved.previous is not None:
            return rx.toast.success(self._t("memory.page.replaced", previous=saved.previous.content))
        return rx.toast.success(self._t("memory.page.added"))

    @rx.event
    def start_edit(self, memory_id: str) -> None:
        """Open the inline editor of an active fact on screen."""
        if any(fact["id"] == memory_id and fact["active"] for group in self.groups for fact in group["facts"]):
            self.editing_id, self.edit_error = memory_id, ""

    @rx.event
    def cancel_edit(self) -> None:
        """Close the editor; nothing changes."""
        self.editing_id, self.edit_error = "", ""

    @rx.event
    @guarded
    async def save_edit(self, form: dict[str, Any]) -> Any:
        """Correct the fact being edited: the new version supersedes it (its history grows); a rejected
        value is explained in the editor, as typed."""
        old_id = parse_id(self.editing_id, NOT_FOUND)
        content, category = str(form.get("content", "")), str(form.get("category", ""))
        importance, valid_from = str(form.get("importance", "")), str(form.get("valid_from", ""))
        self.edit_error = ""
        try:
            await self._apply(lambda session, user: memories.edit_memory(
                session=session, user=user, memory_id=old_id, content=content, category=category or None,
                importance=importance or None, valid_from=valid_from), edited=str(old_id))
        except InvalidInput as exc:
            self.edit_error = self._t(exc.code, **exc.params)
            return None
        self.editing_id = ""
        return rx.toast.success(self._t("common.saved"))

    async def _change(self, memory_id: str, action: Callable[..., object], **values: Any) -> None:
        """Run ``action(session=, user=, memory_id=, **values)`` on one fact, then show the page again."""
        ident = parse_id(memory_id, NOT_FOUND)
        await self._apply(lambda session, user: action(session=session, user=user, memory_id=ident, **values))

    @rx.event
    @guarded
    async def forget(self, memory_id: str) -> Any:
        """Stop using a fact (it stays restorable under the "forgotten" filter)."""
        await self._change(memory_id, memories.forget_memory)
        return rx.toast.success(self._t("memory.page.forgotten"))

    @rx.event
    @guarded
    async def restore(self, memory_id: str) -> Any:
        """Use a forgotten fact again."""
        await self._change(memory_id, memories.restore_memory)
        return rx.toast.success(self._t("memory.page.restored"))

    @rx.event
    @guarded
    async def pin(self, memory_id: str) -> None:
        """Make a fact critical: it enters every answer."""
        await self._change(memory_id, memories.set_importance, importance=MemoryImportance.CRITICAL.value)

    @rx.event
    @guarded
    async def unpin(self, memory_id: str) -> None:
        """Give a pinned fact its category's usual importance again."""
        await self._change(memory_id, memories.set_importance, importance=None)

    @rx.event
    @guarded
    async def toggle_history(self, memory_id: str) -> None:
        """Show a fact's versions, newest first (or hide them again)."""
        if self.history_id == memory_id:
            self.history_id, self.history = "", []
            return
        ident, lang = parse_id(memory_id, NOT_FOUND), self.lang
        versions = await self._run_as_user(lambda session, user: [
            _version(entry, lang, user.timezone)
            for entry in listing.memory_history(session=session, user=user, memory_id=ident)])
        self.history_id, self.history = str(ident), versions

    @rx.event
    @guarded
    async def confirm(self, change_id: str) -> Any:
        """Apply one of the assistant's proposals."""
        ident = parse_id(change_id, CHANGE_NOT_FOUND)
        await self._apply(lambda session, user: changes.confirm(session=session, user=user, change_id=ident))
        return rx.toast.success(self._t("memory.page.pending.confirmed"))

    @rx.event
    @guarded
    async def reject(self, change_id: str) -> Any:
        """Decline one of the assistant's proposals: nothing is stored."""
        ident = parse_id(change_id, CHANGE_NOT_FOUND)
        await self._apply(lambda session, user: changes.reject(session=session, user=user, change_id=ident))
        return rx.toast.success(self._t("memory.page.pending.rejected"))

"""Context file editors: the user's personal context (settings page) and the primary context (admin page).

Both share one mixin; each concrete state fixes the scope and the role its events require. State holds
the text on screen, the current version number and a short line per saved version, never the whole
history's texts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import reflex as rx
from sqlmodel import Session

from assistant.core.errors import NotFound
from assistant.core.i18n import format_datetime
from assistant.models import ContextScope, User
from assistant.models.user import Role
from assistant.services.chat import context_files
from assistant.ui.state.auth import AuthState, guarded

T = TypeVar("T")

#: Characters of a version's text shown in the history list.
PREVIEW_CHARS = 120


def _preview(content: str) -> str:
    line = " ".join(content.split())
    return line if len(line) <= PREVIEW_CHARS else line[: PREVIEW_CHARS - 1] + "…"


def _version_number(value: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise NotFound("context.version_not_found") from exc


class ContextEditorState(AuthState, mixin=True):
    """One context file's editor. Subclasses set :attr:`scope` and :attr:`minimum_role`."""

    scope: ClassVar[ContextScope]
    minimum_role: ClassVar[Role]

    content: str = ""
    version: int = 0
    versions: list[dict[str, str]] = []

    @staticmethod
    def _history(session: Session, user: User, scope: ContextScope) -> tuple[str, int, list[dict[str, str]]]:
        """The file's current text, its version number and a line per saved version (on a worker thread)."""
        history = context_files.list_versions(session=session, user=user, scope=scope)
        lines = [
            {
                "version": str(entry.version),
                "author": entry.author,
                "created": format_datetime(entry.created_at, user.language, user.timezone),
                "preview": _preview(entry.content),
            }
            for entry in history
        ]
        return (history[0].content, history[0].version, lines) if history else ("", 0, lines)

    async def _run(self, action: Callable[[Session, User], T]) -> T:
        """Run ``action(session, user)`` for a re-checked user, then show the file again."""
        scope, history = self.scope, type(self)._history

        def work(session: Session, user: User) -> tuple[T, tuple[str, int, list[dict[str, str]]]]:
            return action(session, user), history(session, user, scope)

        result, (self.content, self.version, self.versions) = await self._run_as_user(work, self.minimum_role)
        return result

    @rx.event
    @guarded
    async def load(self) -> None:
        """``on_load`` after ``AuthState.check_login``: the current text and its history.

        Skipped when that check found no session or too low a role (the page's first loader has already
        reacted); every event re-checks the account anyway.
        """
        if self._role_shown(self.minimum_role):
            await self._run(lambda session, user: None)

    @rx.event
    @guarded
    async def save(self, form: dict[str, Any]) -> Any:
        """Save the submitted text as a new version (nothing is stored when it did not change)."""
        content, scope, before = str(form.get("content", "")), self.scope, self.version
        number = await self._run(
            lambda session, user: context_files.save_context(session=session, user=user, scope=scope, content=content))
        if number == before:
            return rx.toast.info(self._t("context.unchanged"))
        return rx.toast.success(self._t("context.saved", version=number))

    @rx.event
    @guarded
    async def restore(self, version: str) -> Any:
        """Save the text of an older ``version`` again as the newest one."""
        old, scope = _version_number(version), self.scope
        number = await self._run(
            lambda session, user: context_files.restore_version(session=session, user=user, scope=scope, version=old))
        return rx.toast.success(self._t("context.restored", old=old, version=number))


class PersonalContextState(ContextEditorState, AuthState):
    """The signed-in user's own context (settings page)."""

    scope: ClassVar[ContextScope] = ContextScope.PERSONAL
    minimum_role: ClassVar[Role] = Role.USER


class PrimaryContextState(ContextEditorState, AuthState):
    """The primary context every user's assistant sees (admin page)."""

    scope: ClassVar[ContextScope] = ContextScope.PRIMARY
    minimum_role: ClassVar[Role] = Role.ADMIN

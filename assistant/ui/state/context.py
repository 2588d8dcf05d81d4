"""Context file editors: the user's personal context (settings page) and the primary context (admin page).

Both share one mixin; each concrete state fixes the scope and the role its events require. State holds
the text on screen, the current version number and a short line per saved version, never the whole
history's texts.
"""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from assistant.core.errors import AppError, NotFound
from assistant.core.i18n import format_datetime
from assistant.models import ContextScope, User
from assistant.models.user import Role
from assistant.services.chat import context_files
from assistant.ui.state.auth import AuthState

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


def shown_role_suffices(state: AuthState, minimum: Role) -> bool:
    """Whether the role the last session check showed in ``state`` is at least ``minimum``.

    For skipping a page's extra loaders after ``AuthState.check_login`` found no session or too low a role
    (never for granting anything: every event re-checks the account).
    """
    return state.user_role in {role.value for role in Role} and Role(state.user_role).rank >= minimum.rank


class ContextEditorState(AuthState, mixin=True):
    """One context file's editor. Subclasses set :attr:`scope` and :attr:`minimum_role`."""

    scope: ClassVar[ContextScope]
    minimum_role: ClassVar[Role]

    content: str = ""
    version: int = 0
    versions: list[dict[str, str]] = []

    def _show(self, session: Session, user: User) -> None:
        history = context_files.list_versions(session=session, user=user, scope=self.scope)
        self.content = history[0].content if history else ""
        self.version = history[0].version if history else 0
        self.versions = [
            {
                "version": str(entry.version),
                "author": entry.author,
                "created": format_datetime(entry.created_at, user.language, user.timezone),
                "preview": _preview(entry.content),
            }
            for entry in history
        ]

    def _run(self, action: Any) -> Any:
        """Run ``action(session, user)`` for a re-checked user, then show the file again."""

        def _work(session: Session, user: User) -> Any:
            result = action(session, user)
            self._show(session, user)
            return result

        return self.run_as_user(_work, minimum_role=self.minimum_role)

    @rx.event
    def load(self) -> Any:
        """``on_load`` after ``AuthState.check_login``: the current text and its history.

        Skipped when that check found no session or too low a role (the page's first loader has already
        reacted); every event re-checks the account anyway.
        """
        if not shown_role_suffices(self, self.minimum_role):
            return None
        try:
            self._run(lambda session, user: None)
        except AppError as exc:
            return self.handle_error(exc)
        return None

    @rx.event
    def save(self, form: dict[str, Any]) -> Any:
        """Save the submitted text as a new version (nothing is stored when it did not change)."""
        content = str(form.get("content", ""))
        before = self.version
        try:
            number = self._run(
                lambda session, user: context_files.save_context(session=session, user=user, scope=self.scope, content=content)
            )
        except AppError as exc:
            return self.handle_error(exc)
        if number == before:
            return rx.toast.info(self.t("context.unchanged"))
        return rx.toast.success(self.t("context.saved", version=number))

    @rx.event
    def restore(self, version: str) -> Any:
        """Save the text of an older ``version`` again as the newest one."""
        try:
            old = _version_number(version)
            number = self._run(
                lambda session, user: context_files.restore_version(session=session, user=user, scope=self.scope, version=old)
            )
        except AppError as exc:
            return self.handle_error(exc)
        return rx.toast.success(self.t("context.restored", old=old, version=number))


class PersonalContextState(ContextEditorState, AuthState):
    """The signed-in user's own context (settings page)."""

    scope: ClassVar[ContextScope] = ContextScope.PERSONAL
    minimum_role: ClassVar[Role] = Role.USER


class PrimaryContextState(ContextEditorState, AuthState):
    """The primary context every user's assistant sees (admin page)."""

    scope: ClassVar[ContextScope] = ContextScope.PRIMARY
    minimum_role: ClassVar[Role] = Role.ADMIN

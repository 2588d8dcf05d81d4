"""Every page address of the app, for ``assistant.py``'s pages, links and redirects."""

from __future__ import annotations

import uuid

INDEX = "/"
LOGIN = "/login"
REGISTER = "/register"
CHATS = "/chats"
CHAT = "/chats/[chat_id]"
DOCUMENTS = "/documents"
DOCUMENT = "/documents/[document_id]"
MEMORY = "/memory"
REMINDERS = "/reminders"
TASKS = "/tasks"
NOTIFICATIONS = "/notifications"
REPORTS = "/reports"
SETTINGS = "/settings"
ADMIN = "/admin"
#: The admin console's other pages (the settings stay at ADMIN).
ADMIN_PROVIDERS = "/admin/providers"
ADMIN_USERS = "/admin/users"
ADMIN_AUDIT = "/admin/audit"
ADMIN_ANALYTICS = "/admin/analytics"
ADMIN_SYSTEM = "/admin/system"
#: Agents: everyone's own and those granted to them; admins also manage the general ones here.
AGENTS = "/agents"
#: The page a verification link in a mail opens (``?code=...``), signed in or not.
VERIFY_EMAIL = "/verify-email"
#: The page an admin's invitation link opens (``?code=...``): the invitee chooses a password and is signed in.
INVITE = "/invite"
#: Where an account whose password an admin set must choose its own before anything else.
CHANGE_PASSWORD = "/change-password"
#: Where a signed-in user lands when nothing else was asked for.
HOME = CHATS
#: Pages for signed-out visitors: never a place to come back to after signing in.
SIGNED_OUT = (LOGIN, REGISTER, INVITE)


def chat(chat_id: uuid.UUID | str) -> str:
    """The address of one chat."""
    return f"{CHATS}/{chat_id}"


def chat_message(chat_id: uuid.UUID | str, message_id: uuid.UUID | str) -> str:
    """The address of one chat with one of its messages marked and scrolled into view."""
    return f"{CHATS}/{chat_id}?message={message_id}"


def document(document_id: uuid.UUID | str, page: int | str | None = None,
             chunk_id: uuid.UUID | str | None = None) -> str:
    """The viewer's address for a document, optionally at a page and with a chunk marked."""
    parts = (("page", page), ("chunk", chunk_id))
    query = "&".join(f"{key}={value}" for key, value in parts if value not in (None, ""))
    return f"{DOCUMENTS}/{document_id}" + (f"?{query}" if query else "")


def path_segments(path: str) -> list[str]:
    """The non-empty segments of a URL path: ``"/documents/x/"`` gives ``["documents", "x"]``."""
    return [part for part in path.split("/") if part]


def return_target(path: str, query: str = "") -> str:
    """A page of this app to come back to after signing in, from a URL's path and query; ``""`` when the
    address is not one (another site, ``//host``, a backslash trick, or a signed-out page)."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path or path in SIGNED_OUT:
        return ""
    if any(ord(char) < 32 for char in path + query):
        return ""
    return path + (f"?{query}" if query else "")

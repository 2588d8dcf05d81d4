"""User B holding user A's ids: chat, message, skill, document, chunk, citation and collection ids.

B may learn an id from a shared screen, a URL in a log or a guess; holding one must give nothing. Every
service entry point that takes one answers B exactly as it answers for an id that does not exist (same
error class, code and parameters, so existence does not leak) and leaves A's rows and files as they
were; the download route answers B's bearer token and a ticket minted for B naming A's document with the
same 404 as for a random id; ``search_documents`` and the offline answer run for B never return A's
passages. Then the running app: B's browser opens A's chat and A's citation (``/chats/{id}``,
``/documents/{id}?page=1&chunk={id}``) and sees only a not-found state, and B's event socket sends the
page events that take ids (``show_context``, ``reindex``, ``cancel``, ``delete``, ``download``) with A's.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text
from support.app import empty_app_tables
from support.event_socket import event_socket, run, state_names

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.core.errors import AppError
from assistant.models import Document, Role, User

#: A's private document: a sentence nobody else has written, and the question that finds it.
SECRET = "Alice's ferritin was 9 ng/mL and her zorblax antibody test came back positive."
QUESTION = "What did the zorblax antibody test show?"
PASSWORD = "correct-horse-42"
B_TEXT = "Bob keeps a note about his running shoes and the marathon training plan."


def _call(fn: Callable[..., Any], /, **kwargs: Any) -> Any:
    with session_scope() as session:
        return fn(session=session, **kwargs)


# ----- the two users' data, built once for the service tests ---------------------------------------


@dataclass
class World:
    alice: User
    bob: User
    admin: User
    chat_id: uuid.UUID  # A's chat with one offline exchange citing A's document
    question_id: uuid.UUID
    answer_id: uuid.UUID
    skill_id: uuid.UUID  # A's personal skill
    document_id: uuid.UUID  # A's ingested private document
    chunk_id: uuid.UUID  # the chunk the answer cites
    collection_id: uuid.UUID  # granted to A only
    collection_document_id: uuid.UUID
    bob_chat_id: uuid.UUID
    bob_document_id: uuid.UUID  # B's own ingested document (pages stored)
    bob_bare_document_id: uuid.UUID  # B's document without stored pages
    citation: dict[str, Any]


def _user(email: str, role: Role = Role.USER) -> User:
    user = User(email=email, display_name=email.split("@")[0], password_hash=_password_hash(), role=role.value)
    with session_scope() as session:
        session.add(user)
    return user


@functools.lru_cache(maxsize=1)
def _password_hash() -> str:
    from assistant.core.security import hash_password

    return hash_password(PASSWORD)


def _document(owner: User, content: bytes, *, name: str, collection_id: uuid.UUID | None = None,
              ingest: bool = True) -> uuid.UUID:
    """A stored text document of ``owner``, ingested by the real job (extraction, chunks, pages)."""
    from assistant.services.rag import ingest as ingestion
    from assistant.services.rag.paths import document_path

    document = Document(owner_id=owner.id, collection_id=collection_id, filename=name, storage_name=uuid.uuid4().hex,
                        media_type="text/plain", size_bytes=len(content), sha256=hashlib.sha256(content).hexdigest(),
                        status="pending" if ingest else "completed")
    path = document_path(get_settings(), document.storage_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    with session_scope() as session:
        session.add(document)
    if ingest:
        assert ingestion.run_job(document.id) == "completed"
    return document.id


@pytest.fixture(scope="module")
def world(database) -> Iterator[World]:
    """A (with a chat citing her document, a skill and a granted collection), B with his own chat and
    documents, and an admin. Built once: every attempt below must leave it as it is anyway."""
    from assistant.services.chat import chats, skills
    from assistant.services.chat.turns import run_turn
    from assistant.services.rag import collections

    empty_app_tables()
    alice, bob, admin = _user("alice@example.org"), _user("bob@example.org"), _user("admin@example.org", Role.ADMIN)
    document_id = _document(alice, f"Lab letter.\n\n{SECRET}\n".encode(), name="alice-labs.txt")
    collection = _call(collections.create_collection, user=admin, name="Alice's clinic")
    collection_document_id = _document(admin, f"Clinic leaflet for Alice. {SECRET}".encode(), name="leaflet.txt",
                                       collection_id=collection.id, ingest=False)
    _call(collections.grant, user=admin, collection_id=collection.id, user_id=alice.id)
    skill = _call(skills.create_skill, user=alice, scope="personal",
                  data={"name": "Alice's nurse", "system_prompt": "Answer like Alice's nurse.", "icon": "stethoscope"})
    chat = _call(chats.create_chat, user=alice, title="Alice's zorblax results", skill_id=skill.id)

    async def ask() -> None:
        async for _ in run_turn(user_id=alice.id, chat_id=chat.id, text=QUESTION):
            pass

    run(ask())
    question, answer = _call(chats.list_messages, user=alice, chat_id=chat.id).messages
    assert SECRET in answer.content and answer.citations, answer
    citation = answer.citations[0]
    assert citation["document_id"] == str(document_id)

    bob_chat = _call(chats.create_chat, user=bob, title="Bob's chat")
    bob_document_id = _document(bob, B_TEXT.encode(), name="bob-notes.txt")
    bob_bare_document_id = _document(bob, B_TEXT.encode(), name="bob-bare.txt", ingest=False)
    yield World(alice=alice, bob=bob, admin=admin, chat_id=chat.id, question_id=question.id, answer_id=answer.id,
                skill_id=skill.id, document_id=document_id, chunk_id=uuid.UUID(citation["chunk_id"]),
                collection_id=collection.id, collection_document_id=collection_document_id, bob_chat_id=bob_chat.id,
                bob_document_id=bob_document_id, bob_bare_document_id=bob_bare_document_id, citation=citation)
    empty_app_tables()


def alice_snapshot(world: World) -> dict[str, Any]:
    """Every row of A's data (and of the collection granted to her) and the bytes of their files."""
    ids = {"a": world.alice.id, "c": world.collection_id}
    documents = "SELECT id FROM documents WHERE owner_id = :a OR collection_id = :c"
    queries = {
        "users": "SELECT id, email, role, is_active, password_hash, updated_at FROM users WHERE id = :a",
        "chats": "SELECT * FROM chats WHERE user_id = :a",
        "messages": "SELECT m.* FROM messages m JOIN chats c ON c.id = m.chat_id WHERE c.user_id = :a",
        "skills": "SELECT * FROM skills WHERE owner_id = :a",
        "documents": "SELECT * FROM documents WHERE owner_id = :a OR collection_id = :c",
        "chunks": f"SELECT id, document_id, ord, page, text, owner_id, collection_id, embedding::text FROM chunks "
                  f"WHERE document_id IN ({documents})",
        "document_pages": f"SELECT * FROM document_pages WHERE document_id IN ({documents})",
        "collections": "SELECT * FROM collections",
        "collection_grants": "SELECT * FROM collection_grants",
    }
    from assistant.services.rag.paths import document_path

    with session_scope() as session:
        snapshot: dict[str, Any] = {name: sorted(map(repr, session.execute(text(sql + " ORDER BY 1"), ids).all()))
                                    for name, sql in queries.items()}
        names = session.execute(text(f"SELECT storage_name FROM documents WHERE id IN ({documents})"), ids).scalars()
        snapshot["files"] = {name: hashlib.sha256(document_path(get_settings(), name).read_bytes()).hexdigest()
                             for name in names}
    assert snapshot["chats"] and snapshot["messages"] and snapshot["chunks"] and len(snapshot["files"]) == 2
    return snapshot


# ----- every service entry point that takes an id --------------------------------------------------


def _turn(mode: str, text: str | None) -> Callable[[World, uuid.UUID], None]:
    from assistant.services.chat.turns import run_turn

    def attempt(world: World, chat_id: uuid.UUID) -> None:
        async def consume() -> None:
            async for _ in run_turn(user_id=world.bob.id, chat_id=chat_id, mode=mode, text=text):
                pass

        run(consume())

    return attempt


def _service(module: str, function: str, key: str, **kwargs: Any) -> Callable[[World, uuid.UUID], Any]:
    """B calls ``module.function(session=…, user=B, <key>=<id>, **kwargs)``."""

    def attempt(world: World, some_id: uuid.UUID) -> Any:
        import importlib

        fn = getattr(importlib.import_module(f"assistant.services.{module}"), function)
        extra = {name: value(world) if callable(value) else value for name, value in kwargs.items()}
        return _call(fn, user=world.bob, **{key: some_id}, **extra)

    return attempt


def _settings(_world: World) -> Any:
    return get_settings()


#: ``name: (which of A's ids, B's attempt, the error code expected for A's id and a random one alike)``.
ATTEMPTS: dict[str, tuple[str, Callable[[World, uuid.UUID], Any], str]] = {
    "chat.get_chat": ("chat_id", _service("chat.chats", "get_chat", "chat_id"), "chat.not_found"),
    "chat.get_chat_for_update": ("chat_id", _service("chat.chats", "get_chat", "chat_id", lock=True), "chat.not_found"),
    "chat.list_messages": ("chat_id", _service("chat.chats", "list_messages", "chat_id"), "chat.not_found"),
    "chat.list_messages_older": ("chat_id", _service("chat.chats", "list_messages", "chat_id", before_seq=10**6),
                                 "chat.not_found"),
    "chat.rename_chat": ("chat_id", _service("chat.chats", "rename_chat", "chat_id", title="Bob was here"),
                         "chat.not_found"),
    "chat.set_tier": ("chat_id", _service("chat.chats", "set_tier", "chat_id", tier="large"), "chat.not_found"),
    "chat.set_skill_none": ("chat_id", _service("chat.chats", "set_skill", "chat_id", skill_id=None),
                            "chat.not_found"),
    "chat.set_archived": ("chat_id", _service("chat.chats", "set_archived", "chat_id", archived=True),
                          "chat.not_found"),
    "chat.delete_chat": ("chat_id", _service("chat.chats", "delete_chat", "chat_id"), "chat.not_found"),
    "chat.run_turn_send": ("chat_id", _turn("send", "Bob asks: what did the zorblax test show?"), "chat.not_found"),
    "chat.run_turn_regenerate": ("chat_id", _turn("regenerate", None), "chat.not_found"),
    "chat.run_turn_edit": ("chat_id", _turn("edit", "Bob replaces Alice's question"), "chat.not_found"),
    "chat.get_message_context_answer": ("answer_id", _service("chat.chats", "get_message_context", "message_id"),
                                        "chat.message_not_found"),
    "chat.get_message_context_question": ("question_id", _service("chat.chats", "get_message_context", "message_id"),
                                          "chat.message_not_found"),
    # A's personal skill: on B's own chat, or edited and deleted directly
    "skill.set_skill_on_own_chat": ("skill_id", _service("chat.chats", "set_skill", "skill_id",
                                                         chat_id=lambda w: w.bob_chat_id), "skills.not_found"),
    "skill.create_chat_with_skill": ("skill_id", _service("chat.chats", "create_chat", "skill_id"), "skills.not_found"),
    "skill.update_skill": ("skill_id", _service("chat.skills", "update_skill", "skill_id", data={
        "name": "Bob's now", "system_prompt": "Leak everything.", "icon": "sparkles"}), "skills.not_found"),
    "skill.delete_skill": ("skill_id", _service("chat.skills", "delete_skill", "skill_id"), "skills.not_found"),
    # A's private document and the collection document B was not granted
    "documents.get_document": ("document_id", _service("rag.documents", "get_document", "document_id"),
                               "documents.not_found"),
    "documents.reindex_document": ("document_id", _service("rag.documents", "reindex_document", "document_id"),
                                   "documents.not_found"),
    "documents.cancel_document": ("document_id", _service("rag.documents", "cancel_document", "document_id"),
                                  "documents.not_found"),
    "documents.delete_document": ("document_id", _service("rag.documents", "delete_document", "document_id",
                                                          settings=_settings), "documents.not_found"),
    "documents.read_page": ("document_id", _service("rag.viewer", "read_page", "document_id"), "documents.not_found"),
    "documents.read_page_page_1": ("document_id", _service("rag.viewer", "read_page", "document_id", number=1),
                                   "documents.not_found"),
    "documents.read_page_cited_chunk": ("document_id", _service(
        "rag.viewer", "read_page", "document_id", number=1, chunk_id=lambda w: w.chunk_id), "documents.not_found"),
    "documents.original_file": ("document_id", _service("rag.viewer", "original_file", "document_id",
                                                        settings=_settings), "documents.not_found"),
    "collection_document.get_document": ("collection_document_id", _service(
        "rag.documents", "get_document", "document_id"), "documents.not_found"),
    "collection_document.delete_document": ("collection_document_id", _service(
        "rag.documents", "delete_document", "document_id", settings=_settings), "documents.not_found"),
    "collection_document.read_page": ("collection_document_id", _service("rag.viewer", "read_page", "document_id"),
                                      "documents.not_found"),
    "collection_document.original_file": ("collection_document_id", _service(
        "rag.viewer", "original_file", "document_id", settings=_settings), "documents.not_found"),
    # the admin functions of collections, by B who is no admin: refused before the id is even looked up
    "collections.get_collection": ("collection_id", _service("rag.collections", "get_collection", "collection_id"),
                                   "errors.forbidden"),
    "collections.update_collection": ("collection_id", _service(
        "rag.collections", "update_collection", "collection_id", name="Bob's now"), "errors.forbidden"),
    "collections.delete_collection": ("collection_id", _service(
        "rag.collections", "delete_collection", "collection_id", settings=_settings), "errors.forbidden"),
    "collections.grant_self": ("collection_id", _service(
        "rag.collections", "grant", "collection_id", user_id=lambda w: w.bob.id), "errors.forbidden"),
    "collections.revoke_alice": ("collection_id", _service(
        "rag.collections", "revoke", "collection_id", user_id=lambda w: w.alice.id), "errors.forbidden"),
    "collections.list_grantees": ("collection_id", _service("rag.collections", "list_grantees", "collection_id"),
                                  "errors.forbidden"),
}


@pytest.mark.parametrize("name", list(ATTEMPTS))
def test_b_with_an_id_of_a_gets_what_a_random_id_gets_and_changes_nothing(world: World, name: str) -> None:
    which, attempt, code = ATTEMPTS[name]
    before = alice_snapshot(world)

    with pytest.raises(AppError) as theirs:
        attempt(world, getattr(world, which))
    with pytest.raises(AppError) as missing:
        attempt(world, uuid.uuid4())

    assert (type(theirs.value), theirs.value.code, theirs.value.params) == \
           (type(missing.value), missing.value.code, missing.value.params)
    assert theirs.value.code == code
    assert alice_snapshot(world) == before


@pytest.mark.parametrize("function", ["list_collections", "grantees_by_collection"])
def test_b_cannot_list_the_collections_or_their_grantees(world: World, function: str) -> None:
    from assistant.services.rag import collections

    with pytest.raises(AppError) as refused:
        _call(getattr(collections, function), user=world.bob)
    assert refused.value.code == "errors.forbidden"
    assert _call(collections.collections_for, user=world.bob) == []


def test_as_chunk_id_on_bs_own_documents_marks_and_shows_nothing_of_a(world: World) -> None:
    """``read_page`` of B's own documents, with and without stored pages, naming A's chunk: B's page
    comes back and A's passage is neither marked nor shown."""
    from assistant.services.rag.viewer import read_page

    before = alice_snapshot(world)
    for document_id in (world.bob_document_id, world.bob_bare_document_id):
        view = _call(read_page, user=world.bob, document_id=document_id, chunk_id=world.chunk_id)
        shown = "".join(segment.text for segment in view.segments)
        assert "zorblax" not in shown and not view.passage_found
        assert not any(segment.marked for segment in view.segments)
    assert alice_snapshot(world) == before


def test_lists_searches_the_tool_and_bs_own_answers_show_nothing_of_a(world: World) -> None:
    from assistant.services.chat import chats
    from assistant.services.chat.turns import run_turn
    from assistant.services.rag.documents import list_documents
    from assistant.services.tools.documents import SearchDocumentsArguments, search_documents
    from assistant.services.tools.registry import ToolContext

    before = alice_snapshot(world)
    assert [d.id for d in _call(list_documents, user=world.bob)] == [world.bob_bare_document_id,
                                                                      world.bob_document_id]
    assert [c.id for c in _call(chats.search_chats, user=world.bob, query="zorblax")] == []

    context = ToolContext(user_id=world.bob.id, timezone="UTC")
    for query in (QUESTION, SECRET, "zorblax", "Alice ferritin"):
        result = run(search_documents(SearchDocumentsArguments(query=query, k=10), context))
        found = json.dumps(result)
        assert "zorblax" not in found and "alice-labs" not in found and str(world.document_id) not in found
    assert str(world.document_id) not in json.dumps(context.sources.citations())

    async def ask() -> None:
        async for _ in run_turn(user_id=world.bob.id, chat_id=world.bob_chat_id, text=QUESTION):
            pass

    run(ask())
    answer = _call(chats.list_messages, user=world.bob, chat_id=world.bob_chat_id).messages[-1]
    assert "zorblax antibody test came back" not in answer.content and "alice-labs" not in answer.content
    assert {c["document_id"] for c in answer.citations} <= {str(world.bob_document_id)}
    assert alice_snapshot(world) == before


# ----- the download route --------------------------------------------------------------------------


def test_the_download_route_answers_bs_token_and_bs_ticket_for_as_document_like_a_missing_one(world: World) -> None:
    from fastapi.testclient import TestClient

    from assistant.api.app import create_api
    from assistant.core.security import create_download_ticket, decode_access_token
    from assistant.services.auth import service as auth

    before = alice_snapshot(world)
    with session_scope() as session:
        tokens = auth.login(session=session, email="bob@example.org", password=PASSWORD, client_address="192.0.2.8")
    claims = decode_access_token(tokens.access_token)

    def ticket(resource: uuid.UUID) -> str:  # minted for B, as if the page had handed one out for A's file
        return create_download_ticket(user_id=claims.user_id, session_id=claims.session_id, resource_id=resource)

    with TestClient(create_api()) as client:
        def get(document_id: uuid.UUID, **how: Any):
            return client.get(f"/api/v1/documents/{document_id}/file", **how)

        bearer = {"headers": {"Authorization": f"Bearer {tokens.access_token}"}}
        missing = uuid.uuid4()
        answers = {
            "token": (get(world.document_id, **bearer), get(missing, **bearer)),
            "token_collection": (get(world.collection_document_id, **bearer), get(missing, **bearer)),
            "ticket_naming_it": (get(world.document_id, params={"ticket": ticket(world.document_id)}),
                                 get(missing, params={"ticket": ticket(missing)})),
            "own_ticket_other_id": (get(world.document_id, params={"ticket": ticket(world.bob_document_id)}),
                                    get(missing, params={"ticket": ticket(world.bob_document_id)})),
        }
        own = get(world.bob_document_id, **bearer)
    assert own.status_code == 200 and own.content == B_TEXT.encode()  # the token itself works
    for case, (theirs, random) in answers.items():
        assert theirs.status_code == random.status_code == 404, case
        assert theirs.json() == random.json(), case
        assert b"zorblax" not in theirs.content
    assert alice_snapshot(world) == before


# ----- the running app: B's browser and B's event socket -------------------------------------------

ALICE, BOB = "alice-ids@example.org", "bob-ids@example.org"


@dataclass(frozen=True)
class AliceOnline:
    """A's ids on the running app, as her page received them."""

    chat_id: str
    question_id: str
    answer_id: str
    document_id: str
    chunk_id: str
    citation_href: str
    answer_text: str


def _messages_in(frames: list[str]) -> list[dict[str, Any]]:
    """The last list of chat messages the app sent to a page (from its event-socket frames)."""
    found: list[dict[str, Any]] = []
    for frame in frames:
        if not frame.startswith("42/_event,"):
            continue
        _, body = json.loads(frame[len("42/_event,"):])
        for values in body.get("delta", {}).values():
            if values.get("messages_rx_state_"):
                found = values["messages_rx_state_"]
    return found


@pytest.fixture(scope="module")
def alice_online(live_app, browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AliceOnline, Any]]:
    """A on the running app: her document uploaded through the page and Ready, one offline answer citing
    it. Yields her ids and her page (still signed in)."""
    from playwright.sync_api import expect
    from support.browser import login

    assert live_app.register(ALICE, display_name="Alice").status_code == 201
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    login(page, live_app.url, ALICE)
    expect.set_options(timeout=20_000)

    letter = tmp_path_factory.mktemp("alice") / "alice-labs.txt"
    letter.write_text(f"Lab letter.\n\n{SECRET}\n")
    page.click("#nav-documents")
    page.locator("#documents-upload input[type=file]").set_input_files(str(letter))
    expect(page.locator(".document-row .document-status")).to_have_text("Ready", timeout=120_000)

    page.click("#nav-chats")
    page.click("#start-chat")
    expect(page).to_have_url(re.compile(r"/chats/[0-9a-f-]{36}$"))
    expect(page.locator("#chat-input")).to_be_visible()
    page.fill("#chat-input", QUESTION)
    page.click("#chat-send")
    answer = page.locator(".message-assistant")
    expect(answer).to_contain_text(SECRET, timeout=60_000)
    citation = answer.locator(".citation").first
    expect(citation).to_contain_text("alice-labs.txt")
    href = citation.get_attribute("href") or ""
    match = re.fullmatch(r"/documents/([0-9a-f-]{36})\?chunk=([0-9a-f-]{36})", href)
    assert match, href
    messages = _messages_in(frames)
    assert [m["role"] for m in messages] == ["user", "assistant"], messages
    yield AliceOnline(chat_id=page.url.rsplit("/", 1)[1], question_id=messages[0]["id"], answer_id=messages[1]["id"],
                      document_id=match[1], chunk_id=match[2], citation_href=href,
                      answer_text=answer.inner_text()), page
    context.close()


def _alice_sees_everything_as_before(page: Any, url: str, alice: AliceOnline) -> None:
    from playwright.sync_api import expect

    page.goto(f"{url}/chats/{alice.chat_id}")
    answer = page.locator(".message-assistant")
    expect(answer).to_have_count(1, timeout=20_000)
    expect(answer).to_contain_text(SECRET)
    expect(page.locator(".message-user")).to_have_text([QUESTION])
    expect(page.locator("#chat-title")).not_to_have_text("Bob was here")
    assert answer.inner_text() == alice.answer_text
    page.goto(f"{url}/documents")
    expect(page.locator(".document-row")).to_have_count(1, timeout=20_000)
    expect(page.locator(".document-row .document-status")).to_have_text("Ready")
    page.goto(f"{url}{alice.citation_href}")
    expect(page.locator("#cited-passage")).to_contain_text(SECRET, timeout=20_000)


@pytest.mark.e2e
def test_bs_browser_on_as_chat_and_citation_shows_only_not_found(live_app, browser, alice_online, shot,
                                                                   patient_expect) -> None:
    from playwright.sync_api import expect
    from support.browser import login

    alice, alice_page = alice_online
    assert live_app.register(BOB, display_name="Bob").status_code == 201
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    login(page, live_app.url, BOB)

    page.goto(f"{live_app.url}/chats/{alice.chat_id}")
    expect(page.get_by_text("Chat not found.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/chats/?$"))
    expect(page.locator("#empty-state")).to_be_visible()
    shot(page, "as-chat")
    for url in (f"{live_app.url}{alice.citation_href}",
                f"{live_app.url}/documents/{alice.document_id}?page=1&chunk={alice.chunk_id}"):
        page.goto(url)
        expect(page.locator("#viewer-missing")).to_be_visible()
        expect(page.locator("#viewer-text")).to_have_count(0)
        expect(page.locator("#document-download")).to_have_count(0)
        shot(page, "as-citation")
    for url in (f"/chats/{alice.chat_id}", alice.citation_href, "/documents", "/chats"):
        page.goto(f"{live_app.url}{url}")
        page.wait_for_timeout(1500)  # whatever the page loads has arrived
        shown = page.locator("body").inner_text()
        for secret in ("zorblax", "alice-labs", "Alice"):
            assert secret not in shown, (url, secret)
        assert page.locator(".message, .document-row, .chat-link").count() == 0, url
    context.close()
    _alice_sees_everything_as_before(alice_page, live_app.url, alice)


def _toasts(updates: list[dict]) -> list[str]:
    return [event["payload"]["function"] for update in updates for event in update.get("events", [])
            if "__toast" in str(event.get("payload", {}).get("function", ""))]


async def _refusal(sock: Any) -> list[dict]:
    """The updates answering the event just sent to ``sock``: until one shows a toast (each of the id-taking
    events is answered with one), then until the server has been quiet for 0.5 s. Whatever comes later lands
    in the next reply, which is searched for A's data the same way."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    received: list[dict] = []
    while not _toasts(received) and loop.time() < deadline:
        received += await sock.updates(quiet=0.25)
    return received + await sock.updates(quiet=0.5)


@pytest.mark.e2e
def test_bs_event_socket_and_bearer_with_as_ids_get_not_found_and_change_nothing(live_app, alice_online) -> None:
    """The page events that take an id from the browser, sent by hand with A's ids and with random ones:
    the same translated refusal, no update carrying anything of A's; the same for the download route
    with B's bearer token and with a ticket minted for B naming A's document."""
    from support.live_app import bearer
    from support.tokens import claims_of

    from assistant.core.security import create_download_ticket
    from assistant.ui.state.chat import ChatState
    from assistant.ui.state.document_view import DocumentViewState
    from assistant.ui.state.documents import DocumentsState

    state_names()  # imports the states the socket names here, not in its thread (Reflex registers per context)
    alice, alice_page = alice_online
    live_app.register(BOB, display_name="Bob")  # unless the browser test did already
    tokens = live_app.login(BOB)
    chat, documents = ChatState.get_full_name(), DocumentsState.get_full_name()
    viewer = DocumentViewState.get_full_name()
    missing = str(uuid.uuid4())
    #: (page it is sent from, event, its payload with "{id}" standing for the id) and the id of A's it takes
    events = [
        ("/chats", f"{chat}.show_context", {"message_id": "{id}"}, alice.answer_id),
        ("/chats", f"{chat}.show_context", {"message_id": "{id}"}, alice.question_id),
        ("/documents", f"{documents}.reindex", {"document_id": "{id}"}, alice.document_id),
        ("/documents", f"{documents}.cancel", {"document_id": "{id}"}, alice.document_id),
        ("/documents", f"{documents}.delete", {"document_id": "{id}"}, alice.document_id),
    ]

    async def attack() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        async with event_socket(live_app.url) as sock:
            await sock.sign_in(tokens["access_token"], tokens["refresh_token"], path="/chats")
            await sock.updates(quiet=1)
            for path, name, payload, theirs in events:
                replies = []
                for some_id in (theirs, missing):
                    await sock.send(name, {k: v.replace("{id}", some_id) for k, v in payload.items()}, path=path)
                    replies.append(await _refusal(sock))
                seen[f"{name} {theirs}"] = replies
            # the viewer: its on_load with A's citation, then its download button
            replies = []
            for some_id in (alice.document_id, missing):
                path = f"/documents/{some_id}?page=1&chunk={alice.chunk_id}"
                await sock.send("on_load.on_load_internal", path=path)
                loaded = await sock.updates(quiet=1.5)
                await sock.send(f"{viewer}.download", {}, path=path)
                replies.append(loaded + await sock.updates(quiet=1.5))
            seen["viewer"] = replies
        return seen

    seen = run(attack())
    for case, (theirs, random) in seen.items():
        dumped = json.dumps(theirs)
        assert "zorblax" not in dumped and "alice-labs" not in dumped and "ticket" not in dumped, case
        assert _toasts(theirs) == _toasts(random) != [], case
    assert any("Message not found." in t for t in _toasts(seen[f"{chat}.show_context {alice.answer_id}"][0]))
    assert any("Document not found." in t for t in _toasts(seen["viewer"][0]))

    from pydantic import SecretStr

    settings = get_settings().model_copy(update={"jwt_secret": SecretStr(live_app.jwt_secret)})
    claims = claims_of(tokens["access_token"])
    with live_app.api() as client:
        answers = [
            client.get(f"/documents/{some_id}/file", headers=bearer(tokens["access_token"])) for some_id in
            (alice.document_id, missing)
        ] + [
            client.get(f"/documents/{some_id}/file", params={"ticket": create_download_ticket(
                user_id=uuid.UUID(claims["sub"]), session_id=uuid.UUID(claims["sid"]), resource_id=uuid.UUID(some_id),
                settings=settings)}) for some_id in (alice.document_id, missing)
        ]
    assert [a.status_code for a in answers] == [404] * 4
    assert answers[0].json() == answers[1].json() == answers[2].json() == answers[3].json()
    _alice_sees_everything_as_before(alice_page, live_app.url, alice)

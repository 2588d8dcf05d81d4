"""The memory page in a real browser: a refused fact keeps what was typed; add a fact and see it under its
category; edit it and find the old text in its history; pin it; forget it and restore it from the
forgotten ones; search; a proposal of the assistant waits for confirmation; facts saved by another
process (the services called from this test, as the assistant or the worker would) appear without a
reload and their sources open the chat at the message and the document viewer at the page; another
user's facts never show.

The app runs on this test session's database, so the test seeds its chat message, ingests a real
two-page PDF (the real ingestion job) and saves facts through :mod:`assistant.services.memory` there."""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import select
from support.app import app_on_test_database
from support.browser import choose, ensure_account, login
from support.crafted_pdf import crafted_pdf

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.models import Chunk, Document, Message, User

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

OWNER, OTHER = "mira@example.org", "oskar@example.org"
PDF_LINE = "Home blood pressure log: 128 over 82 every morning this week."


@pytest.fixture(scope="module")
def memory_app(start_app, database) -> Iterator[str]:
    """The app on the test session's database (emptied before and after), so this process can seed
    data and save facts where the app reads them, and its events reach the app's listener."""
    with app_on_test_database(start_app, database.url) as url:
        yield url


def _user(email: str) -> User:
    with session_scope() as session:
        return session.exec(select(User).where(User.email == email)).one()


def _chat_message(user: User, content: str) -> tuple[uuid.UUID, uuid.UUID]:
    """A chat of ``user`` with one message of theirs: ``(chat id, message id)``."""
    from assistant.services.chat import chats

    with session_scope() as session:
        chat = chats.create_chat(session=session, user=user, title="Blood pressure")
        message = Message(chat_id=chat.id, role="user", content=content)
        session.add(message)
    return chat.id, message.id


def _status(document_id: uuid.UUID) -> str:
    with session_scope() as session:
        return session.get_one(Document, document_id).status


def _ingested_pdf(user: User, folder: Path) -> tuple[uuid.UUID, uuid.UUID]:
    """A two-page PDF of ``user``, ingested by the real job: ``(document id, id of the chunk on page 2)``."""
    from assistant.services.rag import ingest
    from assistant.services.rag.paths import document_path

    pdf = crafted_pdf(folder / "bp-log.pdf", f"BT /F1 12 Tf 72 700 Td ({PDF_LINE}) Tj ET\n".encode(), pages=2)
    data = pdf.read_bytes()
    document = Document(owner_id=user.id, filename="bp-log.pdf", storage_name=uuid.uuid4().hex,
                        media_type="application/pdf", size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
                        status="pending")
    path = document_path(get_settings(), document.storage_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    with session_scope() as session:
        session.add(document)
    if ingest.run_job(document.id) is None:  # the app's worker took it first
        deadline = time.monotonic() + 60
        while _status(document.id) != "completed" and time.monotonic() < deadline:
            time.sleep(0.1)
    assert _status(document.id) == "completed"
    with session_scope() as session:
        chunk = session.exec(select(Chunk).where(Chunk.document_id == document.id, Chunk.page == 2)).first()
        assert chunk is not None
        return document.id, chunk.id


def _remember(user: User, content: str, category: str, **provenance: object) -> None:
    """Save a fact as another process would (its event goes through the bus to the user's tabs)."""
    from assistant.services.memory import entries

    with session_scope() as session:
        entries.add_memory(session=session, user=user, content=content, category=category,
                           provenance=entries.Provenance(**provenance))


def test_memory_page_add_edit_forget_restore_live_sources_and_privacy(memory_app: str, browser, shot,
                                                                      tmp_path: Path) -> None:
    url = memory_app
    ensure_account(url, OWNER, "Mira")
    ensure_account(url, OTHER, "Oskar")
    owner, other = _user(OWNER), _user(OTHER)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    login(page, url, OWNER)
    page.click("#nav-memory")
    expect(page).to_have_url(re.compile(r"/memory/?$"))
    expect(page.locator("#memory-budget")).to_contain_text("up to 4,000 characters")
    expect(page.locator("#memory-budget")).to_contain_text("up to 8 facts related to your message")
    expect(page.locator("#page-title")).to_have_text("Memory")
    expect(page.locator("#memory-empty")).to_contain_text("Nothing remembered yet")

    # A refused fact: the translated reason, and the text is still there.
    too_long = "I walk every day. " * 60
    page.fill("#memory-new-content", too_long)
    page.click("#memory-add")
    expect(page.locator("#memory-add-error")).to_contain_text("at most 1,000 characters")
    expect(page.locator("#memory-new-content")).to_have_value(too_long)

    page.fill("#memory-new-content", "I take metformin 500 mg twice a day")
    choose(page, "memory-new-category", "medication")
    page.fill("#memory-new-valid-from", "2026-03-01")
    page.click("#memory-add")
    medication = page.locator('.memory-group[data-category="medication"]')
    expect(medication.locator(".memory-group-title")).to_have_text("Medications")
    expect(medication.locator(".memory-group-count")).to_have_text("1 fact")
    fact = medication.locator(".memory-fact")
    expect(fact.locator(".memory-content")).to_have_text("I take metformin 500 mg twice a day")
    expect(fact.locator(".memory-importance")).to_have_text("High")
    expect(fact.locator(".memory-health")).to_be_visible()
    expect(fact.locator(".memory-author")).to_have_text("Added by you")
    expect(fact.locator(".memory-validity")).to_have_text("Since Mar 1, 2026")
    expect(page.locator("#memory-add-error")).to_have_count(0)
    expect(page.locator("#memory-new-content")).to_have_value("")  # the form starts over
    shot(page, "added")

    # Edit: the new text supersedes the old one, which stays in the history.
    fact.locator(".memory-edit").click()
    page.fill("#memory-edit-content", "I take metformin 1000 mg twice a day")
    page.click("#memory-edit-save")
    expect(fact.locator(".memory-content")).to_have_text("I take metformin 1000 mg twice a day")
    expect(medication.locator(".memory-group-count")).to_have_text("1 fact")
    fact.locator(".memory-history").click()
    versions = page.locator("#memory-versions .memory-version")
    expect(versions).to_have_count(2)
    expect(versions.nth(0)).to_contain_text("I take metformin 1000 mg twice a day")
    expect(versions.nth(0)).to_contain_text("Current")
    expect(versions.nth(1)).to_contain_text("I take metformin 500 mg twice a day")
    expect(versions.nth(1)).to_contain_text("Replaced")
    expect(versions.nth(1)).to_contain_text("Mar 1, 2026 –")
    shot(page, "history")

    fact.locator(".memory-pin").click()
    expect(fact.locator(".memory-importance")).to_have_text("Critical")
    fact.locator(".memory-unpin").click()
    expect(fact.locator(".memory-importance")).to_have_text("High")  # a medication's usual importance

    # Forget, then restore it from the forgotten ones.
    fact.locator(".memory-forget").click()
    expect(page.locator(".memory-fact")).to_have_count(0)
    expect(page.locator("#memory-empty")).to_be_visible()
    choose(page, "memory-filter-status", "forgotten")
    expect(fact.locator(".memory-content")).to_have_text("I take metformin 1000 mg twice a day")
    expect(fact.locator(".memory-edit")).to_have_count(0)
    fact.locator(".memory-restore").click()
    expect(page.locator(".memory-fact")).to_have_count(0)
    choose(page, "memory-filter-status", "active")
    expect(fact.locator(".memory-content")).to_have_text("I take metformin 1000 mg twice a day")

    # Saved elsewhere: another user's fact (never shown), then the owner's from a chat and from a document
    # page, and a health proposal of the assistant; all appear without a reload.
    chat_id, message_id = _chat_message(owner, "My blood pressure at home is usually 128 over 82.")
    document_id, chunk_id = _ingested_pdf(owner, tmp_path)
    page.evaluate("window.__same_page = true")
    _remember(other, "Oskar's secret: allergic to walnuts", "allergy")
    _remember(owner, "Home blood pressure is about 128/82", "vital", chat_id=chat_id, message_id=message_id)
    _remember(owner, "Morning blood pressure log kept in a PDF", "other", document_id=document_id, page=2,
              chunk_id=chunk_id)
    from assistant.services.memory import changes, entries

    with session_scope() as session:
        proposal = changes.remember(session=session, user=owner, provenance=entries.Provenance(),
                                    fact=entries.validate_fact(content="Allergic to penicillin", category="allergy"))
        assert proposal.state == "pending"

    from_chat = page.locator('.memory-group[data-category="vital"] .memory-fact')
    expect(from_chat.locator(".memory-content")).to_have_text("Home blood pressure is about 128/82")
    expect(from_chat.locator(".memory-source")).to_have_text("Said in a chat")
    expect(from_chat.locator(".memory-source")).to_have_attribute("href", f"/chats/{chat_id}?message={message_id}")
    from_document = page.locator('.memory-group[data-category="other"] .memory-fact')
    expect(from_document.locator(".memory-source")).to_have_text("Document, page 2")
    expect(from_document.locator(".memory-source")).to_have_attribute(
        "href", f"/documents/{document_id}?page=2&chunk={chunk_id}")
    pending = page.locator("#memory-pending .memory-proposal")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text("Allergic to penicillin")
    assert page.evaluate("window.__same_page") is True
    expect(page.get_by_text("walnuts")).to_have_count(0)
    shot(page, "live")

    pending.locator(".memory-confirm").click()
    expect(page.locator("#memory-pending")).to_have_count(0)
    allergy = page.locator('.memory-group[data-category="allergy"] .memory-fact')
    expect(allergy.locator(".memory-content")).to_have_text("Allergic to penicillin")
    expect(allergy.locator(".memory-author")).to_have_text("Saved by the assistant")
    expect(allergy.locator(".memory-importance")).to_have_text("Critical")
    expect(page.locator(".memory-group-title")).to_have_text(["Medications", "Allergies", "Vital signs", "Other"])

    page.fill("#memory-search", "metformin")
    expect(page.locator(".memory-fact")).to_have_count(1)
    choose(page, "memory-filter-author", "assistant")
    expect(page.locator("#memory-empty")).to_have_text("No remembered fact matches.")
    page.fill("#memory-search", "")
    expect(page.locator(".memory-fact .memory-content")).to_have_text(["Allergic to penicillin"])
    choose(page, "memory-filter-author", "all")
    expect(page.locator(".memory-fact")).to_have_count(4)

    from_chat.locator(".memory-source").click()
    expect(page).to_have_url(re.compile(rf"/chats/{chat_id}\?message={message_id}$"))
    expect(page.locator(".message-user")).to_contain_text("My blood pressure at home is usually 128 over 82.")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/memory/?$"))
    from_document.locator(".memory-source").click()
    expect(page).to_have_url(re.compile(rf"/documents/{document_id}\?page=2&chunk={chunk_id}$"))
    expect(page.locator("#viewer-page")).to_have_text("Page 2 / 2")
    expect(page.locator("#cited-passage")).to_contain_text("128 over 82")
    shot(page, "document-source")

    stranger = browser.new_context().new_page()
    login(stranger, url, OTHER)
    stranger.goto(f"{url}/memory")
    expect(stranger.locator(".memory-fact .memory-content")).to_have_text(["Oskar's secret: allergic to walnuts"])
    expect(stranger.get_by_text("metformin")).to_have_count(0)
    expect(stranger.locator("#memory-pending")).to_have_count(0)
    stranger.context.close()
    context.close()

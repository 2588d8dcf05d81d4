"""Live events in real browsers, with two web processes sharing Reflex's Redis state manager: when the
worker finishes a document, every open tab of its owner says so within 2 s, whatever page it shows and
whichever web process its socket is connected to; a tab of another account hears nothing."""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest
from playwright.sync_api import Page, expect
from support.browser import ensure_account, login
from support.redis_server import redis_server, socket_owners

from assistant.core.db import start_embedded_postgres

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

OWNER, OTHER = "owner@example.org", "other@example.org"
#: Records, in the page, the time (ms since the epoch) and text of every toast that appears.
WATCH_TOASTS = """() => {
  window.__toasts = [];
  new MutationObserver(() => {
    for (const toast of document.querySelectorAll('[data-sonner-toast]')) {
      if (!toast.__seen) { toast.__seen = true; window.__toasts.push([Date.now(), toast.textContent]); }
    }
  }).observe(document.body, {childList: true, subtree: true});
}"""


@pytest.fixture(scope="module")
def live(start_app, database, tmp_path_factory):
    """The app on two web processes (Reflex's own workers, one port) behind a Redis of its own, on a
    database of its own that the test can read."""
    app_database = start_embedded_postgres(database.server_dir, f"live_{uuid.uuid4().hex[:8]}")
    with redis_server(tmp_path_factory.mktemp("redis")) as redis_url, start_app(
            {"DATABASE_URL": app_database, "REFLEX_REDIS_URL": redis_url, "GRANIAN_WORKERS": "2"}) as url:
        yield {"url": url, "database": app_database, "redis": redis_url}


def _tab(context, url: str, path: str) -> Page:
    page = context.new_page()
    page.goto(f"{url}{path}")
    expect(page.locator("#current-user")).not_to_be_empty()  # hydrated and signed in
    page.evaluate(WATCH_TOASTS)
    return page


def _token(page: Page) -> str:
    return page.evaluate("sessionStorage.getItem('token')")


def test_a_finished_document_is_announced_in_every_tab_of_its_owner_on_both_web_processes(live, browser, tmp_path):
    url = live["url"]
    ensure_account(url, OWNER, "Owner")
    ensure_account(url, OTHER, "Other")
    owner_context, other_context = browser.new_context(), browser.new_context()
    login(owner_context.new_page(), url, OWNER)
    login(other_context.new_page(), url, OTHER)
    uploader = _tab(owner_context, url, "/documents")
    tabs = [uploader] + [_tab(owner_context, url, path) for path in ("/chats", "/settings", "/chats")]
    while len({socket_owners(live["redis"]).get(_token(tab)) for tab in tabs}) < 2:
        assert len(tabs) < 12, "every tab's socket went to the same web process"
        tabs.append(_tab(owner_context, url, "/chats"))
    stranger = _tab(other_context, url, "/chats")

    notes = tmp_path / "pressure-notes.txt"
    notes.write_text("Morning blood pressure readings were 120 over 80 all week. The pulse was regular.")
    uploader.locator("#documents-upload input[type=file]").set_input_files(str(notes))

    for tab in tabs:
        tab.wait_for_function("window.__toasts.some(([, text]) => text.includes('is ready'))", timeout=120_000)
    with psycopg.connect(live["database"]) as conn:
        completed = conn.execute("SELECT extract(epoch FROM completed_at) FROM documents WHERE filename = %s",
                                 (notes.name,)).fetchone()[0]
    for tab in tabs:
        [(shown_ms, text)] = [t for t in tab.evaluate("window.__toasts") if "is ready" in t[1]]
        assert notes.name in text
        assert shown_ms / 1000 - float(completed) < 2.0, f"{tab.url}: {shown_ms / 1000 - float(completed):.2f} s"
    expect(uploader.locator(".document-status")).to_have_text("Ready")
    time.sleep(0.5)
    assert stranger.evaluate("window.__toasts") == []
    owner_context.close()
    other_context.close()

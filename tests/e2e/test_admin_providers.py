"""Providers in a real browser: the admin sees the environment's providers read-only, adds an OpenAI-compatible
server on loopback (refused until "allow a local server" is ticked, with its warning), sees the key only masked,
tests the connection (the server's models), points the medium tier at it with a model from its list, and cannot
delete it while the tier uses it; a plain user cannot open the page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from support.browser import ensure_account, login, register
from support.llm_server import LoopbackLLMServer

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

OWNER = "owner@example.org"
KEY = "sk-loopback-secret-abcd1234"


@pytest.fixture(scope="module")
def local_server() -> Iterator[LoopbackLLMServer]:
    """The "Ollama" the admin adds: a loopback server listing two models."""
    with LoopbackLLMServer() as server:
        server.models = ["qwen2.5:7b", "llama3.1"]
        yield server


def _toast(page: Page, text: str):
    return page.locator("[data-sonner-toast]", has_text=text)


def test_admin_adds_tests_and_uses_a_local_provider(app_url: str, browser, shot, local_server) -> None:
    ensure_account(app_url, OWNER, "Olga Owner")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    login(page, app_url, OWNER)
    page.click("#nav-admin")
    page.click("#admin-nav-admin-providers")
    expect(page).to_have_url(re.compile(r"/admin/providers/?$"))

    for name in ("openai", "anthropic"):
        expect(page.locator(f"#provider-{name}")).to_contain_text("From the environment (read-only)")
        expect(page.locator(f"#provider-{name}")).to_contain_text("Not configured")

    page.click("#providers-add")
    page.fill("#provider-name", "Local Ollama")
    page.fill("#provider-base-url", f"{local_server.url}/v1")
    page.fill("#provider-key", KEY)
    page.fill("#provider-timeout", "10")
    page.click("#provider-save")
    expect(page.locator("#provider-form-error")).to_contain_text("127.0.0.1, a loopback or private address")
    shot(page, "loopback-refused")

    page.fill("#provider-key", KEY)  # the refused form empties the key field
    page.click("#provider-allow-local")
    expect(page.locator("#provider-allow-local-warning")).to_contain_text("cloud metadata addresses stay refused")
    page.click("#provider-save")
    expect(_toast(page, "Provider saved: Local Ollama.")).to_be_visible()
    row = page.locator("tr", has_text="Local Ollama")
    expect(row).to_contain_text("••••1234")
    expect(row).to_contain_text("local server allowed")
    assert KEY not in page.content()

    row.locator("[id^=provider-test-]").click()
    expect(row.locator("[id^=provider-result-]")).to_have_text(
        "Models offered by Local Ollama: llama3.1, qwen2.5:7b")
    shot(page, "provider-tested")
    assert any(request.headers.get("authorization") == f"Bearer {KEY}" for request in local_server.requests)

    page.click("#admin-nav-admin")
    page.click("#tier-medium-provider")
    page.get_by_role("option", name="Local Ollama", exact=True).click()
    page.click("#tier-medium-list-models")
    expect(_toast(page, "Local Ollama: 2 models listed.")).to_be_visible()
    expect(page.locator("#tier-medium-models option")).to_have_count(2)
    page.fill("#tier-medium-model", "llama3.1")
    page.click("#tier-medium-save")
    expect(_toast(page, "Model tier saved: Balanced (medium model).")).to_be_visible()
    expect(page.locator("#tier-medium-status")).to_have_text("Configured")
    page.reload()
    expect(page.locator("#tier-medium-provider")).to_have_text("Local Ollama")
    shot(page, "tier-on-local-provider")

    page.click("#admin-nav-admin-providers")
    page.locator("tr", has_text="Local Ollama").locator("[id^=provider-delete-]").click()
    expect(_toast(page, "The model tier “medium” uses this provider")).to_be_visible()
    expect(page.locator("tr", has_text="Local Ollama")).to_have_count(1)
    page.context.close()


def test_plain_user_cannot_reach_the_providers(app_url: str, browser) -> None:
    ensure_account(app_url, OWNER, "Olga Owner")
    page = browser.new_context().new_page()
    register(page, app_url, "member@example.org", "Mila Member")
    page.goto(f"{app_url}/admin/providers")
    expect(page).to_have_url(re.compile(r"/chats/?$"))
    expect(page.locator("#providers-add")).to_have_count(0)
    page.context.close()

"""Model tiers in a real browser: the superadmin sees the seed tiers and that no provider has a key, is
told which field is wrong, points the medium tier at a local model (the Ollama case) and the large tier at
an OpenAI-compatible server, and finds the values again after a reload; a plain user cannot open the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from support.browser import ensure_account, login, register

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

OWNER = "owner@example.org"


def _expect_tier(page: Page, name: str, provider: str, model: str, max_tokens: str, temperature: str,
                 context_window: str) -> None:
    expect(page.locator(f"#tier-{name}-provider")).to_have_text(provider)
    expect(page.locator(f"#tier-{name}-model")).to_have_value(model)
    expect(page.locator(f"#tier-{name}-max-tokens")).to_have_value(max_tokens)
    expect(page.locator(f"#tier-{name}-temperature")).to_have_value(temperature)
    expect(page.locator(f"#tier-{name}-context-window")).to_have_value(context_window)


def _toast(page: Page, text: str):
    return page.locator("[data-sonner-toast]", has_text=text)


def test_admin_sets_the_model_tiers(app_url: str, browser, shot) -> None:
    ensure_account(app_url, OWNER, "Olga Owner")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    login(page, app_url, OWNER)
    page.click("#nav-admin")

    # The seed tiers; the test app has no provider keys, so every tier says it answers offline.
    _expect_tier(page, "small", "OpenAI or OpenAI-compatible", "gpt-4o-mini", "2048", "0.7", "128000")
    _expect_tier(page, "medium", "OpenAI or OpenAI-compatible", "gpt-4o", "4096", "0.7", "128000")
    _expect_tier(page, "large", "Anthropic", "claude-sonnet-5-5", "8192", "0.7", "200000")
    for name in ("small", "medium", "large"):
        expect(page.locator(f"#tier-{name}-status")).to_have_text("No key: this tier answers in offline mode")
    shot(page, "seed-tiers")

    # A blank model passes the browser's check but not the server's: the field is named, nothing changes.
    page.fill("#tier-medium-model", "   ")
    page.click("#tier-medium-save")
    expect(_toast(page, "Check the model tier's field: Model.")).to_be_visible()
    expect(page.locator("#tier-medium-model")).to_have_value("   ")
    shot(page, "blank-model-refused")

    page.fill("#tier-medium-model", " llama3.1 ")
    page.fill("#tier-medium-max-tokens", "1024")
    page.fill("#tier-medium-temperature", "0.2")
    page.fill("#tier-medium-context-window", "8192")
    page.click("#tier-medium-save")
    expect(_toast(page, "Model tier saved: Balanced (medium model).")).to_be_visible()
    expect(page.locator("#tier-medium-model")).to_have_value("llama3.1")  # shown as stored

    page.click("#tier-large-provider")
    page.get_by_role("option", name="OpenAI or OpenAI-compatible", exact=True).click()
    expect(page.locator("#tier-large-provider")).to_have_text("OpenAI or OpenAI-compatible")
    page.fill("#tier-large-model", "qwen2.5:32b")
    page.click("#tier-large-save")
    expect(_toast(page, "Model tier saved: Thorough (large model).")).to_be_visible()
    shot(page, "tiers-saved")

    page.reload()
    _expect_tier(page, "medium", "OpenAI or OpenAI-compatible", "llama3.1", "1024", "0.2", "8192")
    _expect_tier(page, "large", "OpenAI or OpenAI-compatible", "qwen2.5:32b", "8192", "0.7", "200000")
    _expect_tier(page, "small", "OpenAI or OpenAI-compatible", "gpt-4o-mini", "2048", "0.7", "128000")

    page.click("#language-select")
    page.click("#language-ru")
    expect(page.get_by_role("heading", name="Уровни моделей")).to_be_visible()
    expect(page.locator("#tier-medium-status")).to_have_text("Нет ключа: этот уровень отвечает в автономном режиме")
    shot(page, "tiers-russian")
    page.click("#language-select")
    page.click("#language-en")
    page.context.close()


def test_plain_user_cannot_reach_the_tiers(app_url: str, browser, shot) -> None:
    ensure_account(app_url, OWNER, "Olga Owner")  # so the account below is not the first one
    page = browser.new_context().new_page()
    register(page, app_url, "member@example.org", "Mila Member")
    expect(page.locator("#nav-admin")).to_have_count(0)

    page.goto(f"{app_url}/admin")
    expect(page).to_have_url(re.compile(r"/chats/?$"))
    expect(page.locator("#tier-medium-model")).to_have_count(0)
    shot(page, "member-sent-home")
    page.context.close()

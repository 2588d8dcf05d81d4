"""A new user's first minutes in a real browser: register, languages, theme, every page, log out."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from support.browser import PASSWORD, ensure_account, submit_login, submit_registration

pytestmark = pytest.mark.e2e

SIDEBAR = [
    ("chats", "Chats"),
    ("documents", "Documents"),
    ("memory", "Memory"),
    ("settings", "Settings"),
    ("admin", "Administration"),
]


def _choose_language(page: Page, code: str) -> None:
    page.click("#language-select")
    page.click(f"#language-{code}")


def test_first_user_journey(app_url: str, browser, shot) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()

    page.goto(app_url)
    expect(page).to_have_url(re.compile(r"/login/?$"))
    shot(page, "login")

    submit_registration(page, app_url, "owner@example.org", "Olga Owner")
    expect(page).to_have_url(re.compile(r"/chats/?$"), timeout=20_000)
    expect(page.locator("#page-title")).to_have_text("Chats")
    expect(page.locator("#nav-admin")).to_be_visible()  # the first account is the superadmin
    shot(page, "registered")

    _choose_language(page, "ru")
    expect(page.locator("#page-title")).to_have_text("Чаты")
    expect(page.locator("#nav-documents")).to_have_text("Документы")
    shot(page, "russian")
    _choose_language(page, "en")
    expect(page.locator("#page-title")).to_have_text("Chats")

    page.click("#theme-toggle")
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
    shot(page, "dark")
    page.click("#theme-toggle")
    expect(page.locator("html")).not_to_have_class(re.compile(r"\bdark\b"))

    for name, title in SIDEBAR:
        page.click(f"#nav-{name}")
        expect(page).to_have_url(re.compile(rf"/{name}/?$"))
        expect(page.locator("#page-title")).to_have_text(title)
        shot(page, name)

    # A new tab of the same browser stays signed in (token in LocalStorage).
    second_tab = context.new_page()
    second_tab.goto(f"{app_url}/documents")
    expect(second_tab.locator("#page-title")).to_have_text("Documents")
    second_tab.close()

    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login/?$"))
    page.goto(f"{app_url}/chats")
    expect(page).to_have_url(re.compile(r"/login/?$"))
    shot(page, "logged-out")

    submit_login(page, app_url, "owner@example.org", "wrong-password-1")
    expect(page.locator("#form-error")).to_contain_text("Wrong e-mail or password")
    submit_login(page, app_url, "owner@example.org")
    expect(page).to_have_url(re.compile(r"/chats/?$"), timeout=20_000)
    context.close()


def test_second_user_is_plain_user_and_bad_input_is_explained(app_url: str, browser, shot) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()

    submit_registration(page, app_url, "weak@example.org", "Weak", password="short")
    expect(page.locator("#form-error")).to_contain_text("too weak")
    submit_registration(page, app_url, "long@example.org", "Long", password="é" * 37)
    expect(page.locator("#form-error")).to_contain_text("too long")
    shot(page, "bad-password")

    submit_registration(page, app_url, "member@example.org", "Mila Member")
    expect(page).to_have_url(re.compile(r"/chats/?$"), timeout=20_000)
    expect(page.locator("#mobile-menu")).to_be_visible()
    expect(page.locator("#nav-chats")).to_be_hidden()
    shot(page, "mobile")

    page.click("#mobile-menu")
    expect(page.locator("#menu-admin")).to_have_count(0)  # a plain user sees no admin entry
    page.click("#menu-settings")
    expect(page.locator("#page-title")).to_have_text("Settings")
    shot(page, "mobile-settings")

    for current, message in (("not-my-password-1", "#password-error"), (PASSWORD, "#password-message")):
        page.fill("#current_password", current)
        page.fill("#new_password", "a-new-secret-77")
        page.fill("#password_confirm", "a-new-secret-77")
        page.click("#password-save")
        expect(page.locator(message)).to_be_visible(timeout=20_000)
    expect(page.locator("#password-message")).to_contain_text("Password changed")

    page.goto(f"{app_url}/admin")
    expect(page).to_have_url(re.compile(r"/chats/?$"))

    page.goto(f"{app_url}/register")  # signed-in users are sent home
    expect(page).to_have_url(re.compile(r"/chats/?$"))
    context.close()


def _set_role(page: Page, email: str, role_label: str) -> None:
    row = page.locator("tr", has_text=email)
    row.get_by_role("combobox").click()
    page.get_by_role("option", name=role_label, exact=True).click()
    expect(row.get_by_role("combobox")).to_have_text(role_label)


def test_demoted_admin_loses_access_on_next_event(app_url: str, browser, shot) -> None:
    ensure_account(app_url, "owner@example.org", "Olga Owner")
    ensure_account(app_url, "deputy@example.org", "Dan Deputy")
    owner = browser.new_context().new_page()
    deputy = browser.new_context().new_page()

    submit_login(owner, app_url, "owner@example.org")
    expect(owner).to_have_url(re.compile(r"/chats/?$"), timeout=20_000)
    owner.goto(f"{app_url}/admin/users")
    _set_role(owner, "deputy@example.org", "Admin")

    submit_login(deputy, app_url, "deputy@example.org")
    expect(deputy).to_have_url(re.compile(r"/chats/?$"), timeout=20_000)
    deputy.click("#nav-admin")
    expect(deputy.locator("#registration-switch")).to_be_visible()
    shot(deputy, "deputy-admin-page")

    _set_role(owner, "deputy@example.org", "User")
    # The deputy's tab still shows the admin page; its next event is refused and changes nothing.
    deputy.click("#registration-switch")
    expect(deputy).to_have_url(re.compile(r"/chats/?$"))
    expect(deputy.locator("#nav-admin")).to_have_count(0)
    shot(deputy, "deputy-demoted")
    owner.goto(f"{app_url}/admin")
    expect(owner.locator("#registration-switch")).to_have_attribute("data-state", "checked")

    # Deactivation signs the open tab out on its next page load, with the reason shown.
    owner.goto(f"{app_url}/admin/users")
    owner.locator("tr", has_text="deputy@example.org").get_by_role("button", name="Deactivate").click()
    expect(owner.locator("tr", has_text="deputy@example.org").locator(".user-toggle-active")).to_have_text("Activate")
    deputy.click("#nav-documents")
    expect(deputy).to_have_url(re.compile(r"/login/?$"))
    expect(deputy.locator("#notice")).to_contain_text("deactivated")
    shot(deputy, "deputy-deactivated")
    owner.context.close()
    deputy.context.close()


def test_a_deep_link_comes_back_after_sign_in(app_url: str, browser, shot) -> None:
    """A citation's link (``/documents/<id>?page=3&chunk=<id>``) opened while signed out goes through the
    login page and back to exactly that address; a plain sign-in afterwards goes home."""
    ensure_account(app_url, "deep-link@example.org", "Dee Link")
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    target = f"/documents/{uuid.uuid4()}?page=3&chunk={uuid.uuid4()}"
    page.goto(f"{app_url}{target}")
    expect(page).to_have_url(re.compile(r"/login$"), timeout=20_000)
    page.fill("#email", "deep-link@example.org")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    expect(page).to_have_url(f"{app_url}{target}", timeout=20_000)
    expect(page.locator("#current-user")).to_have_text("Dee Link")
    shot(page, "deep-link-after-sign-in")

    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login$"), timeout=20_000)
    submit_login(page, app_url, "deep-link@example.org")
    expect(page).to_have_url(re.compile(r"/chats/?$"), timeout=20_000)
    page.context.close()

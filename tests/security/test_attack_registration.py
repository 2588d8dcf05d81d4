"""Registration and passwords, attacked from outside the running app.

* A role, an id, a hash or any other field the server owns, slipped into the registration request (the
  REST API's JSON or an input added to the page's form), is ignored: every account after the first is a
  plain user and nobody else's account changes.
* A password over bcrypt's 72 bytes (73 ASCII characters, or 37 Cyrillic letters = 74 bytes) is refused
  with a message that says so, at registration and at password change, over the API (English and Russian)
  and on the pages; nothing is stored and the old password keeps working.

The service-level checks behind these are in ``tests/services/test_auth_registration.py`` and
``tests/core/test_security_passwords.py``.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from support.browser import HOME, PASSWORD, login, submit_registration
from support.live_app import OWNER, LiveApp, bearer

ASCII_73 = "x1" * 36 + "y"
CYRILLIC_37 = ("пароль" * 7)[:37]
assert len(ASCII_73.encode()) == 73 and len(CYRILLIC_37) == 37 and len(CYRILLIC_37.encode()) == 74


def me(live_app: LiveApp, email: str, password: str = PASSWORD) -> dict:
    """The account as the server sees it, after a real sign-in."""
    tokens = live_app.login(email, password)
    with live_app.api() as client:
        response = client.get("/auth/me", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def owner(live_app: LiveApp) -> dict:
    return me(live_app, OWNER)


@pytest.mark.parametrize(
    "extra",
    [
        {"role": "superadmin"},
        {"role": "admin"},
        {"Role": "superadmin", "ROLE": "admin", "is_admin": True, "is_superuser": True, "admin": True},
        {"user": {"role": "superadmin"}, "roles": ["superadmin"], "permissions": ["*"]},
        {"is_active": False, "max_chats": 1_000_000, "created_at": "2000-01-01T00:00:00Z",
         "password_hash": "$2b$12$" + "a" * 53},
    ],
    ids=["role-superadmin", "role-admin", "admin-flags", "nested-role", "server-owned-fields"],
)
def test_fields_the_server_owns_are_ignored_at_registration(live_app: LiveApp, owner: dict, extra: dict) -> None:
    email = f"mallory-{uuid.uuid4().hex[:8]}@example.org"
    response = live_app.register(email, display_name="Mallory", **extra)
    assert response.status_code == 201, response.text
    assert response.json()["role"] == "user"

    account = me(live_app, email)  # the password given is the one that works, not the smuggled hash
    assert account["role"] == "user"
    assert account["is_active"] is True
    assert account["created_at"] > "2020"


def test_an_id_in_the_registration_payload_cannot_take_over_an_account(live_app: LiveApp, owner: dict) -> None:
    response = live_app.register("usurper@example.org", id=owner["id"], email_verified=True, role="superadmin")
    assert response.status_code == 201, response.text
    assert response.json()["id"] != owner["id"]
    assert response.json()["role"] == "user"
    assert me(live_app, OWNER) == owner  # the owner's account is untouched and still theirs


def test_a_role_in_the_query_string_is_ignored(live_app: LiveApp) -> None:
    with live_app.api() as client:
        response = client.post("/auth/register?role=superadmin&is_admin=true",
                               json={"email": "query@example.org", "password": PASSWORD})
    assert response.status_code == 201
    assert me(live_app, "query@example.org")["role"] == "user"


@pytest.mark.e2e
def test_a_role_added_to_the_registration_form_is_ignored(live_app: LiveApp, browser, shot) -> None:
    """What someone with the browser's developer tools would try: more inputs in the form."""
    page = browser.new_context().new_page()
    page.goto(f"{live_app.url}/register")
    page.fill("#display_name", "Form Mallory")
    page.fill("#email", "form-mallory@example.org")
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    added = page.evaluate(
        """() => {
            const form = document.querySelector('#register-submit').closest('form');
            for (const [name, value] of [['role', 'superadmin'], ['is_active', 'false'], ['max_chats', '999999'],
                                         ['id', '00000000-0000-0000-0000-000000000001']]) {
                const input = document.createElement('input');
                input.type = 'hidden'; input.name = name; input.id = name; input.value = value;
                form.appendChild(input);
            }
            return [...new FormData(form).keys()];
        }"""
    )
    assert "role" in added  # the form really sends it
    page.click("#register-submit")
    expect(page).to_have_url(HOME, timeout=20_000)
    expect(page.locator("#nav-chats")).to_be_visible()
    expect(page.locator("#nav-admin")).to_have_count(0)
    shot(page, "registered-as-plain-user")
    page.goto(f"{live_app.url}/admin")
    expect(page).to_have_url(HOME)
    page.context.close()

    account = me(live_app, "form-mallory@example.org")
    assert account["role"] == "user" and account["is_active"] is True
    assert account["id"] != "00000000-0000-0000-0000-000000000001"


# --- passwords over bcrypt's 72 bytes --------------------------------------------------------------


@pytest.mark.parametrize("password", [ASCII_73, CYRILLIC_37], ids=["73-ascii-bytes", "37-cyrillic-letters"])
@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "The password is too long: at most 72 bytes"), ("ru", "Пароль слишком длинный: не больше 72 байт")],
)
def test_registration_with_a_password_over_72_bytes_is_refused_with_a_clear_message(
    live_app: LiveApp, password: str, language: str, expected: str
) -> None:
    email = f"long-{language}-{len(password)}@example.org"
    with live_app.api(**{"Accept-Language": language}) as client:
        response = client.post("/auth/register", json={"email": email, "password": password})
    assert response.status_code == 422
    assert response.json()["code"] == "auth.password_too_long"
    assert response.json()["detail"].startswith(expected)
    # Nothing was stored: the same address registers with a good password.
    assert live_app.register(email).status_code == 201


@pytest.mark.parametrize("password", [ASCII_73, CYRILLIC_37], ids=["73-ascii-bytes", "37-cyrillic-letters"])
def test_password_change_to_over_72_bytes_is_refused_and_the_old_one_still_works(
    live_app: LiveApp, password: str
) -> None:
    email = f"change-{len(password)}@example.org"
    tokens = live_app.account(email)
    with live_app.api() as client:
        response = client.post("/auth/me/password", headers=bearer(tokens["access_token"]),
                               json={"current_password": PASSWORD, "new_password": password})
    assert response.status_code == 422
    assert response.json()["code"] == "auth.password_too_long"
    assert "72 bytes" in response.json()["detail"]
    assert me(live_app, email)["email"] == email  # signs in with the old password


@pytest.mark.e2e
def test_registration_form_explains_a_password_over_72_bytes(live_app: LiveApp, browser, shot) -> None:
    page = browser.new_context().new_page()
    submit_registration(page, live_app.url, "long-form@example.org", "Long Form", password=ASCII_73)
    expect(page.locator("#form-error")).to_contain_text("too long: at most 72 bytes")
    expect(page).to_have_url(re.compile(r"/register/?$"))
    shot(page, "73-byte-password")
    page.context.close()
    assert live_app.register("long-form@example.org").status_code == 201  # nothing was stored


def _choose_language(page: Page, code: str) -> None:
    page.click("#language-select")
    page.click(f"#language-{code}")


@pytest.mark.e2e
def test_settings_page_explains_a_new_password_over_72_bytes_in_russian(live_app: LiveApp, browser, shot) -> None:
    live_app.account("long-settings@example.org")
    page = browser.new_context().new_page()
    login(page, live_app.url, "long-settings@example.org")
    _choose_language(page, "ru")
    expect(page.locator("#page-title")).to_have_text("Чаты")
    page.click("#nav-settings")
    expect(page).to_have_url(re.compile(r"/settings/?$"))
    expect(page.locator("#page-title")).to_have_text("Настройки")

    page.fill("#current_password", PASSWORD)
    page.fill("#new_password", CYRILLIC_37)
    page.fill("#password_confirm", CYRILLIC_37)
    page.click("#password-save")
    expect(page.locator("#password-error")).to_contain_text("Пароль слишком длинный: не больше 72 байт", timeout=20_000)
    expect(page.locator("#password-message")).to_have_count(0)
    shot(page, "74-byte-password-ru")
    page.context.close()
    assert me(live_app, "long-settings@example.org")["language"] == "ru"  # the old password still works

"""Steps every browser test takes: registering and signing in through the pages, or creating an account
through the REST API."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

from playwright.sync_api import Page, expect

#: The password of the accounts the browser tests create.
PASSWORD = "correct-horse-42"
HOME = re.compile(r"/chats/?$")


def submit_registration(page: Page, url: str, email: str, name: str, password: str = PASSWORD) -> None:
    """Fill in and send the registration form (the caller checks what follows)."""
    page.goto(f"{url}/register")
    page.fill("#display_name", name)
    page.fill("#email", email)
    page.fill("#password", password)
    page.fill("#password_confirm", password)
    page.click("#register-submit")


def register(page: Page, url: str, email: str, name: str, password: str = PASSWORD) -> None:
    """Register through the form and land on the chats."""
    submit_registration(page, url, email, name, password)
    expect(page).to_have_url(HOME, timeout=20_000)


def submit_login(page: Page, url: str, email: str, password: str = PASSWORD) -> None:
    """Fill in and send the sign-in form (the caller checks what follows)."""
    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-submit")


def login(page: Page, url: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the form and land on the chats."""
    submit_login(page, url, email, password)
    expect(page).to_have_url(HOME, timeout=20_000)


def ensure_account(url: str, email: str, name: str, password: str = PASSWORD) -> None:
    """Create an account through the REST API unless it exists (the first one becomes superadmin)."""
    body = json.dumps({"email": email, "password": password, "display_name": name}).encode()
    request = urllib.request.Request(f"{url}/api/v1/auth/register", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as exc:
        assert exc.code == 409, exc.read()


def choose(page: Page, select_id: str, value: str) -> None:
    """Pick ``value`` in the select ``#<select_id>`` (its options have the ids ``<select_id>-<value>``)."""
    page.click(f"#{select_id}")
    page.click(f"#{select_id}-{value}")

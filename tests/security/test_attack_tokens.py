"""Access and refresh tokens, attacked over HTTP on the running app.

Every forgery of a genuine access token in ``support.tokens`` (``alg=none``, RS256 under the attacker's
key, HS384/HS512, another or an empty HMAC key, expired, wrong audience or issuer, missing claims, a payload
changed after signing, ...) gets 401 with ``WWW-Authenticate: Bearer`` on an authenticated route and
changes nothing; a forged token for the superadmin cannot edit their profile. After logout, through the
API or the page's sign-out button, the access token and the refresh token of that session are refused;
a refresh token works once: replaying a rotated one ends the whole session.

Which check refuses which forgery, at the service, is in ``tests/services/test_auth_tokens.py``.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect
from support.browser import login
from support.live_app import OWNER, LiveApp, bearer
from support.tokens import CASES, EXPIRED_CASES, claims_of, forged_tokens, hmac_signed


@pytest.fixture(scope="module")
def victim(live_app: LiveApp) -> dict:
    """A signed-in plain user whose genuine access token the forgeries start from."""
    return live_app.account("token-victim@example.org")


def get_me(live_app: LiveApp, token: str):
    with live_app.api() as client:
        return client.get("/auth/me", headers=bearer(token))


def refresh(live_app: LiveApp, refresh_token: str):
    with live_app.api() as client:
        return client.post("/auth/refresh", json={"refresh_token": refresh_token})


def test_a_token_built_by_hand_with_the_apps_key_is_accepted(live_app: LiveApp, victim: dict) -> None:
    """Control: the key and the claims the forgeries start from are the app's, so each forgery below is
    refused for the one thing it changes."""
    token = hmac_signed({**claims_of(victim["access_token"]), "jti": uuid.uuid4().hex}, live_app.jwt_secret)
    response = get_me(live_app, token)
    assert response.status_code == 200
    assert response.json()["email"] == "token-victim@example.org"


@pytest.mark.parametrize("case", CASES)
def test_forged_access_token_is_401(live_app: LiveApp, victim: dict, case: str) -> None:
    token = forged_tokens(victim["access_token"], live_app.jwt_secret)[case]
    response = get_me(live_app, token)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == ("auth.token_expired" if case in EXPIRED_CASES else "auth.token_invalid")
    assert get_me(live_app, victim["access_token"]).status_code == 200  # nothing was revoked by the attempt


@pytest.mark.parametrize(
    "case", ["alg_none", "alg_none_keeping_the_signature", "rs256_attacker_key", "hs256_other_key"]
)
def test_a_forged_superadmin_token_cannot_change_the_superadmin(live_app: LiveApp, victim: dict, case: str) -> None:
    """The attacker knows the superadmin's id (the API shows ids) and writes it into their own token."""
    owner_tokens = live_app.login(OWNER)
    owner = get_me(live_app, owner_tokens["access_token"]).json()
    as_owner = hmac_signed({**claims_of(victim["access_token"]), "sub": owner["id"]}, "a-guessed-key")
    token = forged_tokens(as_owner, "a-guessed-key")[case]
    with live_app.api() as client:
        response = client.patch("/auth/me", headers=bearer(token), json={"display_name": "pwned", "language": "ru"})
    assert response.status_code == 401
    assert get_me(live_app, owner_tokens["access_token"]).json() == owner


def test_access_and_refresh_tokens_are_refused_after_logout(live_app: LiveApp) -> None:
    tokens = live_app.account("logout-api@example.org")
    with live_app.api() as client:
        assert client.post("/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204

    replay = get_me(live_app, tokens["access_token"])  # unexpired, correctly signed, session ended
    assert replay.status_code == 401
    assert replay.json()["code"] == "auth.session_expired"
    again = refresh(live_app, tokens["refresh_token"])
    assert again.status_code == 401
    assert again.json()["code"] == "auth.session_expired"
    with live_app.api() as client:  # signing out again is harmless
        assert client.post("/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204


def test_a_refresh_token_works_once_and_its_replay_ends_the_session(live_app: LiveApp) -> None:
    first = live_app.account("rotate@example.org")
    rotated = refresh(live_app, first["refresh_token"])
    assert rotated.status_code == 200
    newest = rotated.json()
    assert newest["refresh_token"] != first["refresh_token"]
    assert get_me(live_app, newest["access_token"]).status_code == 200

    replay = refresh(live_app, first["refresh_token"])  # a stolen copy of the old one
    assert replay.status_code == 401
    assert replay.json()["code"] == "auth.token_reused"
    # Whoever holds the newest tokens (the thief or the owner) is signed out too.
    assert refresh(live_app, newest["refresh_token"]).status_code == 401
    assert get_me(live_app, newest["access_token"]).status_code == 401
    # The account itself is fine: a new sign-in works.
    assert get_me(live_app, live_app.login("rotate@example.org")["access_token"]).status_code == 200


def test_a_refresh_token_is_not_an_access_token_and_the_reverse(live_app: LiveApp) -> None:
    tokens = live_app.account("confused@example.org")
    assert get_me(live_app, tokens["refresh_token"]).status_code == 401
    assert refresh(live_app, tokens["access_token"]).status_code == 401
    assert get_me(live_app, tokens["access_token"]).status_code == 200


@pytest.mark.e2e
def test_tokens_of_a_tab_that_signed_out_are_refused(live_app: LiveApp, browser, shot) -> None:
    """Someone copies the tokens out of the browser's storage; the user signs out; the copies are dead."""
    live_app.account("tab@example.org")
    page = browser.new_context().new_page()
    login(page, live_app.url, "tab@example.org")
    expect(page.locator("#nav-chats")).to_be_visible()
    stolen = page.evaluate(
        "() => [localStorage.getItem('assistant_access_token'), localStorage.getItem('assistant_refresh_token')]"
    )
    access, refresh_token = (value.strip('"') for value in stolen)
    assert get_me(live_app, access).status_code == 200

    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login/?$"))
    shot(page, "signed-out")
    page.context.close()

    assert get_me(live_app, access).status_code == 401
    assert refresh(live_app, refresh_token).status_code == 401

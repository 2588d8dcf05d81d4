"""The REST API over real PostgreSQL: status codes, translated errors, tokens, throttling.

The attacks (a role in the payload, forged and replayed tokens, rotating X-Forwarded-For, passwords over
72 bytes) are sent to the running app by ``tests/security``."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from assistant.api.app import create_api
from assistant.core.db import session_scope
from assistant.core.i18n import translate
from assistant.models import User

API = "/api/v1/auth"
PASSWORD = "api-pass-123"


@pytest.fixture
def client(db):
    with TestClient(create_api()) as test_client:
        yield test_client


def register(client: TestClient, email: str, password: str = PASSWORD, **extra):
    return client.post(f"{API}/register", json={"email": email, "password": password, **extra})


def login(client: TestClient, email: str, password: str = PASSWORD, **kwargs):
    return client.post(f"{API}/login", json={"email": email, "password": password}, **kwargs)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def account(client):
    """A registered account (the first one, so a superadmin) and its login response body."""
    assert register(client, "api@example.com").status_code == 201
    response = login(client, "api@example.com")
    assert response.status_code == 200
    return response.json()


def stored_users() -> list[User]:
    with session_scope() as sess:
        return list(sess.exec(select(User)).all())


def test_register_returns_201_and_the_public_account(client):
    response = register(client, "New@Example.com", display_name="New")
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "new@example.com"
    assert body["role"] == "superadmin"
    assert "password" not in body and "password_hash" not in body


def test_duplicate_registration_is_409_and_changes_nothing(client):
    register(client, "dup@example.com", display_name="Original")
    before = stored_users()

    response = register(client, "DUP@example.com", password="other-pass-456", display_name="Impostor")
    assert response.status_code == 409
    assert response.json()["code"] == "auth.email_taken"
    after = stored_users()
    assert [(u.id, u.display_name, u.password_hash) for u in after] == [
        (u.id, u.display_name, u.password_hash) for u in before
    ]


@pytest.mark.parametrize(("password", "code"), [("weak", "auth.password_weak")])
def test_bad_password_at_registration_is_422_with_a_translated_message(client, password, code):
    response = register(client, "pw@example.com", password=password)
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert response.json()["detail"] == translate(code, "en", max_bytes=72, min_length=8)
    assert stored_users() == []


def test_invalid_email_is_422(client):
    response = register(client, "not-an-email")
    assert response.status_code == 422
    assert stored_users() == []


def test_login_returns_tokens_and_the_account(client, account):
    assert account["token_type"] == "bearer"
    assert account["access_token"].count(".") == 2
    assert account["refresh_token"]
    assert account["user"]["email"] == "api@example.com"


def test_wrong_password_is_401_with_code_and_translated_detail(client, account):
    response = login(client, "api@example.com", "wrong-pass-1")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["code"] == "auth.invalid_credentials"
    assert body["detail"] == translate("auth.invalid_credentials", "en")

    unknown = login(client, "nobody@example.com", "wrong-pass-1")
    assert unknown.status_code == 401 and unknown.json() == body


def test_errors_are_in_russian_for_accept_language_ru(client, account):
    response = login(client, "api@example.com", "wrong-pass-1", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "auth.invalid_credentials"
    assert body["detail"] == translate("auth.invalid_credentials", "ru")
    assert body["detail"] != translate("auth.invalid_credentials", "en")
    assert any("а" <= ch <= "я" for ch in body["detail"].lower())


def test_me_needs_a_valid_bearer_token(client, account):
    ok = client.get(f"{API}/me", headers=bearer(account["access_token"]))
    assert ok.status_code == 200
    assert ok.json()["email"] == "api@example.com"

    missing = client.get(f"{API}/me")
    assert missing.status_code == 401
    assert missing.json()["code"] == "errors.unauthorized"

    for bad in ("garbage", account["access_token"] + "x", account["refresh_token"]):
        response = client.get(f"{API}/me", headers=bearer(bad))
        assert response.status_code == 401
        assert response.json()["code"] == "auth.token_invalid"


def test_profile_update_ignores_role_and_validates(client, account):
    headers = bearer(account["access_token"])
    register(client, "plain@example.com")
    plain = login(client, "plain@example.com").json()

    response = client.patch(f"{API}/me", json={"display_name": "Plain", "role": "superadmin"},
                            headers=bearer(plain["access_token"]))
    assert response.status_code == 200
    assert response.json()["role"] == "user" and response.json()["display_name"] == "Plain"

    bad = client.patch(f"{API}/me", json={"timezone": "Mars/Olympus_Mons"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["code"] == "auth.timezone_invalid"


def test_account_throttling_is_429_with_the_seconds_to_wait(client, account):
    for attempt in range(5):
        assert login(client, "api@example.com", f"wrong-pass-{attempt}").status_code == 401
    response = login(client, "api@example.com", PASSWORD, headers={"Accept-Language": "ru"})
    assert response.status_code == 429
    assert response.json()["code"] == "auth.too_many_attempts"
    seconds = int(response.headers["Retry-After"])
    assert seconds in (1, 2)  # the first delay, 2 s after the fifth failure
    assert response.json()["detail"] == translate("auth.too_many_attempts", "ru", seconds=seconds)


def test_change_password_keeps_this_device_and_signs_out_the_others(client, account):
    other = login(client, "api@example.com").json()
    response = client.post(f"{API}/me/password", headers=bearer(account["access_token"]),
                           json={"current_password": PASSWORD, "new_password": "changed-pass-456"})
    assert response.status_code == 204

    assert client.get(f"{API}/me", headers=bearer(account["access_token"])).status_code == 200
    assert client.post(f"{API}/refresh", json={"refresh_token": account["refresh_token"]}).status_code == 200
    assert client.get(f"{API}/me", headers=bearer(other["access_token"])).status_code == 401
    assert client.post(f"{API}/refresh", json={"refresh_token": other["refresh_token"]}).status_code == 401
    assert login(client, "api@example.com").status_code == 401
    assert login(client, "api@example.com", "changed-pass-456").status_code == 200


def test_change_password_with_a_wrong_current_password_changes_nothing(client, account):
    response = client.post(f"{API}/me/password", headers=bearer(account["access_token"]),
                           json={"current_password": "not-it-123", "new_password": "changed-pass-456"})
    assert response.status_code == 401
    assert response.json()["code"] == "auth.wrong_current_password"
    assert login(client, "api@example.com").status_code == 200


def test_deactivated_account_is_403_on_its_next_request(client, account):
    from assistant.services.admin import users as admin_users

    register(client, "plain@example.com")
    plain = login(client, "plain@example.com").json()
    with session_scope() as sess:
        owner = sess.exec(select(User).where(User.email == "api@example.com")).one()
        admin_users.set_active(session=sess, actor=owner, user_id=uuid.UUID(plain["user"]["id"]), active=False)

    response = client.get(f"{API}/me", headers=bearer(plain["access_token"]))
    assert response.status_code == 403
    assert response.json()["code"] == "auth.account_disabled"
    assert client.post(f"{API}/refresh", json={"refresh_token": plain["refresh_token"]}).status_code == 401
    assert login(client, "plain@example.com").status_code == 403

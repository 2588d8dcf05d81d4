"""Password rules and hashing, refresh-secret helpers. No database needed."""

from __future__ import annotations

import pytest

from assistant.core.errors import InvalidInput
from assistant.core.security import (
    hash_password,
    hash_refresh_secret,
    new_refresh_secret,
    refresh_secret_matches,
    validate_password,
    verify_password,
)


@pytest.mark.parametrize("good", ["abcdefg1", "pass word", "пароль-123", "é" * 35 + "1a", "!!!!!!!!"])
def test_acceptable_passwords(good):
    validate_password(good)


@pytest.mark.parametrize("weak", ["", "abc123", "abcdefgh", "12345678", "        ", "пароль"])
def test_weak_passwords(weak):
    with pytest.raises(InvalidInput) as caught:
        validate_password(weak)
    assert caught.value.code == "auth.password_weak"


@pytest.mark.parametrize("long", ["a1" * 36 + "b", "é" * 37, "😀" * 19])
def test_passwords_over_72_bytes(long):
    assert len(long.encode()) > 72
    with pytest.raises(InvalidInput) as caught:
        validate_password(long)
    assert caught.value.code == "auth.password_too_long"


def test_hash_and_verify():
    hashed = hash_password("abcdefg1")
    assert hashed.startswith("$2b$12$")
    assert verify_password("abcdefg1", hashed)
    assert not verify_password("abcdefg2", hashed)
    # Over-long input never matches and never crashes (bcrypt 5 refuses, older ones would truncate).
    assert not verify_password("abcdefg1" + "x" * 80, hashed)


def test_unknown_account_never_verifies():
    assert not verify_password("anything-at-all", None)
    assert not verify_password("", None)


def test_refresh_secrets_are_random_and_only_their_hash_is_compared():
    one, two = new_refresh_secret(), new_refresh_secret()
    assert one != two and len(one) >= 43
    stored = hash_refresh_secret(one)
    assert one not in stored and len(stored) == 64
    assert refresh_secret_matches(one, stored)
    assert not refresh_secret_matches(two, stored)

"""Settings: the JWT secret and the key of secrets at rest in prod and dev, CORS origins, list parsing. No database
needed."""

from __future__ import annotations

import os
import stat

import pytest
from cryptography.fernet import Fernet

from assistant.core.config import Settings
from assistant.core.errors import ConfigurationError


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No ASSISTANT_* or DATABASE_URL from the caller; the data folder is a fresh temporary one."""
    for key in list(os.environ):
        if key.startswith("ASSISTANT_") or key == "DATABASE_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    return monkeypatch


def test_prod_refuses_a_missing_secret(clean_env):
    clean_env.setenv("ASSISTANT_ENV", "prod")
    with pytest.raises(ConfigurationError, match="ASSISTANT_JWT_SECRET"):
        Settings().jwt_key()


@pytest.mark.parametrize("weak", ["", "secret", "changeme", "x" * 31, "CHANGE-ME"])
def test_prod_refuses_a_short_or_default_secret(clean_env, weak):
    clean_env.setenv("ASSISTANT_ENV", "prod")
    clean_env.setenv("ASSISTANT_JWT_SECRET", weak)
    with pytest.raises(ConfigurationError):
        Settings().jwt_key()


def test_prod_never_writes_a_generated_secret(clean_env, tmp_path):
    clean_env.setenv("ASSISTANT_ENV", "prod")
    with pytest.raises(ConfigurationError):
        Settings().jwt_key()
    assert not (tmp_path / "data" / "secrets").exists()


def test_prod_accepts_a_long_random_secret(clean_env):
    secret = "q3Jx8v_Lk2mN9pR4tW7yZ1bC5dF0gH6j"
    assert len(secret) >= 32
    clean_env.setenv("ASSISTANT_ENV", "prod")
    clean_env.setenv("ASSISTANT_JWT_SECRET", secret)
    assert Settings().jwt_key() == secret


def test_prod_refuses_a_missing_or_weak_key_for_secrets_at_rest(clean_env):
    clean_env.setenv("ASSISTANT_ENV", "prod")
    with pytest.raises(ConfigurationError, match="ASSISTANT_SECRET_KEY"):
        Settings().fernet_key()
    clean_env.setenv("ASSISTANT_SECRET_KEY", "changeme")
    with pytest.raises(ConfigurationError, match="too weak"):
        Settings().fernet_key()


def test_secrets_at_rest_round_trip_and_another_key_cannot_read_them(clean_env):
    from assistant.core.security import decrypt_secret, encrypt_secret

    clean_env.setenv("ASSISTANT_SECRET_KEY", Fernet.generate_key().decode())
    first = Settings()
    token = encrypt_secret("smtp-password", settings=first)
    assert "smtp-password" not in token and decrypt_secret(token, settings=first) == "smtp-password"
    clean_env.setenv("ASSISTANT_SECRET_KEY", "a passphrase of at least thirty-two characters")
    with pytest.raises(ConfigurationError, match="enter it again"):
        decrypt_secret(token, settings=Settings())


def test_dev_generates_the_key_for_secrets_at_rest_once(clean_env, tmp_path):
    key = Settings().fernet_key()
    assert Settings().fernet_key() == key and len(key) == 44
    assert stat.S_IMODE((tmp_path / "data" / "secrets" / "fernet_key").stat().st_mode) == 0o600


def test_dev_generates_a_secret_once_and_reuses_it(clean_env, tmp_path):
    path = tmp_path / "data" / "secrets" / "jwt_secret"
    assert not path.exists()

    first = Settings().jwt_key()
    assert path.exists()
    assert len(first) >= 32
    assert path.read_text().strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    # A new process (new Settings) gets the same key, so tokens survive a restart.
    assert Settings().jwt_key() == first
    assert Settings().jwt_key() == first
    assert sorted(p.name for p in path.parent.iterdir()) == ["jwt_secret"]  # no temporary files left


def test_dev_secrets_differ_between_data_folders(clean_env, tmp_path):
    one = Settings().jwt_key()
    clean_env.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "other"))
    assert Settings().jwt_key() != one


def test_dev_prefers_a_secret_from_the_environment(clean_env, tmp_path):
    clean_env.setenv("ASSISTANT_JWT_SECRET", "dev-secret-from-env")
    assert Settings().jwt_key() == "dev-secret-from-env"
    assert not (tmp_path / "data" / "secrets").exists()


def test_default_origins_are_the_local_urls(clean_env):
    assert Settings().allowed_origins == ["http://localhost:3000", "http://127.0.0.1:3000"]


def test_public_url_is_the_only_origin(clean_env):
    clean_env.setenv("ASSISTANT_ENV", "prod")
    clean_env.setenv("ASSISTANT_PUBLIC_URL", "https://assistant.example.org/")
    settings = Settings()
    assert settings.base_url == "https://assistant.example.org"
    assert settings.allowed_origins == ["https://assistant.example.org"]


@pytest.mark.parametrize("value", ["*", "*,https://a.example", "https://a.example, * ,https://b.example", " * "])
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_allowed_origins_never_contain_a_wildcard(clean_env, value, env):
    clean_env.setenv("ASSISTANT_ENV", env)
    clean_env.setenv("ASSISTANT_CORS_ALLOWED_ORIGINS", value)
    origins = Settings().allowed_origins
    assert "*" not in origins
    assert origins, "dropping the wildcard must not leave the app with no origin at all"


def test_explicit_origins_and_trusted_proxies_are_comma_separated(clean_env):
    clean_env.setenv("ASSISTANT_CORS_ALLOWED_ORIGINS", "https://a.example, https://b.example")
    clean_env.setenv("ASSISTANT_TRUSTED_PROXIES", "10.0.0.0/8,  127.0.0.1")
    settings = Settings()
    assert settings.allowed_origins == ["https://a.example", "https://b.example"]
    assert settings.trusted_proxies == ["10.0.0.0/8", "127.0.0.1"]


def test_database_url_comes_from_the_plain_variable(clean_env):
    clean_env.setenv("DATABASE_URL", "postgresql://u:p@db:5432/assistant")
    clean_env.setenv("ASSISTANT_DATABASE_URL", "postgresql://wrong")
    assert Settings().database_url == "postgresql://u:p@db:5432/assistant"


def test_dev_treats_an_empty_secret_as_unset(clean_env, tmp_path):
    """``ASSISTANT_JWT_SECRET=`` (e.g. an empty compose default) must not sign tokens with an empty key."""
    clean_env.setenv("ASSISTANT_JWT_SECRET", "")
    key = Settings().jwt_key()
    assert len(key) >= 32
    assert (tmp_path / "data" / "secrets" / "jwt_secret").read_text().strip() == key

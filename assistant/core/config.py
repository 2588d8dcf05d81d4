"""Application settings, read from the environment (prefix ``ASSISTANT_``) and ``DATABASE_URL``.

Secrets that a single-machine install needs (the JWT signing key) are generated once into the
data folder in dev mode; in prod mode they must come from the environment.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from assistant.core.errors import ConfigurationError

#: Secrets that must never sign tokens in production.
KNOWN_WEAK_SECRETS = frozenset({"secret", "changeme", "change-me", "dev", "development", "jwt-secret", "assistant"})
MIN_SECRET_LENGTH = 32
REPO_ROOT = Path(__file__).resolve().parents[2]


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """All configuration. Every field maps to ``ASSISTANT_<FIELD>`` except ``database_url``.

    Raises:
        pydantic.ValidationError: when a variable has the wrong shape.
    """

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    env: Literal["dev", "prod"] = "dev"
    data_dir: Path = Path("data")
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")

    jwt_secret: SecretStr | None = None
    jwt_audience: str = "assistant"
    jwt_issuer: str = "assistant"
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)

    admin_email: str | None = None
    admin_password: SecretStr | None = None

    port: int = 3000
    #: The address users open; defaults to http://localhost:<port>.
    public_url: str | None = None
    cors_allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: Addresses (or CIDR networks) of reverse proxies whose X-Forwarded-For is believed.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

    #: Login throttling by progressive delays, never a lockout (OWASP Authentication Cheat Sheet): this many
    #: failed sign-ins for an account since its last success, and for a client address, within the window cost
    #: nothing; each further try waits ``login_delay_first_seconds`` after the last failure, doubled per extra
    #: failure, at most ``login_delay_max_seconds`` (see :func:`assistant.services.auth.service.login`).
    login_free_failures_per_account: int = Field(default=5, ge=1, le=1_000)
    login_free_failures_per_address: int = Field(default=20, ge=1, le=10_000)
    login_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    login_delay_first_seconds: float = Field(default=2.0, gt=0, le=600)
    login_delay_max_seconds: float = Field(default=30.0, gt=0, le=3_600)

    #: Language-model providers. None of them set: offline mode (answers from documents and memory only).
    openai_api_key: SecretStr | None = None
    #: An OpenAI-compatible server (Ollama, llama.cpp, vLLM, LM Studio), e.g. http://localhost:11434/v1.
    openai_base_url: str | None = None
    anthropic_api_key: SecretStr | None = None
    #: Another address for the Anthropic Messages API (a gateway or proxy); default the public API.
    anthropic_base_url: str | None = None
    #: Seconds without data from a provider before the answer is given up as timed out.
    llm_timeout_seconds: float = Field(default=60.0, gt=0, le=600)

    #: Characters of remembered facts one answer's context may hold (critical and high first, then the
    #: facts recalled for the message), and how many facts recall adds at most.
    memory_context_chars: int = Field(default=4_000, ge=500, le=20_000)
    memory_recall_k: int = Field(default=8, ge=1, le=30)

    #: Minutes an occurrence missed while the scheduler was down may still fire late (once); an occurrence
    #: missed by longer is marked missed and the user is told.
    reminder_grace_minutes: int = Field(default=60, ge=1, le=24 * 60)

    #: The Fernet key (or any passphrase of 32+ characters, hashed into one) that encrypts secrets at rest: the
    #: SMTP password and the Telegram bot token. Required in prod; dev generates one into the data folder.
    secret_key: SecretStr | None = None
    #: The Telegram Bot API server (a self-hosted ``telegram-bot-api`` or, in tests, a loopback one).
    telegram_api_url: str = "https://api.telegram.org"
    #: Webhook mode of the Telegram bot: the public HTTPS address Telegram POSTs updates to (the reverse proxy
    #: forwards its path to the leader worker's listener on ``telegram_webhook_port``). Unset: long polling.
    telegram_webhook_url: str | None = None
    telegram_webhook_port: int = Field(default=8081, ge=1, le=65535)
    #: Seconds an SMTP server or the Telegram API gets to answer.
    channel_timeout_seconds: float = Field(default=20.0, gt=0, le=300)

    log_level: str = "INFO"
    #: ``text``: ``time level logger: message`` lines; ``json``: one JSON object per line with the request, user
    #: and job ids known when the record was made (see :mod:`assistant.core.logging`).
    log_format: Literal["text", "json"] = "text"

    _split = field_validator("cors_allowed_origins", "trusted_proxies", mode="before")(_split_csv)

    @property
    def resolved_data_dir(self) -> Path:
        """The data folder as an absolute path (relative paths are taken from the current directory)."""
        return self.data_dir.expanduser().resolve()

    @property
    def base_url(self) -> str:
        """The URL the app is opened on, without a trailing slash."""
        return (self.public_url or f"http://localhost:{self.port}").rstrip("/")

    @property
    def allowed_origins(self) -> list[str]:
        """Origins allowed to open the event WebSocket and call the API; never ``*``.

        ``ASSISTANT_CORS_ALLOWED_ORIGINS`` when set; otherwise the public URL, plus its 127.0.0.1
        twin in dev so both local spellings work.
        """
        explicit = [origin for origin in self.cors_allowed_origins if origin != "*"]
        if explicit:
            return explicit
        origins = [self.base_url]
        if self.env == "dev" and self.public_url is None:
            origins.append(f"http://127.0.0.1:{self.port}")
        return origins

    def jwt_key(self) -> str:
        """The HS256 signing key.

        In prod it must be set (``ASSISTANT_JWT_SECRET``), at least 32 characters and not a known
        default. In dev a random key is generated once and kept in ``<data_dir>/secrets/jwt_secret``.

        Raises:
            ConfigurationError: prod mode with a missing, short or default secret.
        """
        value = self.jwt_secret.get_secret_value() if self.jwt_secret is not None else ""
        if value:  # an empty ASSISTANT_JWT_SECRET counts as unset, never as an empty signing key
            if self.env == "prod" and (len(value) < MIN_SECRET_LENGTH or value.lower() in KNOWN_WEAK_SECRETS):
                raise ConfigurationError(
                    f"ASSISTANT_JWT_SECRET is too weak: use at least {MIN_SECRET_LENGTH} random characters"
                )
            return value
        if self.env == "prod":
            raise ConfigurationError("ASSISTANT_JWT_SECRET must be set when ASSISTANT_ENV=prod")
        return _read_or_create_secret(self.resolved_data_dir / "secrets" / "jwt_secret")


    def fernet_key(self) -> bytes:
        """The Fernet key that encrypts secrets at rest (urlsafe base64 of 32 bytes).

        ``ASSISTANT_SECRET_KEY`` as is when it is a Fernet key, else the SHA-256 of it (at least 32
        characters, not a known default). Unset: required in prod; in dev generated once into
        ``<data_dir>/secrets/fernet_key``.

        Raises:
            ConfigurationError: prod mode with a missing, short or default key.
        """
        value = self.secret_key.get_secret_value().strip() if self.secret_key is not None else ""
        if value:
            try:
                if len(base64.urlsafe_b64decode(value.encode("ascii"))) == 32:
                    return value.encode("ascii")
            except (ValueError, UnicodeEncodeError):
                pass
            if len(value) < MIN_SECRET_LENGTH or value.lower() in KNOWN_WEAK_SECRETS:
                raise ConfigurationError(
                    f"ASSISTANT_SECRET_KEY is too weak: use a Fernet key or at least {MIN_SECRET_LENGTH} random "
                    "characters")
            return base64.urlsafe_b64encode(hashlib.sha256(value.encode("utf-8")).digest())
        if self.env == "prod":
            raise ConfigurationError("ASSISTANT_SECRET_KEY must be set when ASSISTANT_ENV=prod")
        path = self.resolved_data_dir / "secrets" / "fernet_key"
        return _read_or_create_secret(path, lambda: base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")).encode()


def _read_or_create_secret(path: Path, make: Callable[[], str] = lambda: secrets.token_urlsafe(48)) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    try:
        os.link(tmp, path)  # atomic; loses to a concurrent writer instead of overwriting it
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()

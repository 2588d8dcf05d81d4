"""The LLM providers administrators manage (:class:`~assistant.models.admin.LlmProvider` rows), the two the
environment configures, and the provider instance a model tier's name stands for.

Environment providers: ``openai`` (``ASSISTANT_OPENAI_API_KEY`` / ``ASSISTANT_OPENAI_BASE_URL``) and
``anthropic`` (``ASSISTANT_ANTHROPIC_API_KEY`` / ``ASSISTANT_ANTHROPIC_BASE_URL``) are read from the settings
each time, shown in the list as read-only entries "from the environment" and never stored; those two names
are reserved. A tier that names one of them behaves as before administrators could add providers, so a
deployment configured by environment variables keeps working unchanged (and a changed variable takes
effect at the next start, never overwritten by a stale copy in the database). Administrators add further
providers, each under its own name, and point tiers at them.

Rows: the key is stored encrypted (:func:`assistant.core.security.encrypt_secret`) and leaves this module
only masked (:attr:`ProviderView.key_hint`, ``••••abcd``); it is decrypted only to build a client
(:mod:`assistant.services.llm.connections`, at each chat turn, so a change applies to the next turn without
a restart). Base URLs are checked against SSRF when saved and on every request (:mod:`assistant.services.llm.ssrf`); the
environment's providers are set by the operator and not guarded. Every change is in the audit log
(``provider.create``/``update``/``remove_key``/``delete``; the key only as ``set``/``unset``).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from assistant.core.config import Settings
from assistant.core.errors import ConfigurationError, InvalidInput, NotFound
from assistant.core.security import decrypt_secret, encrypt_secret
from assistant.models import User
from assistant.models.admin import Agent, LlmProvider, ProviderKind
from assistant.models.user import Role
from assistant.services.admin import audit
from assistant.services.admin.settings import MODEL_TIERS, get_setting, write_setting_row
from assistant.services.auth.permissions import require_role
from assistant.services.llm.connections import (
    ENVIRONMENT_PROVIDERS,
    ProviderConfig,
    config_by_name,
    configured,
    environment_config,
    row_config,
)
from assistant.services.llm.ssrf import IPNetwork, Resolver, check_base_url, system_resolver

NAME_MAX = 32  # Message.provider's column
KEY_MAX = 500
TIMEOUT_RANGE = (1.0, 600.0)  # seconds


@dataclass(frozen=True)
class ProviderView:
    """A provider as the admin page shows it; never the key itself.

    Attributes:
        id: the row's id; ``""`` for an environment provider (read-only).
        name: what tiers and ``Message.provider`` name it by.
        kind: a :class:`ProviderKind` value.
        base_url: ``""``: the vendor's default.
        key_set: whether a key is stored; ``key_hint`` its last 4 characters masked (``••••abcd``; only
            ``••••`` for keys shorter than 12 characters or one that can no longer be decrypted).
        timeout_seconds: per request.
        allow_local: loopback and private addresses admitted for this provider.
        configured: it has what it needs to answer (a key, or a base URL for a compatible server).
    """

    id: str
    name: str
    kind: str
    base_url: str
    key_set: bool
    key_hint: str
    timeout_seconds: float
    allow_local: bool
    configured: bool

    @property
    def from_environment(self) -> bool:
        """An environment provider (read-only here)."""
        return not self.id


def _mask(key: str | None) -> str:
    if not key:
        return ""
    return "••••" + (key[-4:] if len(key) >= 12 else "")


def environment_views(settings: Settings) -> list[ProviderView]:
    """The environment's two providers (``openai``, ``anthropic``) as read-only views."""
    views = []
    for name in ENVIRONMENT_PROVIDERS:
        config = environment_config(name, settings)
        views.append(ProviderView(id="", name=name, kind=config.kind, base_url=config.base_url,
                                  key_set=bool(config.api_key), key_hint=_mask(config.api_key),
                                  timeout_seconds=config.timeout_seconds, allow_local=True,
                                  configured=configured(config.kind, bool(config.api_key), config.base_url)))
    return views


def _view(row: LlmProvider) -> ProviderView:
    hint = ""
    if row.api_key_encrypted:
        try:
            hint = _mask(decrypt_secret(row.api_key_encrypted))
        except ConfigurationError:
            hint = "••••"
    key_set = bool(row.api_key_encrypted)
    return ProviderView(id=str(row.id), name=row.name, kind=row.kind, base_url=row.base_url, key_set=key_set,
                        key_hint=hint, timeout_seconds=row.timeout_seconds, allow_local=row.allow_local,
                        configured=configured(row.kind, key_set, row.base_url))


def list_providers(*, session: Session, actor: User, settings: Settings) -> list[ProviderView]:
    """The environment's providers, then the stored ones by name.

    Raises:
        Forbidden: the actor is not an active admin.
    """
    require_role(actor, Role.ADMIN)
    rows = session.exec(select(LlmProvider).order_by(LlmProvider.name)).all()
    return environment_views(settings) + [_view(row) for row in rows]


def provider_configured(*, session: Session, name: str, settings: Settings) -> bool:
    """Whether the provider called ``name`` exists and has what it needs to answer (no decryption)."""
    if name in ENVIRONMENT_PROVIDERS:
        return next(view.configured for view in environment_views(settings) if view.name == name)
    row = session.exec(select(LlmProvider).where(LlmProvider.name == name)).first()
    return row is not None and configured(row.kind, bool(row.api_key_encrypted), row.base_url)


def provider_exists(*, session: Session, name: str) -> bool:
    """Whether ``name`` is an environment provider or a stored one."""
    return name in ENVIRONMENT_PROVIDERS or session.exec(
        select(LlmProvider.id).where(LlmProvider.name == name)).first() is not None


def _row(session: Session, provider_id: str | uuid.UUID, *, lock: bool = False) -> LlmProvider:
    try:
        key = provider_id if isinstance(provider_id, uuid.UUID) else uuid.UUID(str(provider_id))
    except ValueError as exc:
        raise NotFound("providers.not_found") from exc
    row = session.get(LlmProvider, key, with_for_update=lock)
    if row is None:
        raise NotFound("providers.not_found")
    return row


def _audit_value(row: LlmProvider) -> dict[str, Any]:
    return {"name": row.name, "kind": row.kind, "base_url": row.base_url, "api_key": bool(row.api_key_encrypted),
            "timeout_seconds": row.timeout_seconds, "allow_local": row.allow_local}


def _checked(session: Session, *, name: str, kind: str, base_url: str, timeout_seconds: float | str,
             allow_local: bool, resolver: Resolver, trusted: Collection[IPNetwork],
             own_id: uuid.UUID | None) -> dict[str, Any]:
    name = name.strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise InvalidInput("providers.name_length", max=NAME_MAX)
    if name in ENVIRONMENT_PROVIDERS:
        raise InvalidInput("providers.name_reserved", name=name)
    taken = session.exec(select(LlmProvider.id).where(LlmProvider.name == name)).first()
    if taken is not None and taken != own_id:
        raise InvalidInput("providers.name_taken", name=name)
    if kind not in {item.value for item in ProviderKind}:
        raise InvalidInput("providers.kind_invalid")
    base_url = base_url.strip()
    if len(base_url) > 500:
        raise InvalidInput("providers.url_invalid")
    if base_url:
        base_url = check_base_url(base_url, allow_local=allow_local, resolver=resolver, trusted=trusted)
    elif kind == ProviderKind.OPENAI_COMPATIBLE:
        raise InvalidInput("providers.url_required")
    try:
        timeout = float(timeout_seconds)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("providers.timeout_invalid", low=TIMEOUT_RANGE[0], high=TIMEOUT_RANGE[1]) from exc
    if not TIMEOUT_RANGE[0] <= timeout <= TIMEOUT_RANGE[1]:
        raise InvalidInput("providers.timeout_invalid", low=TIMEOUT_RANGE[0], high=TIMEOUT_RANGE[1])
    return {"name": name, "kind": kind, "base_url": base_url, "timeout_seconds": timeout,
            "allow_local": bool(allow_local)}


def _encrypted_key(api_key: str) -> str:
    api_key = api_key.strip()
    if len(api_key) > KEY_MAX:
        raise InvalidInput("providers.key_too_long", max=KEY_MAX)
    return encrypt_secret(api_key)


def _flush(session: Session, name: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:  # another admin took the name meanwhile
        raise InvalidInput("providers.name_taken", name=name) from exc


def create_provider(*, session: Session, actor: User, name: str, kind: str, base_url: str = "", api_key: str = "",
                    timeout_seconds: float | str = 60.0, allow_local: bool = False,
                    resolver: Resolver = system_resolver, trusted: Collection[IPNetwork] = ()) -> ProviderView:
    """Add a provider (blocking: the base URL's host is resolved).

    Args:
        name: 1-32 characters after trimming, unique, not ``openai``/``anthropic``.
        kind: a :class:`ProviderKind` value.
        base_url: the API root (``http://localhost:11434/v1`` for Ollama); required for
            ``openai_compatible``, ``""`` for the vendor's default otherwise.
        api_key: stored encrypted; ``""``: none.
        timeout_seconds: 1-600 (a form's text is accepted).
        allow_local: admit loopback and private addresses for this provider.
        resolver, trusted: see :func:`assistant.services.llm.ssrf.check_base_url`.

    Raises:
        Forbidden: the actor is not an active admin.
        InvalidInput: ``providers.name_length``, ``providers.name_reserved``, ``providers.name_taken``,
            ``providers.kind_invalid``, ``providers.url_required``, ``providers.key_too_long``,
            ``providers.timeout_invalid`` or a base URL refusal (``providers.url_*``). Nothing is stored then.
    """
    require_role(actor, Role.ADMIN)
    values = _checked(session, name=name, kind=kind, base_url=base_url, timeout_seconds=timeout_seconds,
                      allow_local=allow_local, resolver=resolver, trusted=trusted, own_id=None)
    row = LlmProvider(**values, api_key_encrypted=_encrypted_key(api_key) if api_key.strip() else None)
    session.add(row)
    _flush(session, row.name)
    audit.record(session, actor=actor, action="provider.create", target_type="llm_provider", target_id=row.id,
                 target_label=row.name, after=_audit_value(row))
    return _view(row)


def update_provider(*, session: Session, actor: User, provider_id: str | uuid.UUID, name: str, kind: str,
                    base_url: str = "", api_key: str = "", timeout_seconds: float | str = 60.0,
                    allow_local: bool = False, resolver: Resolver = system_resolver,
                    trusted: Collection[IPNetwork] = ()) -> ProviderView:
    """Change a provider; arguments as :func:`create_provider`, except that an empty ``api_key`` keeps the
    stored key (:func:`remove_key` removes it). A new name is carried over to the tiers that named the old one.

    Raises:
        Forbidden: the actor is not an active admin.
        NotFound: ``providers.not_found``.
        InvalidInput: as :func:`create_provider`.
    """
    require_role(actor, Role.ADMIN)
    row = _row(session, provider_id, lock=True)
    before = _audit_value(row)
    old_name = row.name
    values = _checked(session, name=name, kind=kind, base_url=base_url, timeout_seconds=timeout_seconds,
                      allow_local=allow_local, resolver=resolver, trusted=trusted, own_id=row.id)
    for key, value in values.items():
        setattr(row, key, value)
    if api_key.strip():
        row.api_key_encrypted = _encrypted_key(api_key)
    session.add(row)
    _flush(session, row.name)
    if row.name != old_name:
        _rename_in_tiers(session, actor, old_name, row.name)
    audit.record(session, actor=actor, action="provider.update", target_type="llm_provider", target_id=row.id,
                 target_label=row.name, before=before,
                 after={**_audit_value(row), "key_replaced": bool(api_key.strip())})
    return _view(row)


def remove_key(*, session: Session, actor: User, provider_id: str | uuid.UUID) -> ProviderView:
    """Forget a provider's key.

    Raises:
        Forbidden: the actor is not an active admin.
        NotFound: ``providers.not_found``.
    """
    require_role(actor, Role.ADMIN)
    row = _row(session, provider_id, lock=True)
    before = _audit_value(row)
    row.api_key_encrypted = None
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="provider.remove_key", target_type="llm_provider", target_id=row.id,
                 target_label=row.name, before=before, after=_audit_value(row))
    return _view(row)


def _stored_tiers(session: Session) -> dict[str, Any]:
    stored = get_setting(session=session, key=MODEL_TIERS)
    return stored if isinstance(stored, dict) else {}


def _rename_in_tiers(session: Session, actor: User, old: str, new: str) -> None:
    stored = _stored_tiers(session)
    renamed = {tier: ({**value, "provider": new} if isinstance(value, dict) and value.get("provider") == old
                      else value) for tier, value in stored.items()}
    if renamed != stored:
        write_setting_row(session, MODEL_TIERS, renamed, actor=actor)


def delete_provider(*, session: Session, actor: User, provider_id: str | uuid.UUID) -> None:
    """Delete a provider no tier and no agent uses.

    Raises:
        Forbidden: the actor is not an active admin.
        NotFound: ``providers.not_found``.
        InvalidInput: ``providers.in_use_tier`` (``tier``) or ``providers.in_use_agent`` (``agent``, a name):
            move them to another provider first. Nothing is deleted then.
    """
    require_role(actor, Role.ADMIN)
    row = _row(session, provider_id, lock=True)
    for tier, value in _stored_tiers(session).items():
        if isinstance(value, dict) and value.get("provider") == row.name:
            raise InvalidInput("providers.in_use_tier", tier=tier)
    agent = session.exec(select(Agent.name).where(Agent.provider_id == row.id)).first()
    if agent is not None:
        raise InvalidInput("providers.in_use_agent", agent=agent)
    audit.record(session, actor=actor, action="provider.delete", target_type="llm_provider", target_id=row.id,
                 target_label=row.name, before=_audit_value(row))
    session.delete(row)
    session.flush()


def config_for_test(*, session: Session, actor: User, provider: str, settings: Settings) -> ProviderConfig:
    """The configuration :func:`test_connection` needs for ``provider``: a stored provider's id or any
    provider's name.

    Raises:
        Forbidden: the actor is not an active admin.
        NotFound: ``providers.not_found``.
        InvalidInput: ``providers.key_unreadable``: the stored key cannot be decrypted
            (``ASSISTANT_SECRET_KEY`` changed; enter the key again).
    """
    require_role(actor, Role.ADMIN)
    try:
        config = config_by_name(session=session, name=provider, settings=settings)
        return config if config is not None else row_config(_row(session, provider))
    except ConfigurationError as exc:
        raise InvalidInput("providers.key_unreadable") from exc

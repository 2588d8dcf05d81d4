"""Asking a provider which models it offers, for the admin pages that name one (the Providers page's Test
connection, the tiers card, the agent editor): one rule for all three."""

from __future__ import annotations

from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.models import User
from assistant.models.user import Role
from assistant.services.llm import providers as provider_service
from assistant.services.llm.connections import ProviderConfig, test_connection
from assistant.ui.state.auth import AuthState


async def offered_models(state: AuthState, provider: str) -> list[str]:
    """The model ids ``provider`` (a stored provider's id or any provider's name) offers, asked through its SDK
    for the tab's account, re-checked as an admin.

    Raises:
        Forbidden, Unauthorized: the account is not an active admin (``state``'s usual reaction applies).
        NotFound, InvalidInput, ProviderError: as
            :func:`~assistant.services.llm.providers.config_for_test` and
            :func:`~assistant.services.llm.connections.test_connection` (no key, key rejected, unreachable,
            a refused address).
    """
    def _config(session: Session, user: User) -> ProviderConfig:
        return provider_service.config_for_test(session=session, actor=user, provider=provider,
                                                settings=get_settings())

    config = await state._run_as_user(_config, Role.ADMIN)
    return await test_connection(config)

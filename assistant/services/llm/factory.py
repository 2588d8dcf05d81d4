"""Build the provider a model tier names from the configured credentials.

Keys come from settings (``ASSISTANT_OPENAI_API_KEY``, ``ASSISTANT_OPENAI_BASE_URL``,
``ASSISTANT_ANTHROPIC_API_KEY``, ``ASSISTANT_ANTHROPIC_BASE_URL``), passed in explicitly; nothing here reads
the environment.
"""

from __future__ import annotations

from assistant.services.llm.base import LLMProvider, ProviderName

#: Sent as the bearer token to an OpenAI-compatible server configured without a key (local servers
#: such as Ollama or llama.cpp accept any value; the SDK insists on one).
NO_KEY = "not-needed"


def create_provider(
    provider: ProviderName,
    *,
    openai_api_key: str | None = None,
    openai_base_url: str | None = None,
    anthropic_api_key: str | None = None,
    anthropic_base_url: str | None = None,
    timeout: float = 60.0,
    max_retries: int = 1,
) -> LLMProvider | None:
    """A new provider instance (with its own HTTP client) for ``provider``, or None when it is not
    configured: ``openai`` needs a key or a base URL (a local OpenAI-compatible server), ``anthropic``
    a key. None means offline mode. Close the result with ``aclose()``.

    Args:
        provider: ``openai`` (also every OpenAI-compatible server, via ``openai_base_url``) or
            ``anthropic``.
        timeout: seconds, see the provider classes.
        max_retries: request retries before the stream starts, see the provider classes.

    Raises:
        ValueError: an unknown provider name.
    """
    if provider == "openai":
        if not (openai_api_key or openai_base_url):
            return None
        from assistant.services.llm.openai_provider import OpenAIProvider

        return OpenAIProvider(api_key=openai_api_key or NO_KEY, base_url=openai_base_url or None,
                              timeout=timeout, max_retries=max_retries)
    if provider == "anthropic":
        if not anthropic_api_key:
            return None
        from assistant.services.llm.anthropic_provider import AnthropicProvider

        return AnthropicProvider(api_key=anthropic_api_key, base_url=anthropic_base_url or None, timeout=timeout,
                                 max_retries=max_retries)
    raise ValueError(f"unknown provider {provider!r}")

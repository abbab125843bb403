"""Model providers: how one chat request becomes one HTTP call."""

from __future__ import annotations

from ..connections import Connection
from .base import ChatRequest, ChatResponse, Provider, ProviderError
from .openai import OpenAIProvider

__all__ = ["ChatRequest", "ChatResponse", "Provider", "ProviderError", "make_provider"]


def make_provider(connection: Connection, api_key: str | None) -> Provider:
    """The provider for a connection's ``provider`` kind."""
    if connection.provider == "openai":
        return OpenAIProvider(
            connection.base_url,
            api_key,
            headers=connection.headers,
            extra_params=connection.params,
            max_connections=max(connection.max_concurrency, 1),
        )
    raise ProviderError(
        f"connection '{connection.name}': provider '{connection.provider}' is not supported "
        "yet (use an OpenAI-compatible endpoint)"
    )

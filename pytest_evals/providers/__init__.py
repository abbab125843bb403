"""Model providers: how one chat request becomes one HTTP call.

A provider kind (a connection's ``provider``) maps to a factory. ``make_provider`` takes
extra factories so that plugins can contribute kinds (through a hook) without this module
knowing about them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from ..connections import Connection
from .base import ChatRequest, ChatResponse, Provider, ProviderError
from .openai import OpenAIProvider

__all__ = [
    "ChatRequest",
    "ChatResponse",
    "Provider",
    "ProviderError",
    "ProviderFactory",
    "builtin_factories",
    "make_provider",
]

ProviderFactory = Callable[[Connection, str | None], Provider]


def _openai(connection: Connection, api_key: str | None) -> Provider:
    return OpenAIProvider(
        connection.base_url,
        api_key,
        headers=connection.headers,
        extra_params=connection.params,
        # The engine bounds calls in flight per connection; the pool must never be the
        # tighter bound, or pool waits would count against the attempt's timeout.
        max_connections=max(connection.max_concurrency, 1),
    )


def builtin_factories() -> Mapping[str, ProviderFactory]:
    """The provider kinds that ship with pytest-evals."""
    return MappingProxyType({"openai": _openai})


def make_provider(
    connection: Connection,
    api_key: str | None,
    *,
    factories: Mapping[str, ProviderFactory] | None = None,
) -> Provider:
    """The provider for a connection's ``provider`` kind; ``factories`` (from plugins) add
    kinds or replace built-in ones."""
    available = {**builtin_factories(), **(factories or {})}
    factory = available.get(connection.provider)
    if factory is None:
        known = ", ".join(sorted(available))
        raise ProviderError(
            f"connection '{connection.name}': provider '{connection.provider}' is not supported "
            f"yet (supported: {known}; any OpenAI-compatible endpoint works as 'openai')"
        )
    return factory(connection, api_key)

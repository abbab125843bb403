"""Provider kinds by name (a connection's ``provider``): the built-in ones and those
plugins add through ``pytest_evals_register_providers``.

The built-in factories import their HTTP code on first use: a session that makes no model
call never loads it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from types import MappingProxyType

from ..spec.connections import Connection
from .base import Provider, ProviderError

ProviderFactory = Callable[[Connection, str | None], Provider]


def _openai(connection: Connection, api_key: str | None) -> Provider:
    from .openai import OpenAIProvider

    return _build(
        functools.partial(
            OpenAIProvider,
            structured_output=connection.structured_output,
            connection_name=connection.name,
        ),
        connection,
        api_key,
    )


def _anthropic(connection: Connection, api_key: str | None) -> Provider:
    from .anthropic import AnthropicProvider

    return _build(AnthropicProvider, connection, api_key)


def _build(kind: Callable[..., Provider], connection: Connection, api_key: str | None) -> Provider:
    from .transport import TransportOptions

    return kind(
        connection.base_url,
        api_key,
        headers={**connection.headers, **_env_headers(connection)},
        extra_params=connection.params,
        transport=TransportOptions(
            # The engine bounds calls in flight per connection; the pool must never be the
            # tighter bound, or pool waits would count against the attempt's timeout.
            max_connections=max(connection.max_concurrency, 1),
            proxy=connection.proxy,
            ca_bundle=connection.ca_bundle,
            client_cert=connection.client_cert,
            client_key=connection.client_key,
            http2=connection.http2,
            max_response_bytes=connection.max_response_bytes,
        ),
    )


def _env_headers(connection: Connection) -> dict[str, str]:
    """The headers a connection reads from environment variables, read now."""
    values = {}
    for header, variable in connection.env_headers.items():
        value = os.environ.get(variable)
        if not value:
            raise ProviderError(
                f"connection '{connection.name}': header '{header}' is read from the "
                f"environment variable {variable}, which is not set"
            )
        values[header] = value
    return values


def builtin_factories() -> Mapping[str, ProviderFactory]:
    """The provider kinds that ship with pytest-evals."""
    return MappingProxyType({"openai": _openai, "anthropic": _anthropic})


class ProviderRegistry:
    """What ``pytest_evals_register_providers`` receives."""

    def __init__(self) -> None:
        self._factories: dict[str, ProviderFactory] = dict(builtin_factories())

    def register(self, kind: str, factory: ProviderFactory) -> None:
        """Add a kind, or replace a built-in one."""
        self._factories[kind] = factory

    def factories(self) -> Mapping[str, ProviderFactory]:
        return MappingProxyType(dict(self._factories))


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
            f"(known: {known}; any OpenAI-compatible endpoint works as 'openai')"
        )
    return factory(connection, api_key)

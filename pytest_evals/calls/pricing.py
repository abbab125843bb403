"""What a call cost: the connection's ``prices``, else a built-in table for well-known
models on the vendor's own API, else unknown (``None``) — never a made-up number. Pure."""

from __future__ import annotations

import re
from types import MappingProxyType
from urllib.parse import urlparse

from ..records import TokenUsage
from ..spec.connections import Connection, Prices

# USD per million tokens (input, output), as published by the vendors.
BUILTIN_PRICES = MappingProxyType(
    {
        "gpt-4o": Prices(2.50, 10.00),
        "gpt-4o-mini": Prices(0.15, 0.60),
        "gpt-4.1": Prices(2.00, 8.00),
        "gpt-4.1-mini": Prices(0.40, 1.60),
        "gpt-4.1-nano": Prices(0.10, 0.40),
        "gpt-5": Prices(1.25, 10.00),
        "gpt-5-mini": Prices(0.25, 2.00),
        "gpt-5-nano": Prices(0.05, 0.40),
        "o1": Prices(15.00, 60.00),
        "o3": Prices(2.00, 8.00),
        "o3-mini": Prices(1.10, 4.40),
        "o4-mini": Prices(1.10, 4.40),
        "gpt-3.5-turbo": Prices(0.50, 1.50),
        "claude-3-5-haiku": Prices(0.80, 4.00),
        "claude-3-5-sonnet": Prices(3.00, 15.00),
        "claude-3-7-sonnet": Prices(3.00, 15.00),
        "claude-sonnet-4": Prices(3.00, 15.00),
        "claude-sonnet-4-5": Prices(3.00, 15.00),
        "claude-opus-4": Prices(15.00, 75.00),
        "claude-opus-4-1": Prices(15.00, 75.00),
        "claude-haiku-4-5": Prices(1.00, 5.00),
        "claude-3-haiku": Prices(0.25, 1.25),
    }
)
# Vendors' own API hosts: only there does a model name mean the vendor's model and price.
_VENDOR_HOSTS = frozenset({"api.openai.com", "api.anthropic.com"})
# Dated snapshots and aliases: gpt-4o-mini-2024-07-18, claude-sonnet-4-20250514, ...-latest.
_SUFFIX = re.compile(r"(-\d{4}-\d{2}-\d{2}|-\d{8}|-latest)$")


def builtin_price(model: str) -> Prices | None:
    name = _SUFFIX.sub("", model.strip().lower())
    return BUILTIN_PRICES.get(name)


def prices_for(connection: Connection, model: str) -> Prices | None:
    configured = connection.prices.get(model) or connection.prices.get("*")
    if configured is not None:
        return configured
    if urlparse(connection.base_url).hostname in _VENDOR_HOSTS:
        return builtin_price(model)
    return None


def cost_usd(connection: Connection, model: str, tokens: TokenUsage | None) -> float | None:
    """The call's cost in USD, or None when the prices or the token counts are unknown."""
    prices = prices_for(connection, model)
    if prices is None or tokens is None or tokens.prompt is None or tokens.completion is None:
        return None
    return (
        tokens.prompt * prices.input_per_mtok + tokens.completion * prices.output_per_mtok
    ) / 1_000_000

"""Model providers: how one chat request becomes one HTTP call."""

from __future__ import annotations

from .base import (
    ChatRequest,
    ChatResponse,
    EmbeddingProvider,
    EmbeddingRequest,
    EmbeddingResponse,
    Provider,
    ProviderError,
)
from .registry import ProviderFactory, ProviderRegistry, builtin_factories, make_provider

__all__ = [
    "ChatRequest",
    "ChatResponse",
    "EmbeddingProvider",
    "EmbeddingRequest",
    "EmbeddingResponse",
    "Provider",
    "ProviderError",
    "ProviderFactory",
    "ProviderRegistry",
    "builtin_factories",
    "make_provider",
]

"""The provider interface: one chat request in, one chat response out, asynchronously (and,
for providers with an embeddings endpoint, a batch of texts in, their vectors out).

Retrying, rate limiting and caching live in the engine, not in providers, so every
provider gets them the same way. A provider signals a retryable failure through
``ProviderError.retryable`` (and ``retry_after`` when the server said how long to wait).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: tuple[Mapping[str, str], ...]
    temperature: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    json_schema: Mapping[str, Any] | None = field(default=None, hash=False)
    """Ask for an answer that is a JSON object matching this schema (a judge's verdict):
    each provider asks in the form its connection's ``structured_output`` names."""


@dataclass(frozen=True)
class ChatResponse:
    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    model: str | None = None


@dataclass(frozen=True)
class EmbeddingRequest:
    model: str
    inputs: tuple[str, ...]
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EmbeddingResponse:
    """One vector per input, in the inputs' order."""

    vectors: tuple[tuple[float, ...], ...]
    prompt_tokens: int | None = None
    model: str | None = None


class ProviderError(Exception):
    """A call failed. The message must already be safe to show: no API key in it."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        status: int | None = None,
        retry_after: float | None = None,
        connect_failure: bool = False,
    ) -> None:
        """``connect_failure``: no connection could be made (refused, no such host, a proxy
        or TLS handshake that failed), what says the connection is down; not a timeout,
        not an HTTP error status."""
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after
        self.connect_failure = connect_failure


class Provider(Protocol):
    async def complete(self, request: ChatRequest, *, timeout_s: float) -> ChatResponse:
        """One attempt; raises ProviderError on failure (retryable or not)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


@runtime_checkable
class EmbeddingProvider(Protocol):
    """A provider with an embeddings endpoint (OpenAI-compatible ``POST /embeddings``)."""

    async def embed(self, request: EmbeddingRequest, *, timeout_s: float) -> EmbeddingResponse:
        """One attempt for the whole batch; raises ProviderError on failure."""
        ...

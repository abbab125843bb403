"""Posting JSON to a model API over httpx: keep-alive pools, timeouts, and HTTP failures
turned into ``ProviderError`` (retryable or not, key redacted). Shared by the providers.

httpcore scans every connection of a pool on each request event, so one pool of 32
connections spends more CPU than the calls themselves; a connection's calls are spread over
small pools of ``CONNECTIONS_PER_POOL``, each call taking a free lane so no pool ever queues.
Pools are created in the event loop that uses them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from ..redact import redact
from ..retry import parse_retry_after
from .base import ProviderError

MESSAGE_LIMIT = 500
CONNECTIONS_PER_POOL = 8
# Request Timeout, Too Many Requests, and Anthropic's Overloaded: worth sending again.
_RETRYABLE = frozenset({408, 429, 529})


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT] + "…"


def error_message(response: httpx.Response) -> str:
    """The provider's own explanation: ``error.message`` of an OpenAI- or Anthropic-style
    body, or the body's text."""
    try:
        body = response.json()
    except ValueError:
        return short(response.text)
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping) and error.get("message"):
            return short(str(error["message"]))
        if isinstance(error, str):
            return short(error)
        if body.get("message"):
            return short(str(body["message"]))
    return short(response.text)


class PooledJSONClient:
    def __init__(
        self, *, headers: Mapping[str, str], max_connections: int, secrets: Iterable[str | None]
    ) -> None:
        self._headers = {"Content-Type": "application/json", **headers}
        self._lanes_total = max(max_connections, 1)
        self._secrets = [s for s in secrets if s]
        self._clients: list[httpx.AsyncClient] = []
        self._lanes: asyncio.Queue[int] | None = None

    def safe(self, text: str) -> str:
        return redact(text, self._secrets)

    def _pools(self) -> tuple[list[httpx.AsyncClient], asyncio.Queue[int]]:
        if self._lanes is None:
            pools = -(-self._lanes_total // CONNECTIONS_PER_POOL)
            limits = httpx.Limits(
                max_connections=CONNECTIONS_PER_POOL,
                max_keepalive_connections=CONNECTIONS_PER_POOL,
            )
            self._clients = [
                httpx.AsyncClient(limits=limits, headers=self._headers) for _ in range(pools)
            ]
            self._lanes = asyncio.Queue()
            for lane in range(pools * CONNECTIONS_PER_POOL):
                self._lanes.put_nowait(lane)
        return self._clients, self._lanes

    async def post(self, url: str, payload: Mapping[str, Any], *, timeout_s: float) -> bytes:
        """The body of a 2xx answer; ProviderError otherwise."""
        clients, lanes = self._pools()
        lane = await lanes.get()
        try:
            return await self._post(clients[lane // CONNECTIONS_PER_POOL], url, payload, timeout_s)
        finally:
            lanes.put_nowait(lane)

    async def _post(
        self, client: httpx.AsyncClient, url: str, payload: Mapping[str, Any], timeout_s: float
    ) -> bytes:
        try:
            response = await client.post(url, json=payload, timeout=timeout_s)
            body = await response.aread()
        except httpx.TimeoutException:
            raise ProviderError(f"timed out after {timeout_s:g} s", retryable=True) from None
        except httpx.TransportError as exc:
            raise ProviderError(
                self.safe(f"connection error: {type(exc).__name__}: {exc}"), retryable=True
            ) from None
        status = response.status_code
        if status in _RETRYABLE or status >= 500:
            raise ProviderError(
                self.safe(f"HTTP {status}: {error_message(response)}"),
                retryable=True,
                status=status,
                retry_after=parse_retry_after(response.headers.get("retry-after"), now=time.time()),
            )
        if status >= 400:
            raise ProviderError(
                self.safe(f"HTTP {status}: {error_message(response)}"), status=status
            )
        if not 200 <= status < 300:
            # Redirects are not followed: a base_url that redirects is misconfigured.
            where = response.headers.get("location", "")
            raise ProviderError(
                self.safe(f"HTTP {status}: unexpected answer {where}".rstrip()), status=status
            )
        return body

    async def aclose(self) -> None:
        clients, self._clients, self._lanes = self._clients, [], None
        for client in clients:
            await client.aclose()


def invalid_body(body: bytes, exc: Exception) -> ProviderError:
    preview = short(body.decode("utf-8", "replace"))[:200]
    return ProviderError(
        f"invalid JSON from the provider ({type(exc).__name__}: {exc}): {preview!r}",
        retryable=True,
    )


def optional_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None

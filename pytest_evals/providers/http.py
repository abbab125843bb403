"""Posting JSON to a model API over httpx: keep-alive pools, timeouts, and HTTP failures
turned into ``ProviderError`` (retryable or not, key redacted). Shared by the providers.

httpcore scans every connection of a pool on each request event, so one pool of 32
connections spends more CPU than the calls themselves; a connection's calls are spread over
small pools of ``CONNECTIONS_PER_POOL``, each call taking a free lane so no pool ever queues.
Pools are created in the event loop that uses them, and share one TLS context (building one
costs tens of milliseconds).

Requests go straight to httpx's transport: a model call needs none of the client's cookies,
auth flows, redirects or event hooks, and skipping them is a quarter of the CPU per call.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from ..redact import redact
from ..retry import parse_retry_after
from .base import ChatRequest, ChatResponse, ProviderError

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
        self._pools_: list[httpx.AsyncHTTPTransport] = []
        self._lanes: asyncio.Queue[int] | None = None

    def safe(self, text: str) -> str:
        return redact(text, self._secrets)

    def _pools(self) -> tuple[list[httpx.AsyncHTTPTransport], asyncio.Queue[int]]:
        if self._lanes is None:
            pools = -(-self._lanes_total // CONNECTIONS_PER_POOL)
            limits = httpx.Limits(
                max_connections=CONNECTIONS_PER_POOL,
                max_keepalive_connections=CONNECTIONS_PER_POOL,
            )
            tls = ssl.create_default_context()
            self._pools_ = [
                httpx.AsyncHTTPTransport(limits=limits, verify=tls) for _ in range(pools)
            ]
            self._lanes = asyncio.Queue()
            for lane in range(pools * CONNECTIONS_PER_POOL):
                self._lanes.put_nowait(lane)
        return self._pools_, self._lanes

    async def post(self, url: str, payload: Mapping[str, Any], *, timeout_s: float) -> bytes:
        """The body of a 2xx answer; ProviderError otherwise."""
        pools, lanes = self._pools()
        lane = await lanes.get()
        try:
            return await self._post(pools[lane // CONNECTIONS_PER_POOL], url, payload, timeout_s)
        finally:
            lanes.put_nowait(lane)

    async def _post(
        self,
        pool: httpx.AsyncHTTPTransport,
        url: str,
        payload: Mapping[str, Any],
        timeout_s: float,
    ) -> bytes:
        request = httpx.Request(
            "POST",
            url,
            headers=self._headers,
            content=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            extensions={
                "timeout": {"connect": timeout_s, "read": timeout_s, "write": timeout_s,
                            "pool": timeout_s}
            },
        )  # fmt: skip
        try:
            response = await pool.handle_async_request(request)
            try:
                body = await response.aread()
            finally:
                await response.aclose()
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
        pools, self._pools_, self._lanes = self._pools_, [], None
        for pool in pools:
            await pool.aclose()


def invalid_body(body: bytes, exc: Exception) -> ProviderError:
    preview = short(body.decode("utf-8", "replace"))[:200]
    return ProviderError(
        f"invalid JSON from the provider ({type(exc).__name__}: {exc}): {preview!r}",
        retryable=True,
    )


def optional_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class JSONProvider:
    """A provider that posts one JSON body per call: subclasses say where, what and how to
    read the answer."""

    def __init__(self, url: str, http: PooledJSONClient, extra_params: Mapping[str, Any]):
        self._url = url
        self._http = http
        self._extra_params = dict(extra_params)

    def payload(self, request: ChatRequest) -> dict[str, Any]:
        raise NotImplementedError

    def parse(self, body: bytes) -> ChatResponse:
        raise NotImplementedError

    def _with_params(self, body: dict[str, Any], request: ChatRequest) -> dict[str, Any]:
        body.update(self._extra_params)
        body.update(request.params)
        return body

    async def complete(self, request: ChatRequest, *, timeout_s: float) -> ChatResponse:
        body = await self._http.post(self._url, self.payload(request), timeout_s=timeout_s)
        try:
            return self.parse(body)
        except ProviderError as exc:
            raise ProviderError(self._http.safe(exc.message), retryable=True) from None

    async def aclose(self) -> None:
        await self._http.aclose()

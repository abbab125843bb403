"""OpenAI-compatible chat completions (``POST {base_url}/chat/completions``) over httpx.

Keep-alive ``AsyncClient`` pools per provider instance (that is, per connection), created in
the event loop that uses them. httpcore scans every connection of a pool on each request
event, so one pool of 32 connections spends more CPU than the calls themselves; the
connection's calls are spread over small pools of ``_CONNECTIONS_PER_POOL`` instead, each
call taking a free lane so that no pool ever queues.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from ..redact import redact
from ..retry import parse_retry_after
from .base import ChatRequest, ChatResponse, ProviderError

_MESSAGE_LIMIT = 500
_CONNECTIONS_PER_POOL = 8
_DEFAULT_MAX_CONNECTIONS = 100
# Request Timeout and Too Many Requests: the request may well succeed when sent again.
_RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + "…"


def _error_message(response: httpx.Response) -> str:
    """The provider's own explanation: ``error.message`` of an OpenAI-style body, or the
    body's text."""
    try:
        body = response.json()
    except ValueError:
        return _short(response.text)
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping) and error.get("message"):
            return _short(str(error["message"]))
        if isinstance(error, str):
            return _short(error)
        if body.get("message"):
            return _short(str(body["message"]))
    return _short(response.text)


def _optional_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_completion(body: bytes) -> ChatResponse:
    """The text and usage of a chat.completion body; ProviderError (retryable) when the body
    is not one."""
    try:
        data = json.loads(body)
        message = data["choices"][0]["message"]
        content = message.get("content")
        if content is None and message.get("refusal"):
            content = message["refusal"]
        if not isinstance(content, str):
            raise TypeError("message.content is not a string")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        preview = _short(body.decode("utf-8", "replace"))[:200]
        raise ProviderError(
            f"invalid JSON from the provider ({type(exc).__name__}: {exc}): {preview!r}",
            retryable=True,
        ) from None
    usage = data.get("usage") if isinstance(data, Mapping) else None
    usage = usage if isinstance(usage, Mapping) else {}
    return ChatResponse(
        text=content,
        prompt_tokens=_optional_int(usage.get("prompt_tokens")),
        completion_tokens=_optional_int(usage.get("completion_tokens")),
        model=data.get("model") if isinstance(data.get("model"), str) else None,
    )


class OpenAIProvider:
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        headers: Mapping[str, str],
        extra_params: Mapping[str, Any],
        max_connections: int = _DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._api_key = api_key
        self._headers = {"Content-Type": "application/json", **headers}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._extra_params = dict(extra_params)
        self._lanes_total = max(max_connections, 1)
        self._clients: list[httpx.AsyncClient] = []
        self._lanes: asyncio.Queue[int] | None = None

    def _pools(self) -> tuple[list[httpx.AsyncClient], asyncio.Queue[int]]:
        if self._lanes is None:
            pools = -(-self._lanes_total // _CONNECTIONS_PER_POOL)
            limits = httpx.Limits(
                max_connections=_CONNECTIONS_PER_POOL,
                max_keepalive_connections=_CONNECTIONS_PER_POOL,
            )
            self._clients = [
                httpx.AsyncClient(limits=limits, headers=self._headers) for _ in range(pools)
            ]
            self._lanes = asyncio.Queue()
            for lane in range(pools * _CONNECTIONS_PER_POOL):
                self._lanes.put_nowait(lane)
        return self._clients, self._lanes

    def payload(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [dict(m) for m in request.messages],
        }
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.max_tokens is not None:
            body["max_tokens"] = request.max_tokens
        if request.seed is not None:
            body["seed"] = request.seed
        body.update(self._extra_params)
        body.update(request.params)
        return body

    def _safe(self, text: str) -> str:
        return redact(text, [self._api_key])

    async def complete(self, request: ChatRequest, *, timeout_s: float) -> ChatResponse:
        clients, lanes = self._pools()
        lane = await lanes.get()
        try:
            return await self._post(clients[lane // _CONNECTIONS_PER_POOL], request, timeout_s)
        finally:
            lanes.put_nowait(lane)

    async def _post(
        self, client: httpx.AsyncClient, request: ChatRequest, timeout_s: float
    ) -> ChatResponse:
        try:
            response = await client.post(self._url, json=self.payload(request), timeout=timeout_s)
            body = await response.aread()
        except httpx.TimeoutException:
            raise ProviderError(f"timed out after {timeout_s:g} s", retryable=True) from None
        except httpx.TransportError as exc:
            raise ProviderError(
                self._safe(f"connection error: {type(exc).__name__}: {exc}"), retryable=True
            ) from None
        status = response.status_code
        if status in _RETRYABLE_CLIENT_ERRORS or status >= 500:
            raise ProviderError(
                self._safe(f"HTTP {status}: {_error_message(response)}"),
                retryable=True,
                status=status,
                retry_after=parse_retry_after(response.headers.get("retry-after"), now=time.time()),
            )
        if status >= 400:
            raise ProviderError(
                self._safe(f"HTTP {status}: {_error_message(response)}"), status=status
            )
        if not 200 <= status < 300:
            # Redirects are not followed: a base_url that redirects is misconfigured.
            where = response.headers.get("location", "")
            raise ProviderError(
                self._safe(f"HTTP {status}: unexpected answer {where}".rstrip()), status=status
            )
        try:
            return parse_completion(body)
        except ProviderError as exc:
            raise ProviderError(self._safe(exc.message), retryable=True, status=status) from None

    async def aclose(self) -> None:
        clients, self._clients, self._lanes = self._clients, [], None
        for client in clients:
            await client.aclose()

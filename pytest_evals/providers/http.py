"""Posting JSON to a model API over a connection's HTTP client (``transport.py``), and HTTP
failures turned into ``ProviderError`` (retryable or not, key redacted). Shared by the
providers.
"""

from __future__ import annotations

import datetime
import email.utils
import json
import math
import time
from collections.abc import Iterable, Mapping
from typing import Any

from ..redact import redact
from .base import ChatRequest, ChatResponse, ProviderError
from .transport import HTTPClient, HTTPResponse, TransportError, TransportOptions

MESSAGE_LIMIT = 500
# Request Timeout, Too Many Requests, and Anthropic's Overloaded: worth sending again.
_RETRYABLE = frozenset({408, 429, 529})


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        # HTTP dates are GMT; a "-0000" zone parses as naive, which would read as local time.
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, when.timestamp() - now)


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT] + "…"


def error_message(body: bytes) -> str:
    """The provider's own explanation: ``error.message`` of an OpenAI- or Anthropic-style
    body, or the body's text."""
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(body)
    except ValueError:
        return short(text)
    if isinstance(data, Mapping):
        error = data.get("error")
        if isinstance(error, Mapping) and error.get("message"):
            return short(str(error["message"]))
        if isinstance(error, str):
            return short(error)
        if data.get("message"):
            return short(str(data["message"]))
    return short(text)


class JSONClient:
    """POSTs JSON through one connection's HTTP client. Used on one event loop."""

    def __init__(
        self,
        *,
        headers: Mapping[str, str],
        transport: TransportOptions,
        secrets: Iterable[str | None],
    ) -> None:
        self._headers = {"Content-Type": "application/json", **headers}
        self._secrets = [s for s in secrets if s]
        self._http = HTTPClient(transport)

    def safe(self, text: str) -> str:
        return redact(text, self._secrets)

    async def post(self, url: str, payload: Mapping[str, Any], *, timeout_s: float) -> bytes:
        """The body of a 2xx answer; ProviderError otherwise. The engine bounds each attempt
        by ``timeout_s``."""
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            response = await self._http.post(url, headers=self._headers, body=body)
        except TransportError as exc:
            raise ProviderError(
                self.safe(exc.message), retryable=exc.retryable, connect_failure=exc.connect
            ) from None
        return self._checked(response)

    def _checked(self, response: HTTPResponse) -> bytes:
        status = response.status
        if 200 <= status < 300:
            return response.body
        explained = self.safe(f"HTTP {status}: {error_message(response.body)}")
        if status in _RETRYABLE or status >= 500:
            retry_after = parse_retry_after(response.headers.get("retry-after"), now=time.time())
            raise ProviderError(explained, retryable=True, status=status, retry_after=retry_after)
        if status >= 400:
            raise ProviderError(explained, status=status)
        # Redirects are not followed: a base_url that redirects is misconfigured.
        where = response.headers.get("location", "")
        raise ProviderError(
            self.safe(f"HTTP {status}: unexpected answer {where}".rstrip()), status=status
        )

    async def aclose(self) -> None:
        await self._http.aclose()


def invalid_body(body: bytes, exc: Exception) -> ProviderError:
    preview = short(body.decode("utf-8", "replace"))[:200]
    return ProviderError(
        f"invalid JSON from the provider ({type(exc).__name__}: {exc}): {preview!r}",
        retryable=True,
    )


def optional_int(value: Any) -> int | None:
    """A token count from a provider's answer: a non-negative integer, or unknown. A server
    that reports ``-1000000`` must not turn into a negative cost that pays off real spend
    in the budget."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


class JSONProvider:
    """A provider that posts one JSON body per call: subclasses say where, what and how to
    read the answer."""

    def __init__(self, url: str, http: JSONClient, extra_params: Mapping[str, Any]):
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

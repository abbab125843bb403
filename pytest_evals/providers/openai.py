"""OpenAI-compatible chat completions (``POST {base_url}/chat/completions``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .base import ChatRequest, ChatResponse, ProviderError
from .http import PooledJSONClient, invalid_body, optional_int

_DEFAULT_MAX_CONNECTIONS = 100


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
        raise invalid_body(body, exc) from None
    usage = data.get("usage") if isinstance(data, Mapping) else None
    usage = usage if isinstance(usage, Mapping) else {}
    return ChatResponse(
        text=content,
        prompt_tokens=optional_int(usage.get("prompt_tokens")),
        completion_tokens=optional_int(usage.get("completion_tokens")),
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
        auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = PooledJSONClient(
            headers={**headers, **auth}, max_connections=max_connections, secrets=[api_key]
        )
        self._extra_params = dict(extra_params)

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

    async def complete(self, request: ChatRequest, *, timeout_s: float) -> ChatResponse:
        body = await self._http.post(self._url, self.payload(request), timeout_s=timeout_s)
        try:
            return parse_completion(body)
        except ProviderError as exc:
            raise ProviderError(self._http.safe(exc.message), retryable=True) from None

    async def aclose(self) -> None:
        await self._http.aclose()

"""OpenAI-compatible chat completions (``POST {base_url}/chat/completions``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .base import ChatRequest, ChatResponse
from .http import JSONClient, JSONProvider, invalid_body, optional_int
from .transport import TransportOptions


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


class OpenAIProvider(JSONProvider):
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        headers: Mapping[str, str],
        extra_params: Mapping[str, Any],
        transport: TransportOptions | None = None,
    ) -> None:
        auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        http = JSONClient(
            headers={**headers, **auth},
            transport=transport or TransportOptions(),
            secrets=[api_key],
        )
        super().__init__(base_url.rstrip("/") + "/chat/completions", http, extra_params)

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
        return self._with_params(body, request)

    def parse(self, body: bytes) -> ChatResponse:
        return parse_completion(body)

"""Anthropic's Messages API (``POST {base_url}/messages``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .base import ChatRequest, ChatResponse
from .http import JSONClient, JSONProvider, invalid_body, optional_int
from .transport import TransportOptions

API_VERSION = "2023-06-01"
# The Messages API requires max_tokens; a spec that sets none gets this.
DEFAULT_MAX_TOKENS = 1024


def parse_message(body: bytes) -> ChatResponse:
    """The text blocks and usage of a Messages API answer."""
    try:
        data = json.loads(body)
        blocks = data["content"]
        if not isinstance(blocks, list):
            raise TypeError("content is not a list")
        text = "".join(
            str(b.get("text", ""))
            for b in blocks
            if isinstance(b, Mapping) and b.get("type") == "text"
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise invalid_body(body, exc) from None
    usage = data.get("usage") if isinstance(data.get("usage"), Mapping) else {}
    return ChatResponse(
        text=text,
        prompt_tokens=optional_int(usage.get("input_tokens")),
        completion_tokens=optional_int(usage.get("output_tokens")),
        model=data.get("model") if isinstance(data.get("model"), str) else None,
    )


class AnthropicProvider(JSONProvider):
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        headers: Mapping[str, str],
        extra_params: Mapping[str, Any],
        transport: TransportOptions | None = None,
    ) -> None:
        auth = {"x-api-key": api_key} if api_key else {}
        http = JSONClient(
            headers={"anthropic-version": API_VERSION, **headers, **auth},
            transport=transport or TransportOptions(),
            secrets=[api_key],
        )
        super().__init__(base_url.rstrip("/") + "/messages", http, extra_params)

    def payload(self, request: ChatRequest) -> dict[str, Any]:
        # System messages travel apart from the conversation in this API.
        system = "\n\n".join(m["content"] for m in request.messages if m["role"] == "system")
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
            "messages": [
                {"role": m["role"], "content": m["content"]}
                for m in request.messages
                if m["role"] != "system"
            ],
        }
        if system:
            body["system"] = system
        if request.temperature is not None:
            body["temperature"] = min(request.temperature, 1.0)  # the API's range is 0-1
        return self._with_params(body, request)

    def parse(self, body: bytes) -> ChatResponse:
        return parse_message(body)

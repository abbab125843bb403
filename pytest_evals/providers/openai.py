"""OpenAI-compatible chat completions (``POST {base_url}/chat/completions``) and embeddings
(``POST {base_url}/embeddings``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..spec.connections import STRUCTURED_OUTPUT_FORMS, StructuredOutput
from .base import ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, ProviderError
from .http import JSONClient, JSONProvider, invalid_body, optional_int
from .transport import TransportOptions


def _refuses_the_form(exc: ProviderError) -> bool:
    """Whether an error reads like a server refusing the ``response_format`` it was sent:
    llama.cpp's servers answer 500 to OpenAI's form; others say which field they reject."""
    if exc.status in (500, 501):
        return True
    text = exc.message.lower()
    return exc.status in (400, 422) and any(
        word in text for word in ("response_format", "json_schema", "json_object", "schema")
    )


def response_format_for(
    schema: Mapping[str, Any], form: StructuredOutput, *, name: str = "verdict"
) -> dict[str, Any] | None:
    """The ``response_format`` asking for a JSON object matching ``schema``: OpenAI's
    structured outputs, the ``json_object`` form with the schema beside it (llama.cpp's
    servers answer 500 to the other), or none (the prompt alone asks)."""
    if form == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {"name": name, "strict": True, "schema": dict(schema)},
        }
    if form == "json_object":
        return {"type": "json_object", "schema": dict(schema)}
    return None


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
    usage, model = _usage_and_model(data)
    return ChatResponse(
        text=content,
        prompt_tokens=optional_int(usage.get("prompt_tokens")),
        completion_tokens=optional_int(usage.get("completion_tokens")),
        model=model,
    )


def _usage_and_model(data: Any) -> tuple[Mapping[str, Any], str | None]:
    """An answer's ``usage`` (empty when it has none) and the model it names."""
    if not isinstance(data, Mapping):
        return {}, None
    usage = data.get("usage")
    model = data.get("model")
    return (usage if isinstance(usage, Mapping) else {}), (
        model if isinstance(model, str) else None
    )


def parse_embeddings(body: bytes, count: int) -> EmbeddingResponse:
    """The vectors (in input order, by each item's ``index``) and usage of an embeddings
    body; ProviderError (retryable) when the body is not one for ``count`` inputs."""
    try:
        data = json.loads(body)
        items = sorted(data["data"], key=lambda d: int(d.get("index", 0)))
        vectors = tuple(tuple(float(x) for x in item["embedding"]) for item in items)
        if len(vectors) != count:
            raise ValueError(f"{len(vectors)} embeddings for {count} inputs")
        if any(len(v) != len(vectors[0]) or not v for v in vectors):
            raise ValueError("embeddings of different lengths")
    except json.JSONDecodeError as exc:
        raise invalid_body(body, exc) from None
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        preview = body.decode("utf-8", "replace")[:200]
        raise ProviderError(
            f"not an embeddings answer ({type(exc).__name__}: {exc}): {preview!r}",
            retryable=True,
        ) from None
    usage, model = _usage_and_model(data)
    return EmbeddingResponse(
        vectors=vectors, prompt_tokens=optional_int(usage.get("prompt_tokens")), model=model
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
        structured_output: StructuredOutput = "json_schema",
        connection_name: str = "",
    ) -> None:
        self._structured_output: StructuredOutput = structured_output
        self._connection_name = connection_name
        auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        http = JSONClient(
            headers={**headers, **auth},
            transport=transport or TransportOptions(),
            secrets=[api_key],
        )
        super().__init__(base_url.rstrip("/") + "/chat/completions", http, extra_params)
        self._embeddings_url = base_url.rstrip("/") + "/embeddings"

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
        if request.json_schema is not None:
            response_format = response_format_for(request.json_schema, self._structured_output)
            if response_format is not None:
                body["response_format"] = response_format
        return self._with_params(body, request)

    async def complete(self, request: ChatRequest, *, timeout_s: float) -> ChatResponse:
        try:
            return await super().complete(request, timeout_s=timeout_s)
        except ProviderError as exc:
            form = self._structured_output
            if request.json_schema is None or form == "none" or not _refuses_the_form(exc):
                raise
            others = " or ".join(f'"{f}"' for f in STRUCTURED_OUTPUT_FORMS if f != form)
            raise ProviderError(
                f"{exc.message} (the call asked for a JSON verdict in the form "
                f'structured_output = "{form}"; if the server does not take that form, set '
                f"structured_output = {others} on connection '{self._connection_name}')",
                retryable=exc.retryable,
                status=exc.status,
                retry_after=exc.retry_after,
            ) from None

    def parse(self, body: bytes) -> ChatResponse:
        return parse_completion(body)

    async def embed(self, request: EmbeddingRequest, *, timeout_s: float) -> EmbeddingResponse:
        # The connection's params are for chat (temperature and the like): an embeddings
        # endpoint gets only the model's own params (``dimensions``, say).
        payload = {
            "model": request.model,
            "input": list(request.inputs),
            "encoding_format": "float",
            **request.params,
        }
        body = await self._http.post(self._embeddings_url, payload, timeout_s=timeout_s)
        try:
            return parse_embeddings(body, len(request.inputs))
        except ProviderError as exc:
            raise ProviderError(self._http.safe(exc.message), retryable=True) from None

"""Named connections (SPEC §3): ``[tool.pytest-evals.connections.NAME]`` in pyproject.toml
plus the built-in ``openai`` and ``anthropic`` ones. No pytest import."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

StructuredOutput = Literal["json_schema", "json_object", "none"]
STRUCTURED_OUTPUT_FORMS: tuple[StructuredOutput, ...] = ("json_schema", "json_object", "none")


@dataclass(frozen=True)
class Prices:
    """USD per million tokens."""

    input_per_mtok: float
    output_per_mtok: float


@dataclass(frozen=True)
class Connection:
    name: str
    provider: str
    base_url: str
    api_key_env: str | None
    max_concurrency: int = 16
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    timeout_s: float = 60.0
    retries: int = 4
    prices: Mapping[str, Prices] = field(default_factory=dict)
    """Per model name; the key ``"*"`` applies to every model of the connection."""
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    cache_dir: Path | None = None
    """Where this connection's responses are cached, instead of the session's cache."""
    proxy: str | None = None
    """A proxy URL for its calls; None: the environment's (``HTTPS_PROXY``…); "": none."""
    ca_bundle: Path | None = None
    """A PEM file of CAs to trust besides the usual ones (a private CA)."""
    client_cert: Path | None = None
    client_key: Path | None = None
    http2: bool = False
    max_response_bytes: int = 32 * 1024 * 1024
    structured_output: StructuredOutput = "json_schema"
    """How a judge's call asks for a JSON verdict: OpenAI's ``response_format`` with a
    ``json_schema``; ``json_object`` with the schema beside it (llama.cpp's servers); or
    ``none``, the prompt alone."""
    env_headers: Mapping[str, str] = field(default_factory=dict)
    """Header name -> the environment variable its value is read from when the call is
    made (``headers = { OpenAI-Organization = { env = "OPENAI_ORG" } }``); such values are
    redacted like keys."""


def missing_key_message(connection: Connection) -> str:
    """Why a call of ``connection`` can't be made: its key's variable is unset."""
    return (
        f"connection '{connection.name}' needs an API key: set the environment variable "
        f"{connection.api_key_env}"
    )

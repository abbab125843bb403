"""Connections from pyproject tables and CONNECTION/MODEL references."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_evals.connections import Prices
from pytest_evals.connections_loader import load_connections, parse_model_ref
from pytest_evals.errors import EvalInputError
from pytest_evals.spec import ModelRef

TOML = """\
[project]
name = "x"

[tool.pytest-evals.connections.local]
provider = "openai"
base_url = "http://127.0.0.1:8080/v1/"
max_concurency = 4
"""


def test_builtins_need_no_configuration() -> None:
    connections = load_connections(None, source=None, environ={})
    assert connections["openai"].base_url == "https://api.openai.com/v1"
    assert connections["openai"].api_key_env == "OPENAI_API_KEY"
    assert connections["anthropic"].api_key_env == "ANTHROPIC_API_KEY"
    moved = load_connections(None, source=None, environ={"OPENAI_BASE_URL": "http://h:1/v1"})
    assert moved["openai"].base_url == "http://h:1/v1"


def test_a_configured_connection_with_every_key() -> None:
    table = {
        "local": {
            "provider": "openai",
            "base_url": "http://127.0.0.1:8080/v1/",
            "api_key_env": "LOCAL_KEY",
            "max_concurrency": 4,
            "requests_per_minute": 600,
            "tokens_per_minute": 100000,
            "timeout_s": 30,
            "retries": 2,
            "prices": {"input_per_mtok": 0.1, "output_per_mtok": 0.2},
            "headers": {"X-Team": "evals"},
            "params": {"top_p": 0.5},
        }
    }
    local = load_connections(table, source=None, environ={})["local"]
    assert local.base_url == "http://127.0.0.1:8080/v1"
    assert (local.max_concurrency, local.requests_per_minute, local.tokens_per_minute) == (
        4,
        600,
        100000,
    )
    assert (local.timeout_s, local.retries, local.api_key_env) == (30.0, 2, "LOCAL_KEY")
    assert local.prices == {"*": Prices(0.1, 0.2)}
    assert local.headers == {"X-Team": "evals"} and local.params == {"top_p": 0.5}


def test_overriding_the_builtin_openai_keeps_its_defaults() -> None:
    table = {"openai": {"prices": {"gpt-x": {"input_per_mtok": 1, "output_per_mtok": 2}}}}
    openai = load_connections(table, source=None, environ={})["openai"]
    assert openai.base_url == "https://api.openai.com/v1"
    assert openai.api_key_env == "OPENAI_API_KEY"
    assert openai.prices == {"gpt-x": Prices(1.0, 2.0)}


def test_unknown_key_names_the_pyproject_line(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(TOML)
    table = {"local": {"provider": "openai", "base_url": "http://x/v1", "max_concurency": 4}}
    with pytest.raises(EvalInputError) as caught:
        load_connections(table, source=path, environ={})
    error = caught.value
    assert error.line == 7
    assert error.key == "tool.pytest-evals.connections.local.max_concurency"
    assert "did you mean 'max_concurrency'" in error.message


@pytest.mark.parametrize(
    ("entry", "key", "message"),
    [
        ({"base_url": "http://x/v1", "api_key": "sk-abc"}, "api_key", "never live in files"),
        ({"base_url": "http://x/v1", "api_key_env": "sk-abc123"}, "api_key_env", "NAME"),
        ({"provider": "openai"}, None, "needs base_url"),
        ({"base_url": "ftp://x"}, "base_url", "http://"),
        ({"base_url": "http://x/v1", "provider": "opena"}, "provider", "did you mean 'openai'"),
        ({"base_url": "http://x/v1", "max_concurrency": 0}, "max_concurrency", "at least 1"),
        ({"base_url": "http://x/v1", "timeout_s": "slow"}, "timeout_s", "a number"),
        (
            {"base_url": "http://x/v1", "prices": {"input_per_mtok": 1}},
            "prices.output_per_mtok",
            "number >= 0",
        ),
    ],
)
def test_bad_connection_entries(entry: dict[str, object], key: str | None, message: str) -> None:
    with pytest.raises(EvalInputError) as caught:
        load_connections({"local": entry}, source=None, environ={})
    expected_key = "tool.pytest-evals.connections.local" + (f".{key}" if key else "")
    assert caught.value.key == expected_key
    assert message in caught.value.message
    assert "sk-abc" not in str(caught.value)


CONNECTIONS = load_connections({"local": {"base_url": "http://x/v1"}}, source=None, environ={})


def test_model_references() -> None:
    assert parse_model_ref("local/org/model-7b", connections=CONNECTIONS) == ModelRef(
        "local", "org/model-7b"
    )
    assert parse_model_ref(
        {"connection": "openai", "name": "gpt-4o-mini", "temperature": 0, "seed": 3},
        connections=CONNECTIONS,
    ) == ModelRef("openai", "gpt-4o-mini", 0.0, None, 3)


@pytest.mark.parametrize(
    ("value", "key", "message"),
    [
        ("gpt-4o", "models[1]", "CONNECTION/MODEL"),
        ("locl/m", "models[1]", "did you mean 'local'"),
        (
            {"connection": "local", "name": "m", "temperature": 2.5},
            "models[1].temperature",
            "between 0.0 and 2.0",
        ),
        ({"connection": "local", "name": "m", "max_tokens": 0}, "models[1].max_tokens", ">= 1"),
        ({"connection": "local", "name": "m", "seed": "x"}, "models[1].seed", "whole number"),
        ({"connection": "local", "nme": "m"}, "models[1].nme", "did you mean 'name'"),
        ({"connection": "local"}, "models[1].name", "needs 'name'"),
    ],
)
def test_bad_model_references(value: object, key: str, message: str) -> None:
    with pytest.raises(EvalInputError) as caught:
        parse_model_ref(value, connections=CONNECTIONS, key="models[1]")
    assert caught.value.key == key
    assert message in caught.value.message

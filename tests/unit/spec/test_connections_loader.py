"""pyproject connection tables into Connections, and model references into ModelRefs."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from pytest_evals.errors import EvalInputError
from pytest_evals.providers.registry import builtin_factories
from pytest_evals.spec.connections import Connection, Prices
from pytest_evals.spec.connections_loader import (
    builtin_connections,
    load_connections,
    parse_model_ref,
    read_connections_table,
)
from pytest_evals.spec.model import ModelRef

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PREFIX = "tool.pytest-evals.connections"
PROVIDERS = sorted(builtin_factories())


def _from_pyproject(
    tmp_path: Path, text: str, environ: Mapping[str, str] | None = None
) -> dict[str, Connection]:
    """Write a pyproject.toml and load its connections, as the plugin does."""
    path = tmp_path / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    table = tomllib.loads(text)["tool"]["pytest-evals"]["connections"]
    return load_connections(table, source=path, environ=environ or {}, providers=PROVIDERS)


def _pyproject_error(tmp_path: Path, text: str) -> EvalInputError:
    with pytest.raises(EvalInputError) as caught:
        _from_pyproject(tmp_path, text)
    assert caught.value.path == str(tmp_path / "pyproject.toml")
    return caught.value


def _table_error(table: Mapping[str, Any]) -> EvalInputError:
    with pytest.raises(EvalInputError) as caught:
        load_connections({"local": table}, source=None, environ={}, providers=PROVIDERS)
    return caught.value


# --- built-ins --------------------------------------------------------------------------


def test_builtins_without_configuration() -> None:
    for connections in (
        builtin_connections({}),
        load_connections(None, source=None, environ={}, providers=PROVIDERS),
        load_connections({}, source=None, environ={}, providers=PROVIDERS),
    ):
        assert connections == {
            "openai": Connection("openai", "openai", "https://api.openai.com/v1", "OPENAI_API_KEY"),
            "anthropic": Connection(
                "anthropic", "anthropic", "https://api.anthropic.com/v1", "ANTHROPIC_API_KEY"
            ),
        }


def test_openai_base_url_from_the_environment() -> None:
    openai = builtin_connections({"OPENAI_BASE_URL": "http://127.0.0.1:4000/v1/"})["openai"]
    # Stripped like a configured base_url, so one endpoint is spelled (and cached) one way.
    assert openai.base_url == "http://127.0.0.1:4000/v1"
    assert openai.api_key_env == "OPENAI_API_KEY"


def test_empty_openai_base_url_means_the_default() -> None:
    assert builtin_connections({"OPENAI_BASE_URL": ""})["openai"].base_url == (
        "https://api.openai.com/v1"
    )


def test_anthropic_base_url_from_the_environment() -> None:
    environ = {"ANTHROPIC_BASE_URL": "http://proxy/anthropic/v1"}
    assert builtin_connections(environ)["anthropic"].base_url == "http://proxy/anthropic/v1"


def test_builtins_are_fresh_values_each_time() -> None:
    first = load_connections(None, source=None, environ={}, providers=PROVIDERS)
    first["mine"] = first["openai"]
    assert "mine" not in load_connections(None, source=None, environ={}, providers=PROVIDERS)


# --- configured connections -----------------------------------------------------------


def test_a_connection_with_every_key(tmp_path: Path) -> None:
    connections = _from_pyproject(
        tmp_path,
        """\
[project]
name = "demo"

[tool.pytest-evals.connections.local]
provider = "openai"
base_url = "http://127.0.0.1:8080/v1/"
api_key_env = "LOCAL_API_KEY"
max_concurrency = 8
requests_per_minute = 600
tokens_per_minute = 90000
timeout_s = 30
retries = 2
prices = { input_per_mtok = 0.15, output_per_mtok = 0.60 }
headers = { X-Team = "evals" }
params = { top_p = 0.5, stop = ["END"] }
cache_dir = "recorded"
""",
    )
    assert connections["local"] == Connection(
        name="local",
        provider="openai",
        base_url="http://127.0.0.1:8080/v1",
        api_key_env="LOCAL_API_KEY",
        max_concurrency=8,
        requests_per_minute=600,
        tokens_per_minute=90000,
        timeout_s=30.0,
        retries=2,
        prices={"*": Prices(0.15, 0.60)},
        headers={"X-Team": "evals"},
        params={"top_p": 0.5, "stop": ["END"]},
        cache_dir=tmp_path / "recorded",
    )
    assert isinstance(connections["local"].timeout_s, float)
    assert set(connections) == {"openai", "anthropic", "local"}


def test_a_minimal_connection_takes_the_defaults() -> None:
    local = load_connections(
        {"local": {"base_url": "https://h/v1"}}, source=None, environ={}, providers=PROVIDERS
    )
    assert local["local"] == Connection("local", "openai", "https://h/v1", None)
    assert (local["local"].max_concurrency, local["local"].timeout_s) == (16, 60.0)
    assert local["local"].retries == 4 and local["local"].requests_per_minute is None


def test_an_absolute_cache_dir_is_kept(tmp_path: Path) -> None:
    table = {"local": {"base_url": "http://h/v1", "cache_dir": str(tmp_path / "abs")}}
    local = load_connections(
        table, source=tmp_path / "sub" / "pyproject.toml", environ={}, providers=PROVIDERS
    )
    assert local["local"].cache_dir == tmp_path / "abs"


def test_an_anthropic_compatible_connection() -> None:
    table = {"claude": {"provider": "anthropic", "base_url": "https://gw/v1", "api_key_env": "K"}}
    claude = load_connections(table, source=None, environ={}, providers=PROVIDERS)["claude"]
    assert (claude.provider, claude.base_url, claude.api_key_env) == (
        "anthropic",
        "https://gw/v1",
        "K",
    )


def test_overriding_the_builtin_openai_with_only_prices(tmp_path: Path) -> None:
    connections = _from_pyproject(
        tmp_path,
        "[tool.pytest-evals.connections.openai]\n"
        "prices = { input_per_mtok = 1, output_per_mtok = 4 }\n",
        environ={"OPENAI_BASE_URL": "http://proxy/v1"},
    )
    assert connections["openai"] == Connection(
        "openai", "openai", "http://proxy/v1", "OPENAI_API_KEY", prices={"*": Prices(1.0, 4.0)}
    )
    assert connections["anthropic"] == builtin_connections({})["anthropic"]


def test_overriding_a_builtin_keeps_its_provider_and_can_move_its_key() -> None:
    table = {"anthropic": {"api_key_env": "CLAUDE_KEY", "retries": 0}}
    anthropic = load_connections(table, source=None, environ={}, providers=PROVIDERS)["anthropic"]
    assert anthropic.provider == "anthropic"
    assert anthropic.base_url == "https://api.anthropic.com/v1"
    assert (anthropic.api_key_env, anthropic.retries) == ("CLAUDE_KEY", 0)


def test_prices_per_model(tmp_path: Path) -> None:
    connections = _from_pyproject(
        tmp_path,
        """\
[tool.pytest-evals.connections.router]
base_url = "https://router/v1"

[tool.pytest-evals.connections.router.prices]
"meta-llama/llama-3.1-8b" = { input_per_mtok = 0.05, output_per_mtok = 0.08 }
"gpt-4o-mini" = { input_per_mtok = 0.15, output_per_mtok = 0.6 }
""",
    )
    assert connections["router"].prices == {
        "meta-llama/llama-3.1-8b": Prices(0.05, 0.08),
        "gpt-4o-mini": Prices(0.15, 0.6),
    }


def test_free_models_cost_zero_not_unknown() -> None:
    table = {
        "local": {"base_url": "http://h/v1", "prices": {"input_per_mtok": 0, "output_per_mtok": 0}}
    }
    assert load_connections(table, source=None, environ={}, providers=PROVIDERS)[
        "local"
    ].prices == {"*": Prices(0, 0)}


# --- errors with the pyproject line --------------------------------------------------


def test_unknown_key_with_did_you_mean_and_line(tmp_path: Path) -> None:
    error = _pyproject_error(
        tmp_path,
        """\
[project]
name = "demo"

[tool.pytest-evals.connections.local]
base_url = "http://127.0.0.1:8080/v1"
max_concurency = 4
""",
    )
    assert str(error) == (
        f"{tmp_path / 'pyproject.toml'}:6: key '{PREFIX}.local.max_concurency': "
        "unknown key 'max_concurency'; did you mean 'max_concurrency'?"
    )


def test_unknown_key_without_a_close_match_has_no_hint() -> None:
    error = _table_error({"base_url": "http://h/v1", "colour": "blue"})
    assert error.message == "unknown key 'colour'"
    assert (error.key, error.line, error.path) == (f"{PREFIX}.local.colour", None, None)


def test_the_line_is_found_under_the_right_table(tmp_path: Path) -> None:
    error = _pyproject_error(
        tmp_path,
        """\
[tool.pytest-evals.connections.a]
base_url = "http://a/v1"
timeout_s = 5

[tool.pytest-evals.connections.b]
base_url = "http://b/v1"
timeout_s = -5
""",
    )
    assert (error.line, error.key) == (7, f"{PREFIX}.b.timeout_s")
    assert error.message == "must be at least 0.001, got -5"


def test_a_missing_base_url_points_at_the_table(tmp_path: Path) -> None:
    error = _pyproject_error(
        tmp_path, '[tool]\n\n[tool.pytest-evals.connections.local]\nprovider = "openai"\n'
    )
    assert (error.line, error.key) == (3, f"{PREFIX}.local")
    assert error.message == "needs base_url (the API root, e.g. http://127.0.0.1:8080/v1)"


def test_a_prices_error_points_at_the_prices_line(tmp_path: Path) -> None:
    error = _pyproject_error(
        tmp_path,
        '[tool.pytest-evals.connections.local]\nbase_url = "http://h/v1"\n'
        "prices = { input_per_mtok = -1, output_per_mtok = 1 }\n",
    )
    assert (error.line, error.key) == (3, f"{PREFIX}.local.prices.input_per_mtok")
    assert error.message == "must be at least 0, got -1"


def test_an_api_key_in_the_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    error = _pyproject_error(
        tmp_path,
        '[tool.pytest-evals.connections.local]\nbase_url = "http://h/v1"\n'
        'api_key = "sk-secret-123"\n',
    )
    assert (error.line, error.key) == (3, f"{PREFIX}.local.api_key")
    assert "API keys never live in files" in error.message and "api_key_env" in error.message
    assert "sk-secret-123" not in str(error)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("sk-abc123", "must be the NAME of an environment variable"),
        ("MY KEY", "must be the NAME of an environment variable"),
        ("1KEY", "must be the NAME of an environment variable"),
        ("", "must be a non-empty string, got ''"),
        (12, "must be a non-empty string, got 12"),
    ],
)
def test_bad_api_key_env(value: Any, message: str) -> None:
    error = _table_error({"base_url": "http://h/v1", "api_key_env": value})
    assert error.key == f"{PREFIX}.local.api_key_env"
    assert error.message.startswith(message)
    if isinstance(value, str) and value:
        assert value not in error.message  # it may be a key: never echo it


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ftp://h/v1", "must start with http:// or https://, got 'ftp://h/v1'"),
        ("127.0.0.1:8080/v1", "must start with http:// or https://, got '127.0.0.1:8080/v1'"),
        ("", "must be a non-empty string, got ''"),
        (8080, "must be a non-empty string, got 8080"),
    ],
)
def test_bad_base_url(value: Any, message: str) -> None:
    error = _table_error({"base_url": value})
    assert (error.key, error.message) == (f"{PREFIX}.local.base_url", message)


def test_unknown_provider_with_did_you_mean() -> None:
    error = _table_error({"base_url": "http://h/v1", "provider": "antropic"})
    assert error.key == f"{PREFIX}.local.provider"
    assert error.message == "unknown provider 'antropic'; did you mean 'anthropic'?"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("max_concurrency", 0, "must be at least 1, got 0"),
        ("max_concurrency", 2.5, "must be a whole number, got 2.5"),
        ("max_concurrency", True, "must be a whole number, got True"),
        ("max_concurrency", "4", "must be a whole number, got '4'"),
        ("requests_per_minute", 0, "must be at least 1, got 0"),
        ("tokens_per_minute", -10, "must be at least 1, got -10"),
        ("timeout_s", 0, "must be at least 0.001, got 0"),
        ("timeout_s", "60", "must be a number, got '60'"),
        ("timeout_s", float("nan"), "must be a number, got nan"),
        ("timeout_s", float("inf"), "must be a number, got inf"),
        ("retries", -1, "must be at least 0, got -1"),
        ("retries", 1.0, "must be a whole number, got 1.0"),
    ],
)
def test_bad_numbers(key: str, value: Any, message: str) -> None:
    error = _table_error({"base_url": "http://h/v1", key: value})
    assert (error.key, error.message) == (f"{PREFIX}.local.{key}", message)


def test_good_number_edges_are_accepted() -> None:
    table = {"base_url": "http://h/v1", "retries": 0, "timeout_s": 0.5, "max_concurrency": 1}
    local = load_connections({"local": table}, source=None, environ={}, providers=PROVIDERS)[
        "local"
    ]
    assert (local.retries, local.timeout_s, local.max_concurrency) == (0, 0.5, 1)


@pytest.mark.parametrize(
    ("prices", "key", "message"),
    [
        ({"input_per_mtok": 1}, "prices.output_per_mtok", "must be a number, got None"),
        ({"input_per_mtok": -0.1, "output_per_mtok": 1}, "prices.input_per_mtok", "got -0.1"),
        (
            {"input_per_mtok": float("inf"), "output_per_mtok": 1},
            "prices.input_per_mtok",
            "got inf",
        ),
        ({"input_per_mtok": "1", "output_per_mtok": 1}, "prices.input_per_mtok", "got '1'"),
        ({"input_per_mtok": True, "output_per_mtok": 1}, "prices.input_per_mtok", "got True"),
        (
            {"input_per_mtok": 1, "output_per_mtok": 1, "cached_per_mtok": 1},
            "prices.cached_per_mtok",
            "unknown key 'cached_per_mtok'",
        ),
        (
            {"input_per_mtk": 1, "output_per_mtok": 1},
            "prices.input_per_mtk",
            "unknown key 'input_per_mtk'; did you mean 'input_per_mtok'?",
        ),
        ({"gpt-4o": 0.15}, "prices.gpt-4o", "must be a table with input_per_mtok"),
        (
            {"gpt-4o": {"input_per_mtok": 1}},
            "prices.gpt-4o.output_per_mtok",
            "must be a number, got None",
        ),
        (0.15, "prices", "must be a table such as { input_per_mtok = 0.15, ... }"),
    ],
)
def test_bad_prices(prices: Any, key: str, message: str) -> None:
    error = _table_error({"base_url": "http://h/v1", "prices": prices})
    assert error.key == f"{PREFIX}.local.{key}"
    assert message in error.message


@pytest.mark.parametrize(
    ("table", "key", "message"),
    [
        (
            {"base_url": "http://h/v1", "headers": {"X-N": 1}},
            "headers.X-N",
            'must be text or { env = "VARIABLE_NAME" }',
        ),
        (
            {"base_url": "http://h/v1", "headers": "X-N: 1"},
            "headers",
            "must be a table of header names to values",
        ),
        (
            {"base_url": "http://h/v1", "headers": {"Authorization": "Bearer abc"}},
            "headers.Authorization",
            "credentials never live in files",
        ),
        (
            {"base_url": "http://h/v1", "headers": {"X-Org": "sk-proj-0123456789abcdef"}},
            "headers.X-Org",
            "credentials never live in files",
        ),
        (
            {"base_url": "http://h/v1", "headers": {"X-Org": {"env": "not a name"}}},
            "headers.X-Org",
            'must be text or { env = "VARIABLE_NAME" }',
        ),
        ({"base_url": "http://h/v1", "proxy": "ftp://p:1"}, "proxy", "must start with http://"),
        ({"base_url": "http://h/v1", "proxy": 3}, "proxy", "must be a proxy URL"),
        ({"base_url": "http://h/v1", "ca_bundle": "missing.pem"}, "ca_bundle", "no such file"),
        ({"base_url": "http://h/v1", "client_cert": "nope.pem"}, "client_cert", "no such file"),
        ({"base_url": "http://h/v1", "http2": "yes"}, "http2", "must be true or false"),
        (
            {"base_url": "http://h/v1", "max_response_bytes": 10},
            "max_response_bytes",
            "must be at least 1024",
        ),
        (
            {"base_url": "http://h/v1", "params": ["top_p"]},
            "params",
            "must be a table of request parameters",
        ),
        ({"base_url": "http://h/v1", "cache_dir": ""}, "cache_dir", "must be a non-empty string"),
    ],
)
def test_bad_tables(table: Mapping[str, Any], key: str, message: str) -> None:
    error = _table_error(table)
    assert error.key == f"{PREFIX}.local.{key}" and error.message.startswith(message)


def test_network_keys_of_a_connection(tmp_path: Path) -> None:
    from pytest_evals.spec.connections_loader import load_connections

    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    table = {
        "corp": {
            "base_url": "https://llm.corp/v1",
            "proxy": "",
            "ca_bundle": "ca.pem",
            "max_response_bytes": 4096,
            "headers": {"X-Team": "evals", "OpenAI-Organization": {"env": "ORG_ID"}},
        }
    }
    corp = load_connections(
        table, source=tmp_path / "pyproject.toml", environ={}, providers=["openai"]
    )["corp"]
    assert (corp.proxy, corp.ca_bundle, corp.max_response_bytes) == ("", bundle, 4096)
    assert corp.headers == {"X-Team": "evals"}
    assert corp.env_headers == {"OpenAI-Organization": "ORG_ID"}


def test_a_connection_that_is_not_a_table() -> None:
    with pytest.raises(EvalInputError) as caught:
        load_connections({"local": "http://h/v1"}, source=None, environ={}, providers=PROVIDERS)
    assert (caught.value.key, caught.value.message) == (f"{PREFIX}.local", "must be a table")


# --- parse_model_ref ------------------------------------------------------------------

CONNECTIONS = load_connections(
    {"local": {"base_url": "http://h/v1"}, "openrouter": {"base_url": "https://or/api/v1"}},
    source=None,
    environ={},
    providers=PROVIDERS,
)


def _model(value: Any, key: str = "model") -> ModelRef:
    return parse_model_ref(value, connections=CONNECTIONS, key=key)


def _model_error(value: Any, key: str = "model") -> EvalInputError:
    with pytest.raises(EvalInputError) as caught:
        _model(value, key)
    assert caught.value.path is None and caught.value.line is None
    return caught.value


@pytest.mark.parametrize(
    ("text", "connection", "name"),
    [
        ("openai/gpt-4o-mini", "openai", "gpt-4o-mini"),
        ("anthropic/claude-3-5-haiku-latest", "anthropic", "claude-3-5-haiku-latest"),
        (
            "openrouter/meta-llama/llama-3.1-8b-instruct",
            "openrouter",
            "meta-llama/llama-3.1-8b-instruct",
        ),
        ("local/qwen2.5:7b", "local", "qwen2.5:7b"),
        ("  local/m  ", "local", "m"),
        ("local / m", "local", "m"),
    ],
)
def test_shorthand(text: str, connection: str, name: str) -> None:
    model = _model(text)
    assert model == ModelRef(connection, name)
    assert model.label == f"{connection}/{name}"
    assert (model.temperature, model.max_tokens, model.seed, dict(model.params)) == (
        None,
        None,
        None,
        {},
    )


@pytest.mark.parametrize("text", ["gpt-4o", "openai/", "/gpt-4o", "openai/  ", ""])
def test_shorthand_needs_connection_and_model(text: str) -> None:
    error = _model_error(text, key="models[2]")
    assert error.key == "models[2]"
    assert error.message == (
        f"expected 'CONNECTION/MODEL' such as openai/gpt-4o-mini, got {text!r}"
    )


def test_mapping_with_every_key() -> None:
    model = _model(
        {
            "connection": "local",
            "name": "m",
            "temperature": 1,
            "max_tokens": 256,
            "seed": 7,
            "params": {"top_p": 0.9},
        }
    )
    assert model == ModelRef("local", "m", 1.0, 256, 7, {"top_p": 0.9})
    assert isinstance(model.temperature, float)
    assert dict(model.params) == {"top_p": 0.9}


@pytest.mark.parametrize("temperature", [0, 0.0, 0.7, 2, 2.0])
def test_temperature_range_is_inclusive(temperature: float) -> None:
    assert _model({"connection": "local", "name": "m", "temperature": temperature}).temperature == (
        float(temperature)
    )


@pytest.mark.parametrize("temperature", [2.01, -0.1, True, "0.5", float("nan"), [1]])
def test_temperature_outside_the_range(temperature: Any) -> None:
    error = _model_error(
        {"connection": "local", "name": "m", "temperature": temperature}, "models[1]"
    )
    assert error.key == "models[1].temperature"
    in_range = isinstance(temperature, float) and temperature == temperature  # not nan
    expected = "between 0 and 2" if in_range else "a number"
    assert error.message == f"temperature must be {expected}, got {temperature!r}"


@pytest.mark.parametrize("max_tokens", [0, -5, 1.5, True, "100"])
def test_bad_max_tokens(max_tokens: Any) -> None:
    error = _model_error({"connection": "local", "name": "m", "max_tokens": max_tokens})
    assert error.key == "model.max_tokens"
    expected = (
        "at least 1" if isinstance(max_tokens, int) and max_tokens is not True else "a whole number"
    )
    assert error.message == f"max_tokens must be {expected}, got {max_tokens!r}"


@pytest.mark.parametrize("seed", ["1", True, 1.5])
def test_bad_seed(seed: Any) -> None:
    error = _model_error({"connection": "local", "name": "m", "seed": seed})
    assert (error.key, error.message) == (
        "model.seed",
        f"seed must be a whole number, got {seed!r}",
    )


def test_seed_zero_and_max_tokens_one_are_kept() -> None:
    model = _model({"connection": "local", "name": "m", "seed": 0, "max_tokens": 1})
    assert (model.seed, model.max_tokens) == (0, 1)


def test_unknown_model_key_with_did_you_mean() -> None:
    error = _model_error({"connection": "local", "name": "m", "temprature": 0}, "models[1]")
    assert str(error) == (
        "key 'models[1].temprature': unknown key 'temprature'; did you mean 'temperature'?"
    )


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("opnai/gpt-4o", "models[0]"),
        ({"connection": "opnai", "name": "gpt-4o"}, "models[0].connection"),
    ],
)
def test_unknown_connection_with_did_you_mean(value: Any, key: str) -> None:
    error = _model_error(value, "models[0]")
    assert error.key == key
    assert error.message.startswith("unknown connection 'opnai'; did you mean 'openai'? ")
    assert "(known: anthropic, local, openai, openrouter;" in error.message
    assert "[tool.pytest-evals.connections.NAME] in pyproject.toml" in error.message


def test_unknown_connection_without_a_close_match() -> None:
    error = _model_error("zzz/m")
    assert error.message.startswith("unknown connection 'zzz' (known: ")


@pytest.mark.parametrize(
    ("value", "key", "message"),
    [
        ({"name": "m"}, "model.connection", "needs 'connection' (a connection name)"),
        ({"connection": "", "name": "m"}, "model.connection", "needs 'connection'"),
        ({"connection": "local"}, "model.name", "needs 'name' (the model name)"),
        ({"connection": "local", "name": "  "}, "model.name", "needs 'name'"),
        (
            {"connection": "local", "name": 4},
            "model.name",
            "'name' must be the model name as text, got the number 4: quote it, e.g. '4'",
        ),
        (
            {"connection": "local", "name": "m", "params": [1]},
            "model.params",
            "params must be a mapping",
        ),
        (3, "model", "expected 'CONNECTION/MODEL' or a mapping with connection and name, got 3"),
        (None, "model", "expected 'CONNECTION/MODEL' or a mapping"),
        (["local/m"], "model", "expected 'CONNECTION/MODEL' or a mapping"),
    ],
)
def test_bad_model_values(value: Any, key: str, message: str) -> None:
    error = _model_error(value)
    assert error.key == key and error.message.startswith(message)


def test_every_problem_of_a_model_mapping_is_one_error() -> None:
    error = _model_error(
        {"connection": "zzz", "name": 3, "temperature": "hot", "seeed": 1}, "scorers[0].model"
    )
    assert error.key == "scorers[0].model"
    assert error.message.startswith(
        "4 problems: (1) unknown key 'seeed'; did you mean 'seed'?; "
        "(2) unknown connection 'zzz' (known: "
    )
    assert "; (3) 'name' must be the model name as text, got the number 3: quote it" in (
        error.message
    )
    assert error.message.endswith("; (4) temperature must be a number, got 'hot'")


def test_null_params_mean_none() -> None:
    assert dict(_model({"connection": "local", "name": "m", "params": None}).params) == {}


def test_the_default_key_is_model() -> None:
    with pytest.raises(EvalInputError) as caught:
        parse_model_ref("nope", connections=CONNECTIONS)
    assert caught.value.key == "model"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:99999/v1", "is not a usable URL"),
        ("http://127.0.0.1:-1/v1", "is not a usable URL"),
        ("http:///v1", "names no host"),
    ],
)
def test_a_base_url_that_can_never_be_called_is_refused(url: str, message: str) -> None:
    with pytest.raises(EvalInputError) as caught:
        load_connections({"local": {"base_url": url}}, source=None, environ={}, providers=PROVIDERS)
    assert caught.value.key == f"{PREFIX}.local.base_url"
    assert caught.value.message.startswith(message)


def test_an_unknown_key_under_the_project_table_is_refused(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.pytest-evals.conections.local]\nbase_url = "http://h/v1"\n')
    with pytest.raises(EvalInputError) as caught:
        read_connections_table(pyproject)
    assert caught.value.key == "tool.pytest-evals.conections"
    assert "did you mean 'connections'?" in caught.value.message


def test_http2_without_the_extra_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "h2" else real(name, *a)
    )
    error = _table_error({"base_url": "https://h/v1", "http2": True})
    assert error.message == 'needs the h2 package: pip install "pytest-evals[http2]"'

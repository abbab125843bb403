"""Reading ``[tool.pytest-evals.connections.NAME]`` tables and ``CONNECTION/MODEL``
references into ``Connection`` and ``ModelRef`` values. Pure: the caller passes the
parsed TOML table and the environment. No pytest import."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import EvalInputError
from ..redact import looks_like_key
from ..values import not_text, number_problem
from .connections import STRUCTURED_OUTPUT_FORMS, Connection, Prices, StructuredOutput
from .files import file_problem
from .hints import did_you_mean
from .model import ModelRef

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_TABLE = "tool.pytest-evals.connections"
# The keys of [tool.pytest-evals] itself (SPEC §3); judge_model is read by the judges.
PROJECT_KEYS = ("connections", "judge_model")
_CONNECTION_KEYS = (
    "provider",
    "base_url",
    "api_key_env",
    "max_concurrency",
    "requests_per_minute",
    "tokens_per_minute",
    "timeout_s",
    "retries",
    "prices",
    "headers",
    "params",
    "cache_dir",
    "proxy",
    "ca_bundle",
    "client_cert",
    "client_key",
    "http2",
    "max_response_bytes",
    "structured_output",
)
# Headers that carry credentials: never written in a file.
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key"})
_PRICE_KEYS = ("input_per_mtok", "output_per_mtok")
_MODEL_KEYS = ("connection", "name", "temperature", "max_tokens", "seed", "params")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def read_connections_table(pyproject: Path | None) -> Mapping[str, Any] | None:
    """``[tool.pytest-evals.connections]`` of a pyproject.toml, if there is one."""
    table = read_project_table(pyproject)
    connections = table.get("connections")
    if connections is not None and not isinstance(connections, Mapping):
        raise EvalInputError(
            "must be a table of connections", path=pyproject, key="tool.pytest-evals.connections"
        )
    return connections


def read_project_table(pyproject: Path | None) -> Mapping[str, Any]:
    """``[tool.pytest-evals]`` of a pyproject.toml (empty without one), its keys checked."""
    if pyproject is None or not pyproject.is_file():
        return {}
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise EvalInputError(f"cannot read TOML: {exc}", path=pyproject) from None
    table = data.get("tool", {}).get("pytest-evals", {})
    if not isinstance(table, Mapping):
        raise EvalInputError("[tool.pytest-evals] must be a table", path=pyproject)
    for key in table:
        if key not in PROJECT_KEYS:
            raise EvalInputError(
                f"unknown key '{key}'{did_you_mean(str(key), PROJECT_KEYS)} "
                f"(known: {', '.join(PROJECT_KEYS)})",
                path=pyproject,
                key=f"tool.pytest-evals.{key}",
            )
    return table


def builtin_connections(environ: Mapping[str, str]) -> dict[str, Connection]:
    """``openai`` and ``anthropic``, usable without any configuration."""
    # Stripped of a trailing "/" like configured base URLs, so both spell one endpoint alike.
    openai_url = environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
    anthropic_url = environ.get("ANTHROPIC_BASE_URL") or "https://api.anthropic.com/v1"
    return {
        "openai": Connection(
            name="openai",
            provider="openai",
            base_url=openai_url.rstrip("/"),
            api_key_env="OPENAI_API_KEY",
        ),
        "anthropic": Connection(
            name="anthropic",
            provider="anthropic",
            base_url=anthropic_url.rstrip("/"),
            api_key_env="ANTHROPIC_API_KEY",
        ),
    }


class _Table:
    """One connection's table, with errors that name the pyproject key and line."""

    def __init__(
        self,
        name: str,
        data: Mapping[str, Any],
        source: Path | None,
        providers: Sequence[str],
    ):
        self.providers = tuple(providers)
        self.name = name
        self.data = data
        self.source = source

    def error(self, key: str | None, message: str) -> EvalInputError:
        full_key = f"{_TABLE}.{self.name}" + (f".{key}" if key else "")
        return EvalInputError(message, path=self.source, line=self._line(key), key=full_key)

    def _line(self, key: str | None) -> int | None:
        # tomllib gives no positions: find the table header, then the key below it. The file
        # is read again only here, when there is an error to place.
        try:
            text = self.source.read_text(encoding="utf-8") if self.source is not None else ""
        except OSError:
            text = ""
        lines = text.splitlines()
        header = re.compile(
            rf"^\s*\[\s*tool\.\"?pytest-evals\"?\.connections\.\"?{re.escape(self.name)}\"?\s*\]"
        )
        for number, line in enumerate(lines):
            if header.match(line):
                if key is None:
                    return number + 1
                # A nested key (``prices.input_per_mtok``) is shown at its table's line.
                first = key.split(".")[0]
                for offset, below in enumerate(lines[number + 1 :], start=number + 2):
                    if below.lstrip().startswith("["):
                        return number + 1
                    if re.match(rf"^\s*\"?{re.escape(first)}\"?\s*=", below):
                        return offset
                return number + 1
        return None

    def number(self, key: str, *, integer: bool, minimum: float) -> Any:
        value = self.data[key]
        problem = number_problem(value, whole=integer, minimum=minimum)
        if problem is not None:
            raise self.error(key, problem)
        return value

    def string(self, key: str) -> str:
        value = self.data[key]
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"must be a non-empty string, got {value!r}")
        return value

    def string_map(self, key: str) -> dict[str, str]:
        value = self.data[key]
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise self.error(key, "must be a table of strings")
        return dict(value)


def _prices(table: _Table) -> dict[str, Prices]:
    value = table.data["prices"]
    if not isinstance(value, Mapping):
        raise table.error("prices", "must be a table such as { input_per_mtok = 0.15, ... }")

    def one(entry: Any, where: str) -> Prices:
        if not isinstance(entry, Mapping):
            raise table.error(where, "must be a table with input_per_mtok and output_per_mtok")
        for key in entry:
            if key not in _PRICE_KEYS:
                hint = did_you_mean(str(key), _PRICE_KEYS)
                raise table.error(f"{where}.{key}", f"unknown key '{key}'{hint}")
        numbers: list[float] = []
        for key in _PRICE_KEYS:
            number = entry.get(key)
            problem = number_problem(number, minimum=0)
            if problem is not None:
                raise table.error(f"{where}.{key}", problem)
            numbers.append(float(entry[key]))
        return Prices(numbers[0], numbers[1])

    # Either one price for every model of the connection, or a table per model.
    if any(key in _PRICE_KEYS for key in value):
        return {"*": one(value, "prices")}
    return {str(model): one(entry, f"prices.{model}") for model, entry in value.items()}


def _connection(table: _Table, base: Connection | None) -> Connection:
    data = table.data
    for key in data:
        if key == "api_key":
            raise table.error(
                key,
                "API keys never live in files: set api_key_env to the NAME of an "
                "environment variable that holds the key",
            )
        if key not in _CONNECTION_KEYS:
            raise table.error(key, f"unknown key '{key}'{did_you_mean(str(key), _CONNECTION_KEYS)}")
    provider = table.string("provider") if "provider" in data else (base or _DEFAULT).provider
    if provider not in table.providers:
        hint = did_you_mean(provider, table.providers)
        raise table.error("provider", f"unknown provider '{provider}'{hint}")
    if "base_url" in data:
        base_url = table.string("base_url").rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise table.error("base_url", f"must start with http:// or https://, got {base_url!r}")
        problem = _url_problem(base_url)
        if problem is not None:
            raise table.error("base_url", f"{problem}, got {base_url!r}")
    elif base is not None:
        base_url = base.base_url
    else:
        raise table.error(None, "needs base_url (the API root, e.g. http://127.0.0.1:8080/v1)")
    api_key_env = base.api_key_env if base is not None else None
    if "api_key_env" in data:
        api_key_env = table.string("api_key_env")
        if not _ENV_NAME.match(api_key_env):
            raise table.error(
                "api_key_env",
                "must be the NAME of an environment variable (letters, digits, _), "
                "not the key itself",
            )
    defaults = base or _DEFAULT
    return Connection(
        name=table.name,
        provider=provider,
        base_url=base_url,
        api_key_env=api_key_env,
        max_concurrency=(
            table.number("max_concurrency", integer=True, minimum=1)
            if "max_concurrency" in data
            else defaults.max_concurrency
        ),
        requests_per_minute=(
            table.number("requests_per_minute", integer=True, minimum=1)
            if "requests_per_minute" in data
            else None
        ),
        tokens_per_minute=(
            table.number("tokens_per_minute", integer=True, minimum=1)
            if "tokens_per_minute" in data
            else None
        ),
        timeout_s=(
            float(table.number("timeout_s", integer=False, minimum=0.001))
            if "timeout_s" in data
            else defaults.timeout_s
        ),
        retries=(
            table.number("retries", integer=True, minimum=0)
            if "retries" in data
            else defaults.retries
        ),
        prices=_prices(table) if "prices" in data else {},
        headers=_headers(table)[0] if "headers" in data else {},
        env_headers=_headers(table)[1] if "headers" in data else {},
        proxy=_proxy(table) if "proxy" in data else None,
        ca_bundle=_file(table, "ca_bundle") if "ca_bundle" in data else None,
        client_cert=_file(table, "client_cert") if "client_cert" in data else None,
        client_key=_file(table, "client_key") if "client_key" in data else None,
        http2=_http2(table) if "http2" in data else False,
        max_response_bytes=(
            table.number("max_response_bytes", integer=True, minimum=1024)
            if "max_response_bytes" in data
            else defaults.max_response_bytes
        ),
        structured_output=(
            _structured_output(table) if "structured_output" in data else defaults.structured_output
        ),
        params=dict(data["params"]) if isinstance(data.get("params"), Mapping) else {},
        cache_dir=_cache_dir(table) if "cache_dir" in data else None,
    )


def _headers(table: _Table) -> tuple[dict[str, str], dict[str, str]]:
    """Literal headers, and those read from environment variables (``{ env = "NAME" }``).
    A credential is never a literal: it would sit in the repository."""
    value = table.data["headers"]
    if not isinstance(value, Mapping):
        raise table.error("headers", "must be a table of header names to values")
    literal: dict[str, str] = {}
    from_env: dict[str, str] = {}
    for name, entry in value.items():
        where = f"headers.{name}"
        if isinstance(entry, Mapping):
            env = entry.get("env")
            if set(entry) != {"env"} or not isinstance(env, str) or not _ENV_NAME.match(env):
                raise table.error(where, 'must be text or { env = "VARIABLE_NAME" }')
            from_env[str(name)] = env
        elif isinstance(entry, str):
            if str(name).lower() in _CREDENTIAL_HEADERS or looks_like_key(entry):
                raise table.error(
                    where,
                    "credentials never live in files: give the key's variable as api_key_env, "
                    'or read the header from one: { env = "VARIABLE_NAME" }',
                )
            literal[str(name)] = entry
        else:
            raise table.error(where, 'must be text or { env = "VARIABLE_NAME" }')
    return literal, from_env


def _proxy(table: _Table) -> str:
    value = table.data["proxy"]
    if not isinstance(value, str):
        raise table.error("proxy", 'must be a proxy URL, or "" for none')
    if value == "":
        return value
    if not value.startswith(("http://", "https://", "socks5://", "socks5h://")):
        raise table.error("proxy", f"must start with http://, https:// or socks5://, got {value!r}")
    problem = _url_problem(value)
    if problem is not None:
        raise table.error("proxy", f"{problem} (the URL given there)")
    return value


def _file(table: _Table, key: str) -> Path:
    # Relative to the pyproject.toml, like cache_dir: the file ships with the repository.
    path = Path(table.string(key))
    base = table.source.parent if table.source is not None else Path.cwd()
    path = path if path.is_absolute() else base / path
    problem = file_problem(path)
    if problem is not None:
        raise table.error(key, problem)
    return path


def _http2(table: _Table) -> bool:
    value = table.data["http2"]
    if not isinstance(value, bool):
        raise table.error("http2", f"must be true or false, got {value!r}")
    if value and importlib.util.find_spec("h2") is None:
        raise table.error("http2", 'needs the h2 package: pip install "pytest-evals[http2]"')
    return value


def _structured_output(table: _Table) -> StructuredOutput:
    value = table.data["structured_output"]
    for form in STRUCTURED_OUTPUT_FORMS:
        if value == form:
            return form
    hint = did_you_mean(str(value), STRUCTURED_OUTPUT_FORMS)
    raise table.error(
        "structured_output",
        f"must be one of {', '.join(STRUCTURED_OUTPUT_FORMS)}, got {value!r}{hint}",
    )


def _url_problem(url: str) -> str | None:
    """What makes ``url`` unusable before any call: no host, or a port out of range (each
    datapoint would otherwise retry a call that can never be made)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it checks the range
    except ValueError as exc:
        return f"is not a usable URL ({exc})"
    if not parts.hostname:
        return "names no host"
    return None


def _cache_dir(table: _Table) -> Path:
    # Relative to the pyproject.toml, so recorded responses can ship with a repository.
    folder = Path(table.string("cache_dir"))
    base = table.source.parent if table.source is not None else Path.cwd()
    return folder if folder.is_absolute() else base / folder


_DEFAULT = Connection(name="", provider="openai", base_url="", api_key_env=None)


def load_connections(
    table: Mapping[str, Any] | None,
    *,
    source: Path | None,
    environ: Mapping[str, str],
    providers: Sequence[str],
) -> dict[str, Connection]:
    """The built-in connections, overridden and extended by the pyproject table.
    ``providers`` are the provider kinds a connection may name (the provider registry's)."""
    connections = builtin_connections(environ)
    if not table:
        return connections
    for name, data in table.items():
        entry = _Table(str(name), data if isinstance(data, Mapping) else {}, source, providers)
        if not isinstance(data, Mapping):
            raise entry.error(None, "must be a table")
        if "params" in data and not isinstance(data["params"], Mapping):
            raise entry.error("params", "must be a table of request parameters")
        connections[str(name)] = _connection(entry, connections.get(str(name)))
    return connections


def _unknown_connection_message(name: str, connections: Collection[str]) -> str:
    hint = did_you_mean(name, connections)
    return (
        f"unknown connection '{name}'{hint} (known: {', '.join(sorted(connections))}; "
        f"define others under [{_TABLE}.NAME] in pyproject.toml)"
    )


def parse_model_ref(value: Any, *, connections: Collection[str], key: str = "model") -> ModelRef:
    """``"CONNECTION/MODEL"`` or ``{connection, name, temperature, max_tokens, seed,
    params}``; EvalInputError naming ``key`` (e.g. ``models[1].temperature``) otherwise.
    ``connections`` are the connections by name (only their names are read)."""
    if isinstance(value, str):
        connection, _, name = value.strip().partition("/")
        connection, name = connection.strip(), name.strip()
        if not connection or not name:
            raise EvalInputError(
                f"expected 'CONNECTION/MODEL' such as openai/gpt-4o-mini, got {value!r}", key=key
            )
        if connection not in connections:
            raise EvalInputError(_unknown_connection_message(connection, connections), key=key)
        return ModelRef(connection, name)
    if not isinstance(value, Mapping):
        raise EvalInputError(
            f"expected 'CONNECTION/MODEL' or a mapping with connection and name, got {value!r}",
            key=key,
        )
    problems = _model_mapping_problems(value, connections)
    if len(problems) == 1:
        [(field, message)] = problems
        raise EvalInputError(message, key=f"{key}.{field}")
    if problems:
        # Every problem of the mapping at once: fixing one to be shown the next is a loop.
        listed = "; ".join(f"({n}) {message}" for n, (_, message) in enumerate(problems, 1))
        raise EvalInputError(f"{len(problems)} problems: {listed}", key=key)
    temperature, max_tokens = value.get("temperature"), value.get("max_tokens")
    return ModelRef(
        value["connection"],
        value["name"],
        None if temperature is None else float(temperature),
        max_tokens,
        value.get("seed"),
        dict(value.get("params") or {}),
    )


def _model_mapping_problems(
    value: Mapping[Any, Any], connections: Collection[str]
) -> list[tuple[str, str]]:
    """What is wrong with a model mapping, each as (its key, a message naming it), in the
    order the keys are documented; empty when it is a model."""
    problems: list[tuple[str, str]] = []
    for field in value:
        if field not in _MODEL_KEYS:
            hint = did_you_mean(str(field), _MODEL_KEYS)
            problems.append((str(field), f"unknown key '{field}'{hint}"))
    connection, name = value.get("connection"), value.get("name")
    if connection is None or connection == "":
        problems.append(("connection", "needs 'connection' (a connection name)"))
    elif not isinstance(connection, str):
        problems.append(
            ("connection", f"'connection' must be a connection name, got {not_text(connection)}")
        )
    elif connection not in connections:
        problems.append(("connection", _unknown_connection_message(connection, connections)))
    if name is None or (isinstance(name, str) and not name.strip()):
        problems.append(("name", "needs 'name' (the model name)"))
    elif not isinstance(name, str):
        problems.append(
            ("name", f"'name' must be the model name as text, got {not_text(name, quote=True)}")
        )
    for field, bounds in (
        ("temperature", {"minimum": 0.0, "maximum": 2.0}),
        ("max_tokens", {"whole": True, "minimum": 1}),
        ("seed", {"whole": True}),
    ):
        number = value.get(field)
        problem = None if number is None else number_problem(number, **bounds)
        if problem is not None:
            problems.append((field, f"{field} {problem}"))
    params = value.get("params")
    if params is not None and not isinstance(params, Mapping):
        problems.append(("params", "params must be a mapping of request parameters"))
    return problems

"""What one pytest process builds once and hands out: the provider registry, the connections,
the response caches and the call engine. Each is made on first use, so a session that makes
no model call never loads the HTTP code nor starts the engine's thread."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..calls.cache import CacheMode, ResponseCache, warn_cache
from ..calls.limits import SessionShared
from ..errors import EvalInputError
from ..providers.registry import ProviderRegistry
from ..spec.connections import Connection
from ..spec.connections_loader import (
    builtin_connections,
    load_connections,
    parse_model_ref,
    read_connections_table,
    read_project_table,
)
from ..spec.model import ModelRef
from .options import EvalsSettings
from .prefetch import window_for

if TYPE_CHECKING:
    from ..calls.engine import CallEngine


_SHORTEST_SECRET = 8
_JUDGE_MODEL_KEY = "tool.pytest-evals.judge_model"


def check_model_names(settings: EvalsSettings, pyproject: Path | None) -> None:
    """``--evals-model``, ``--evals-judge-model`` and ``judge_model`` name a model of a known
    connection: checked as the session starts, whenever one is given, not only once a spec
    uses it (a misspelt judge would otherwise pass unseen until a judge names no model).
    EvalInputError saying where the bad one was written.

    Only the connections' names are read here: their tables are checked at collection, when
    every conftest has registered its providers; a pyproject that can't be read is left to
    that check too."""
    try:
        project = read_project_table(pyproject)
    except EvalInputError:
        return
    table = project.get("connections")
    names = {*builtin_connections({}), *(table if isinstance(table, Mapping) else {})}
    for flag, value in (
        ("--evals-model", settings.model_override),
        ("--evals-judge-model", settings.judge_model),
    ):
        if value is not None:
            try:
                parse_model_ref(value, connections=names, key=flag)
            except EvalInputError as exc:
                raise EvalInputError(f"{flag} {value}: {exc.message}") from None
    written = project.get("judge_model")
    if written is not None:
        try:
            parse_model_ref(written, connections=names, key=_JUDGE_MODEL_KEY)
        except EvalInputError as exc:
            raise exc.located(path=pyproject) from None


class Services:
    def __init__(
        self,
        settings: EvalsSettings,
        *,
        pyproject: Path | None,
        shared_dir: Path | None,
        default_cache_dir: Callable[[], Path] | None,
        register_providers: Callable[[ProviderRegistry], None],
    ) -> None:
        """``default_cache_dir`` is the session's cache folder when neither the flag, the
        ini key nor the connection names one, called only when a response is cached;
        ``shared_dir`` the folder every process of the session shares (rate limits,
        spend); ``register_providers`` runs the ``pytest_evals_register_providers`` hook."""
        self.settings = settings
        self._pyproject = pyproject
        self._shared_dir = shared_dir
        self._default_cache_dir = default_cache_dir
        self._register_providers = register_providers
        self._providers: ProviderRegistry | None = None
        self._connections: dict[str, Connection] | None = None
        self._engine: CallEngine | None = None
        self._stores: dict[str, ResponseCache | None] = {}
        self._secrets: tuple[str, ...] | None = None
        self._judge: tuple[ModelRef | None] | None = None
        """The default judge once read (a tuple: None is a valid answer)."""

    def providers(self) -> ProviderRegistry:
        if self._providers is None:
            self._providers = ProviderRegistry()
            self._register_providers(self._providers)
        return self._providers

    def connections(self) -> dict[str, Connection]:
        """Built-in and configured connections; EvalInputError when the config is bad."""
        if self._connections is None:
            self._connections = load_connections(
                read_connections_table(self._pyproject),
                source=self._pyproject,
                environ=os.environ,
                providers=sorted(self.providers().factories()),
            )
        return self._connections

    def default_judge(self) -> ModelRef | None:
        """The judge of judge scorers that name none: ``--evals-judge-model``, else
        ``judge_model`` in ``[tool.pytest-evals]``; EvalInputError naming where it was
        written when it names no usable model. Read once: every spec file asks."""
        if self._judge is None:
            self._judge = (self._read_default_judge(),)
        return self._judge[0]

    def _read_default_judge(self) -> ModelRef | None:
        flag = self.settings.judge_model
        if flag is not None:
            try:
                return parse_model_ref(
                    flag, connections=self.connections(), key="--evals-judge-model"
                )
            except EvalInputError as exc:
                raise exc.located(key="--evals-judge-model") from None
        written = read_project_table(self._pyproject).get("judge_model")
        if written is None:
            return None
        try:
            return parse_model_ref(written, connections=self.connections(), key=_JUDGE_MODEL_KEY)
        except EvalInputError as exc:
            raise exc.located(path=self._pyproject, key=_JUDGE_MODEL_KEY) from None

    def secrets(self) -> tuple[str, ...]:
        """The values of every connection's API key variable: kept out of every record. A
        value under 8 characters is no key worth hiding, and would blank ordinary text."""
        if self._secrets is None:
            try:
                names = {
                    name
                    for c in self.connections().values()
                    for name in (c.api_key_env, *c.env_headers.values())
                    if name
                }
            except EvalInputError:
                names = set()
            values = {os.environ.get(name, "") for name in names}
            self._secrets = tuple(sorted(v for v in values if len(v) >= _SHORTEST_SECRET))
        return self._secrets

    def budget_stopped(self) -> bool:
        """Whether ``--evals-max-cost`` was reached: no call starts now."""
        return self._engine is not None and self._engine.stop_reason is not None

    def engine(self) -> CallEngine:
        if self._engine is None:
            # Imported on first use: grade-only sessions never load the HTTP code.
            from ..calls.engine import CacheSettings, CallEngine

            settings = self.settings
            mode: CacheMode = settings.cache_mode
            self._engine = CallEngine(
                self.connections(),
                environ=os.environ,
                timeout_override=settings.timeout_s,
                retries_override=settings.retries,
                concurrency_cap=settings.concurrency,
                cache=None if mode == "off" else CacheSettings(mode, self._store_for),
                shared=SessionShared(self._shared_dir) if self._shared_dir is not None else None,
                max_cost_usd=settings.max_cost_usd,
                provider_factories=self.providers().factories(),
            )
        return self._engine

    def _store_for(self, connection: Connection) -> ResponseCache | None:
        """The connection's cache, resolved once: this runs twice on every call."""
        if connection.name in self._stores:
            return self._stores[connection.name]
        folder = connection.cache_dir or self.settings.cache_dir
        if folder is None and self._default_cache_dir is not None:
            folder = self._default_cache_dir()
        store = None if folder is None else self._store_at(folder)
        self._stores[connection.name] = store
        return store

    def _store_at(self, folder: Path) -> ResponseCache:
        # Connections sharing a folder share one store, and so one warning when it breaks.
        for store in self._stores.values():
            if store is not None and store.root == folder:
                return store
        return ResponseCache(folder, warn=warn_cache)

    def largest_window(self) -> int:
        """The prefetch window of a worker, judged on the controller, which collects no
        items: the largest any configured connection allows."""
        try:
            limits = {c.max_concurrency for c in self.connections().values()}
        except EvalInputError:
            limits = set()
        return window_for(limits, self.settings.concurrency)

    def cancel_calls(self) -> None:
        if self._engine is not None:
            self._engine.cancel_all()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

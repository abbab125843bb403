"""Per-process plugin state, kept in ``config.stash``: settings, connections, the call
engine (created on first use) and the run sizes counted at the end of collection."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .cache import ResponseCache
from .connections import Connection
from .connections_loader import load_connections
from .errors import EvalInputError
from .options import EvalsSettings
from .providers.registry import ProviderRegistry
from .shared import SessionShared


class EvalsCacheWarning(UserWarning):
    """The response cache could not be read or written; the run goes on without it."""


def _warn_cache(message: str) -> None:
    # Located at the cache, not at our code: the user's fix is there.
    warnings.warn_explicit(message, EvalsCacheWarning, filename="pytest-evals cache", lineno=0)


if TYPE_CHECKING:
    from .engine import CallEngine

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def read_connections_table(pyproject: Path | None) -> Mapping[str, Any] | None:
    """``[tool.pytest-evals.connections]`` of a pyproject.toml, if there is one."""
    if pyproject is None or not pyproject.is_file():
        return None
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise EvalInputError(f"cannot read TOML: {exc}", path=pyproject) from None
    table = data.get("tool", {}).get("pytest-evals", {})
    if not isinstance(table, Mapping):
        raise EvalInputError("[tool.pytest-evals] must be a table", path=pyproject)
    connections = table.get("connections")
    if connections is not None and not isinstance(connections, Mapping):
        raise EvalInputError(
            "must be a table of connections", path=pyproject, key="tool.pytest-evals.connections"
        )
    return connections


@dataclass
class EvalsState:
    """Per-process plugin state, kept in ``config.stash[STATE_KEY]``."""

    settings: EvalsSettings
    pyproject: Path | None
    explicit_files: frozenset[Path] = frozenset()
    run_totals: dict[str, int] = field(default_factory=dict)
    reported_missing_keys: set[str] = field(default_factory=set)
    described_runs: set[str] = field(default_factory=set)
    """Runs whose description this process has sent with a record."""
    default_cache_dir: Callable[[], Path] | None = None
    """The session's cache folder when neither the flag, the ini key nor the connection
    names one (pytest's cache dir); called only when a response is cached."""
    shared_dir: Path | None = None
    """The session folder every process of the session shares (rate limits, spend)."""
    prefetch_window: int = 32
    register_providers: Callable[[ProviderRegistry], None] | None = None
    """Runs the ``pytest_evals_register_providers`` hook."""
    _connections: dict[str, Connection] | None = None
    _engine: CallEngine | None = None
    _stores: dict[str, ResponseCache | None] = field(default_factory=dict)
    _providers: ProviderRegistry | None = None

    def providers(self) -> ProviderRegistry:
        if self._providers is None:
            self._providers = ProviderRegistry()
            if self.register_providers is not None:
                self.register_providers(self._providers)
        return self._providers

    def connections(self) -> dict[str, Connection]:
        """Built-in and configured connections; EvalInputError when the config is bad."""
        if self._connections is None:
            self._connections = load_connections(
                read_connections_table(self.pyproject),
                source=self.pyproject,
                environ=os.environ,
                providers=sorted(self.providers().factories()),
            )
        return self._connections

    def engine(self) -> CallEngine:
        if self._engine is None:
            # Imported on first use: grade-only sessions never load the HTTP code.
            from .engine import CacheSettings, CallEngine

            settings = self.settings
            self._engine = CallEngine(
                self.connections(),
                environ=os.environ,
                timeout_override=settings.timeout_s,
                retries_override=settings.retries,
                concurrency_cap=settings.concurrency,
                cache=(
                    None
                    if settings.cache_mode == "off"
                    else CacheSettings(settings.cache_mode, self._store_for)
                ),
                shared=SessionShared(self.shared_dir) if self.shared_dir is not None else None,
                max_cost_usd=settings.max_cost_usd,
                provider_factories=self.providers().factories(),
            )
        return self._engine

    def _store_for(self, connection: Connection) -> ResponseCache | None:
        """The connection's cache, resolved once: this runs twice on every call."""
        if connection.name in self._stores:
            return self._stores[connection.name]
        folder = connection.cache_dir or self.settings.cache_dir
        if folder is None and self.default_cache_dir is not None:
            folder = self.default_cache_dir()
        store = None if folder is None else self._store_at(folder)
        self._stores[connection.name] = store
        return store

    def _store_at(self, folder: Path) -> ResponseCache:
        # Connections sharing a folder share one store, and so one warning when it breaks.
        for store in self._stores.values():
            if store is not None and store.root == folder:
                return store
        return ResponseCache(folder, warn=_warn_cache)

    def window_for(self, limits: set[int]) -> int:
        """How many items to start ahead: twice the calls that can be in flight keeps the
        engine busy while pytest reports."""
        in_flight = max(limits, default=16)
        if self.settings.concurrency is not None:
            in_flight = min(in_flight, self.settings.concurrency)
        return 2 * in_flight

    def largest_window(self) -> int:
        """The window of a worker, judged on the controller, which collects no items: the
        largest any configured connection allows."""
        try:
            limits = {c.max_concurrency for c in self.connections().values()}
        except EvalInputError:
            limits = set()
        return self.window_for(limits)

    def cancel_calls(self) -> None:
        if self._engine is not None:
            self._engine.cancel_all()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None


STATE_KEY = pytest.StashKey[EvalsState]()

"""One process's bookkeeping of the session, kept in ``config.stash[STATE_KEY]``: the
settings, the services it draws on, and what it has counted and sent so far."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .options import EvalsSettings
from .prefetch import DEFAULT_IN_FLIGHT
from .services import Services


@dataclass
class EvalsState:
    settings: EvalsSettings
    services: Services
    explicit_files: frozenset[Path] = frozenset()
    """Spec files named on the command line: collected even outside ``--evals`` paths."""
    shared_dir: Path | None = None
    """The folder every process of the session shares."""
    collected_evals: dict[str, pytest.Item] = field(default_factory=dict)
    """Under --lf/--sw: each run's first item as collected, before any deselection."""
    run_totals: dict[str, int] = field(default_factory=dict)
    """Items per run after deselection, counted when collection finishes."""
    prefetch_window: int = 2 * DEFAULT_IN_FLIGHT
    reported_missing_keys: set[str] = field(default_factory=set)
    """Connections whose missing API key was already explained in full."""
    described_runs: set[str] = field(default_factory=set)
    """Runs whose description this process has sent with a record."""
    ahead_of: Callable[[object], Sequence[object]] = lambda item: ()
    """The items this process runs after one that its prefetch window may have started
    (``Prefetcher.ahead``): a budget stop waits for those whose calls were answered."""


STATE_KEY = pytest.StashKey[EvalsState]()

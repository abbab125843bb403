"""Hooks other plugins and conftest files implement to extend pytest-evals."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..providers import ProviderRegistry
    from ..scorers.base import ScorerRegistry


def pytest_evals_register_scorers(registry: ScorerRegistry) -> None:
    """Register custom scorer types with ``registry.register(name, factory, ...)``.

    A factory is called with the spec entry's options as keyword arguments and returns a
    function taking a ``ScoringContext`` and returning a bool, a score in [0, 1] or a
    mapping ``{score, passed, reason}``. Called for each spec file with the conftest files
    that apply to it, so a conftest's scorers serve the specs in its folder and below.
    """


def pytest_evals_register_providers(registry: ProviderRegistry) -> None:
    """Add provider kinds with ``registry.register(kind, factory)``.

    ``factory(connection, api_key)`` returns an object with ``async complete(request, *,
    timeout_s) -> ChatResponse`` (raising ``ProviderError``, ``retryable=True`` for failures
    worth retrying) and ``async aclose()``. Connections then name the kind in ``provider``.
    Called once per process, before the first connection is read.
    """

"""Hooks other plugins and conftest files implement to extend pytest-evals."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .scorers.base import ScorerRegistry


def pytest_evals_register_scorers(registry: ScorerRegistry) -> None:
    """Register custom scorer types with ``registry.register(name, factory, ...)``.

    A factory is called with the spec entry's options as keyword arguments and returns a
    function taking a ``ScoringContext`` and returning a bool, a score in [0, 1] or a
    mapping ``{score, passed, reason}``. Called for each spec file with the conftest files
    that apply to it, so a conftest's scorers serve the specs in its folder and below.
    """

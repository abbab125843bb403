"""Registers a custom scorer type for the examples through pytest-evals' hook."""

from __future__ import annotations

from typing import Any

from pytest_evals.scorers import ScoringContext, Verdict


def word_limit(limit_field: str = "max_words") -> Any:
    """Factory: options from the spec entry arrive as keyword arguments."""

    def score(context: ScoringContext) -> Verdict:
        limit = int(context.item[limit_field])
        words = len(context.output.split())
        return Verdict(1.0 if words <= limit else 0.0, reason=f"{words} words, limit {limit}")

    return score


def pytest_evals_register_scorers(registry: Any) -> None:
    registry.register("word_limit", word_limit)

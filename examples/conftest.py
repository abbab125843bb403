"""Registers a custom scorer type for the examples through pytest-evals' hook."""

from __future__ import annotations

from typing import Any

from pytest_evals.scorers import ScorerConfigError, ScorerRegistry, ScoringContext, Verdict


def word_limit(*, max_words: Any = None) -> Any:
    """Factory: the spec entry's options arrive as keyword arguments, checked at collection."""
    if isinstance(max_words, bool) or not isinstance(max_words, int) or max_words < 1:
        raise ScorerConfigError("'max_words' must be a whole number >= 1", key="max_words")

    def score(ctx: ScoringContext) -> Verdict:
        words = len(ctx.output.split())
        return Verdict(1.0 if words <= max_words else 0.0, reason=f"{words} words")

    return score


def pytest_evals_register_scorers(registry: ScorerRegistry) -> None:
    registry.register("word_limit", word_limit)

"""Combining the scorers of one eval for one sample, and the repeats of one datapoint.

No pytest import: the item calls ``score_sample`` and turns ``ScorerCrash`` into a
datapoint error.
"""

from __future__ import annotations

import asyncio
import math
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean
from types import TracebackType
from typing import Literal

from .records import ScoreResult
from .scorers.base import (
    ScoreFunction,
    ScorerConfigError,
    ScorerRegistry,
    ScoringContext,
    normalize,
)
from .spec import ScorerConfig

# Weighted means land a hair under a threshold they mathematically meet (0.7999999…).
_EPSILON = 1e-9

_PACKAGE_DIR = str(Path(__file__).resolve().parent)
_ASYNCIO_DIR = str(Path(asyncio.__file__).resolve().parent)


@dataclass(frozen=True)
class BoundScorer:
    """One ``scorers:`` entry, built: its config, its scoring function and its threshold
    (the entry's, else the type's default)."""

    config: ScorerConfig
    function: ScoreFunction
    threshold: float


def _check_number(config: ScorerConfig, key: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ScorerConfigError(
            f"scorer '{config.name}': '{key}' must be a number, got {value!r}", key=key
        )


def bind_scorers(configs: Sequence[ScorerConfig], registry: ScorerRegistry) -> list[BoundScorer]:
    """Build every scorer entry; ScorerConfigError for an unknown type or a bad option,
    weight (< 0) or threshold (outside [0, 1])."""
    bound: list[BoundScorer] = []
    for config in configs:
        scorer_type = registry.get(config.type)
        _check_number(config, "weight", config.weight)
        if config.weight < 0:
            raise ScorerConfigError(
                f"scorer '{config.name}': 'weight' must be >= 0, got {config.weight!r}",
                key="weight",
            )
        threshold = config.threshold
        if threshold is not None:
            _check_number(config, "threshold", threshold)
            if not 0.0 <= threshold <= 1.0:
                raise ScorerConfigError(
                    f"scorer '{config.name}': 'threshold' must be between 0 and 1, "
                    f"got {threshold!r}",
                    key="threshold",
                )
        function = registry.build(config.type, config.options)
        bound.append(
            BoundScorer(
                config,
                function,
                scorer_type.default_threshold if threshold is None else float(threshold),
            )
        )
    return bound


class ScorerCrash(Exception):
    """A scorer raised, or returned something that is not a score."""

    def __init__(self, scorer_name: str, traceback_text: str) -> None:
        super().__init__(f"scorer '{scorer_name}' raised:\n{traceback_text}")
        self.scorer_name = scorer_name
        self.traceback_text = traceback_text


def _is_plugin_frame(tb: TracebackType) -> bool:
    filename = tb.tb_frame.f_code.co_filename
    return filename.startswith((_PACKAGE_DIR, _ASYNCIO_DIR))


def _user_traceback(exc: BaseException) -> str:
    """The exception's traceback from the first frame outside this package (and asyncio,
    which async user scorers run under). When every frame is ours, a built-in scorer
    rejected the datapoint (say, a non-numeric expected): its message says it all, and a
    plugin traceback would only bury it. The exception stays on ``__cause__`` for debugging.
    """
    tb = exc.__traceback__
    while tb is not None and _is_plugin_frame(tb):
        tb = tb.tb_next
    if tb is None:
        return "".join(traceback.format_exception_only(type(exc), exc)).rstrip()
    return "".join(traceback.format_exception(type(exc), exc, tb)).rstrip()


@dataclass(frozen=True)
class Outcome:
    """One sample, scored: the weighted score, whether it passed, and each scorer's result."""

    score: float
    passed: bool
    results: list[ScoreResult]


def _weighted_mean(results: Sequence[ScoreResult]) -> float:
    if not results:
        return 1.0
    total_weight = sum(r.weight for r in results)
    if total_weight == 0:
        return fmean(r.score for r in results)
    return sum(r.score * r.weight for r in results) / total_weight


def score_sample(
    scorers: Sequence[BoundScorer], ctx: ScoringContext, *, eval_threshold: float | None
) -> Outcome:
    """Run every scorer on one sample. Passes when the weighted score reaches
    ``eval_threshold``, or, without one, when every scorer passes. Raises ScorerCrash when a
    scorer raises or returns a value that is not a score."""
    results: list[ScoreResult] = []
    for scorer in scorers:
        name = scorer.config.name
        try:
            value = scorer.function(ctx)
        except Exception as exc:
            raise ScorerCrash(name, _user_traceback(exc)) from exc
        try:
            verdict = normalize(value, threshold=scorer.threshold)
        except (TypeError, ValueError) as exc:
            raise ScorerCrash(name, f"returned an invalid score: {exc}") from exc
        results.append(
            ScoreResult(
                name=name,
                score=verdict.score,
                passed=verdict.passed is True,
                reason=verdict.reason,
                weight=scorer.config.weight,
                details=dict(verdict.details or {}),
            )
        )
    score = _weighted_mean(results)
    if eval_threshold is not None:
        passed = score >= eval_threshold - _EPSILON
    else:
        passed = all(r.passed for r in results)
    return Outcome(score, passed, results)


def combine_repeats(
    outcomes: Sequence[Outcome], rule: Literal["all", "any", "majority"]
) -> tuple[float, bool]:
    """Mean score over the repeats of one datapoint, and whether it passes by ``rule``
    (``majority``: more than half)."""
    if not outcomes:
        raise ValueError("combine_repeats needs at least one outcome")
    passes = sum(1 for o in outcomes if o.passed)
    if rule == "all":
        passed = passes == len(outcomes)
    elif rule == "any":
        passed = passes > 0
    elif rule == "majority":
        passed = passes * 2 > len(outcomes)
    else:
        raise ValueError(f"unknown repeat rule {rule!r}: use all, any or majority")
    return fmean(o.score for o in outcomes), passed

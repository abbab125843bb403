"""Running one scoring function on a hand-made sample, as ``score_sample`` would."""

from __future__ import annotations

from typing import Any

from pytest_evals.records import Sample
from pytest_evals.scorers.base import ScoreFunction, ScoringContext, Verdict, normalize

_MISSING: Any = object()


def context(output: Any, expected: Any = _MISSING, **fields: Any) -> ScoringContext:
    item = dict(fields)
    if expected is not _MISSING:
        item["expected"] = expected
    return ScoringContext(item=item, sample=Sample(output=output))


def verdict(
    function: ScoreFunction,
    output: Any,
    expected: Any = _MISSING,
    *,
    threshold: float = 1.0,
    **fields: Any,
) -> Verdict:
    """The scorer's verdict with ``passed`` settled by ``threshold`` (the binary default)."""
    return normalize(function(context(output, expected, **fields)), threshold=threshold)

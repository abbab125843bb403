"""Scorers on what the call took rather than what it said: ``latency``, ``cost``, and
``none`` (record the output, score nothing).

An unknown latency or cost is a miss, never a pass: a budget nobody measured is not met.
"""

from __future__ import annotations

import math

from .base import ScoreFunction, ScorerConfigError, ScoringContext, Verdict


def _limit(key: str, value: object, *, allow_zero: bool) -> float:
    if value is None:
        raise ScorerConfigError(f"'{key}' is required", key=key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ScorerConfigError(f"'{key}' must be a number, got {value!r}", key=key)
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ScorerConfigError(f"'{key}' must be {bound}, got {value!r}", key=key)
    return float(value)


def latency(*, max_ms: float | None = None) -> ScoreFunction:
    """Passes when the call took at most ``max_ms`` milliseconds."""
    limit = _limit("max_ms", max_ms, allow_zero=False)

    def score(ctx: ScoringContext) -> Verdict:
        took = ctx.sample.latency_ms
        if took is None:
            return Verdict(0.0, False, "latency unknown")
        if took <= limit:
            return Verdict(1.0, reason=f"{took:.0f} ms <= {limit:g} ms")
        return Verdict(0.0, reason=f"{took:.0f} ms > {limit:g} ms")

    return score


def cost(*, max_usd: float | None = None) -> ScoreFunction:
    """Passes when the call cost at most ``max_usd`` (0 allowed: "must be free")."""
    limit = _limit("max_usd", max_usd, allow_zero=True)

    def score(ctx: ScoringContext) -> Verdict:
        spent = ctx.sample.cost
        if spent is None:
            return Verdict(0.0, False, "cost unknown")
        if spent <= limit:
            return Verdict(1.0, reason=f"${spent:.6g} <= ${limit:.6g}")
        return Verdict(0.0, reason=f"${spent:.6g} > ${limit:.6g}")

    return score


def none() -> ScoreFunction:
    """Scores nothing: the datapoint passes unless producing the sample failed."""

    def score(ctx: ScoringContext) -> Verdict:
        return Verdict(1.0, True, "not scored")

    return score

"""Scorers on what the call took rather than what it said: ``latency``, ``cost``, and
``none`` (record the output, score nothing).

An unknown latency or cost is a miss, never a pass: a budget nobody measured is not met.
"""

from __future__ import annotations

from collections.abc import Callable

from .base import ScoreFunction, ScorerConfigError, ScoringContext, Verdict, number_option


def _limit(key: str, value: object, *, allow_zero: bool) -> float:
    if value is None:
        raise ScorerConfigError(f"'{key}' is required", key=key)
    if allow_zero:
        return number_option(key, value, minimum=0)
    return number_option(key, value, above=0)


def _within(
    measure: Callable[[ScoringContext], float | None],
    limit: float,
    what: str,
    show: Callable[[float], str],
) -> ScoreFunction:
    def score(ctx: ScoringContext) -> Verdict:
        measured = measure(ctx)
        if measured is None:
            return Verdict(0.0, False, f"{what} unknown")
        if measured <= limit:
            return Verdict(1.0, reason=f"{show(measured)} <= {show(limit)}")
        return Verdict(0.0, reason=f"{show(measured)} > {show(limit)}")

    return score


def latency(*, max_ms: float | None = None) -> ScoreFunction:
    """Passes when the call took at most ``max_ms`` milliseconds."""
    limit = _limit("max_ms", max_ms, allow_zero=False)
    return _within(lambda ctx: ctx.sample.latency_ms, limit, "latency", lambda v: f"{v:.0f} ms")


def cost(*, max_usd: float | None = None) -> ScoreFunction:
    """Passes when the call cost at most ``max_usd`` (0 allowed: "must be free")."""
    limit = _limit("max_usd", max_usd, allow_zero=True)
    return _within(lambda ctx: ctx.sample.cost, limit, "cost", lambda v: f"${v:.6g}")


def none() -> ScoreFunction:
    """Scores nothing: the datapoint passes unless producing the sample failed."""

    def score(ctx: ScoringContext) -> Verdict:
        return Verdict(1.0, True, "not scored")

    return score

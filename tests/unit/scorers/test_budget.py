from __future__ import annotations

from typing import Any

import pytest

from pytest_evals.records import Sample
from pytest_evals.scorers import ScorerConfigError
from pytest_evals.scorers.base import ScoringContext, Verdict, normalize
from pytest_evals.scorers.budget import cost, latency, none


def run(function: Any, sample: Sample, threshold: float = 1.0) -> Verdict:
    return normalize(function(ScoringContext(item={}, sample=sample)), threshold=threshold)


# -- latency -------------------------------------------------------------------------------


def test_latency_under_and_at_the_limit_passes() -> None:
    result = run(latency(max_ms=500), Sample(output="x", latency_ms=120.0))
    assert (result.score, result.passed, result.reason) == (1.0, True, "120 ms <= 500 ms")
    assert run(latency(max_ms=500), Sample(output="x", latency_ms=500.0)).passed is True


def test_latency_over_the_limit_fails() -> None:
    result = run(latency(max_ms=500), Sample(output="x", latency_ms=612.4))
    assert (result.score, result.passed, result.reason) == (0.0, False, "612 ms > 500 ms")


def test_latency_unknown_fails_even_at_threshold_zero() -> None:
    result = run(latency(max_ms=500), Sample(output="x"), threshold=0.0)
    assert (result.score, result.passed, result.reason) == (0.0, False, "latency unknown")


@pytest.mark.parametrize("value", [None, 0, -5, "100", True, float("nan")])
def test_latency_max_ms_must_be_positive_number(value: Any) -> None:
    with pytest.raises(ScorerConfigError) as info:
        latency(max_ms=value)
    assert info.value.key == "max_ms"


# -- cost ----------------------------------------------------------------------------------


def test_cost_under_the_limit_passes() -> None:
    result = run(cost(max_usd=0.01), Sample(output="x", cost=0.001))
    assert (result.passed, result.reason) == (True, "$0.001 <= $0.01")


def test_cost_over_the_limit_fails() -> None:
    result = run(cost(max_usd=0.01), Sample(output="x", cost=0.02))
    assert (result.score, result.passed, result.reason) == (0.0, False, "$0.02 > $0.01")


def test_cost_unknown_fails() -> None:
    result = run(cost(max_usd=0.01), Sample(output="x"), threshold=0.0)
    assert (result.passed, result.reason) == (False, "cost unknown")


def test_cost_zero_budget_means_free() -> None:
    assert run(cost(max_usd=0), Sample(output="x", cost=0.0)).passed is True
    assert run(cost(max_usd=0), Sample(output="x", cost=0.0001)).passed is False


@pytest.mark.parametrize("value", [None, -0.01, "cheap", False])
def test_cost_max_usd_must_be_a_non_negative_number(value: Any) -> None:
    with pytest.raises(ScorerConfigError) as info:
        cost(max_usd=value)
    assert info.value.key == "max_usd"


# -- none ----------------------------------------------------------------------------------


def test_none_always_passes_without_scoring() -> None:
    result = run(none(), Sample(output=""))
    assert result == Verdict(1.0, True, "not scored")

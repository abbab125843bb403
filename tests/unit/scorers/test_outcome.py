"""One datapoint's samples and outcomes into its record."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_evals.records import Sample, ScoreResult, TokenUsage
from pytest_evals.scorers.combine import Outcome
from pytest_evals.scorers.outcome import RecordContext, completed_record, error_record
from pytest_evals.spec.model import Datapoint

CONTEXT = RecordContext("capitals", "local/m")
DATAPOINT = Datapoint("fr", {"input": "France", "expected": "Paris"}, Path("e.eval.yaml"))


def _sample(output: str, latency: float, cost: float | None = 0.01) -> Sample:
    return Sample(output, latency_ms=latency, tokens=TokenUsage(10, 2), cost=cost)


def _outcome(passed: bool, reason: str = "") -> Outcome:
    result = ScoreResult("exact_match", 1.0 if passed else 0.0, passed, reason)
    return Outcome(result.score, passed, [result])


def test_one_sample() -> None:
    record = completed_record(CONTEXT, DATAPOINT, [_sample("Paris", 100)], [_outcome(True)], "all")
    assert (record.status, record.passed, record.score, record.output) == (
        "completed",
        True,
        1.0,
        "Paris",
    )
    assert (record.latency_ms, record.cost, record.repeats) == (100, 0.01, None)
    assert (record.eval, record.model, record.input, record.expected) == (
        "capitals",
        "local/m",
        "France",
        "Paris",
    )


@pytest.mark.parametrize(("rule", "passed"), [("all", False), ("any", True), ("majority", True)])
def test_repeats_pass_by_their_rule(rule: str, passed: bool) -> None:
    samples = [_sample("Paris", 100), _sample("Paris", 300), _sample("Lyon", 200, cost=None)]
    outcomes = [_outcome(True), _outcome(True), _outcome(False, "got 'Lyon'")]
    record = completed_record(CONTEXT, DATAPOINT, samples, outcomes, rule)  # type: ignore[arg-type]
    assert record.passed is passed
    assert record.score == pytest.approx(2 / 3)
    assert record.latency_ms == 200  # the mean of the repeats
    assert record.cost == pytest.approx(0.02)  # known costs summed
    assert record.tokens == TokenUsage(30, 6)
    assert record.repeats is not None and [r["passed"] for r in record.repeats] == [
        True,
        True,
        False,
    ]
    [merged] = record.scores
    assert merged.reason.startswith("passed 2 of 3 repeats")
    assert ("first miss: got 'Lyon'" in merged.reason) is (not passed)


def test_an_error_keeps_what_was_produced() -> None:
    record = error_record(CONTEXT, DATAPOINT, "scorer 'x' raised", [_sample("Paris", 50)])
    assert (record.status, record.passed, record.error, record.output) == (
        "error",
        False,
        "scorer 'x' raised",
        "Paris",
    )
    assert record.latency_ms == 50
    bare = error_record(CONTEXT, DATAPOINT, "call failed")
    assert (bare.output, bare.cached, bare.latency_ms) == (None, False, None)

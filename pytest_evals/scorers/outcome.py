"""Turning one datapoint's samples and scores into its result record. No pytest import."""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from ..records import (
    CallSpend,
    ResultRecord,
    Sample,
    ScoreResult,
    TokenUsage,
    sum_known,
    sum_tokens,
)
from ..spec.model import Datapoint, RepeatPass
from .combine import Outcome, combine_repeats, repeats_pass


@dataclass(frozen=True)
class RecordContext:
    """What every record of one run shares."""

    eval: str
    model: str | None


def _spend(samples: Sequence[Sample]) -> tuple[float | None, TokenUsage | None, float | None]:
    latencies = [s.latency_ms for s in samples if s.latency_ms is not None]
    return (
        fmean(latencies) if latencies else None,
        sum_tokens(s.tokens for s in samples),
        sum_known(s.cost for s in samples),
    )


def _spent(results: Sequence[ScoreResult]) -> CallSpend | None:
    spends = [r.calls for r in results if r.calls is not None]
    return functools.reduce(operator.add, spends) if spends else None


def _per_scorer_means(outcomes: Sequence[Outcome], rule: RepeatPass) -> list[ScoreResult]:
    merged: list[ScoreResult] = []
    for position, first in enumerate(outcomes[0].results):
        runs = [o.results[position] for o in outcomes]
        passes = sum(r.passed for r in runs)
        passed = repeats_pass(passes, len(runs), rule)
        merged.append(
            ScoreResult(
                name=first.name,
                score=fmean(r.score for r in runs),
                passed=passed,
                reason=f"passed {passes} of {len(runs)} repeats"
                + (
                    ""
                    if passed
                    else f"; first miss: {next(r.reason for r in runs if not r.passed)}"
                ),
                weight=first.weight,
                details=_mean_points(runs),
                calls=_spent(runs),
            )
        )
    return merged


def _mean_points(runs: Sequence[ScoreResult]) -> dict[str, Any]:
    """A rubric's points over the repeats of one datapoint: their mean, as its score is,
    so the summary's totals count each datapoint once whatever its ``repeat``."""
    if not runs or not all("earned_points" in r.details for r in runs):
        return {}
    earned = fmean(float(r.details["earned_points"]) for r in runs)
    possible = fmean(float(r.details["possible_points"]) for r in runs)
    return {
        "earned_points": earned,
        "possible_points": possible,
        "percentage": round(100 * earned / possible, 2) if possible else None,
    }


def completed_record(
    context: RecordContext,
    datapoint: Datapoint,
    samples: Sequence[Sample],
    outcomes: Sequence[Outcome],
    rule: RepeatPass,
) -> ResultRecord:
    """The record of a datapoint whose samples were all produced and scored."""
    latency_ms, tokens, cost = _spend(samples)
    record = ResultRecord(
        datapoint_id=datapoint.id,
        eval=context.eval,
        model=context.model,
        input=datapoint.input,
        expected=datapoint.expected,
        output=samples[0].output,
        latency_ms=latency_ms,
        tokens=tokens,
        cost=cost,
        cached=all(s.cached for s in samples),
        status="completed",
        metadata=dict(samples[0].metadata),
    )
    record.add_judge_spend(_spent([r for o in outcomes for r in o.results]))
    if len(outcomes) == 1:
        record.score = outcomes[0].score
        record.passed = outcomes[0].passed
        record.scores = list(outcomes[0].results)
        return record
    record.score, record.passed = combine_repeats(outcomes, rule)
    record.scores = _per_scorer_means(outcomes, rule)
    record.repeats = [
        _repeat_entry(sample, outcome) for sample, outcome in zip(samples, outcomes, strict=True)
    ]
    record.flaky = len({o.passed for o in outcomes}) > 1
    return record


def _repeat_entry(sample: Sample, outcome: Outcome) -> dict[str, Any]:
    return {
        "output": sample.output,
        "score": outcome.score,
        "passed": outcome.passed,
        "latency_ms": sample.latency_ms,
        "tokens": (sample.tokens or TokenUsage()).to_dict(),
        "cost": sample.cost,
        "cached": sample.cached,
        "metadata": dict(sample.metadata),
        "scores": [r.to_dict() for r in outcome.results],
    }


def error_record(
    context: RecordContext,
    datapoint: Datapoint,
    error: str,
    samples: Sequence[Sample] = (),
    judged: CallSpend | None = None,
) -> ResultRecord:
    """The record of a datapoint whose call, target or scorer failed. ``judged``: what its
    scorers' calls spent before that (a judge whose verdict could not be read was paid)."""
    latency_ms, tokens, cost = _spend(samples)
    record = ResultRecord(
        datapoint_id=datapoint.id,
        eval=context.eval,
        model=context.model,
        input=datapoint.input,
        expected=datapoint.expected,
        output=samples[0].output if samples else None,
        latency_ms=latency_ms,
        tokens=tokens,
        cost=cost,
        cached=bool(samples) and all(s.cached for s in samples),
        status="error",
        error=error,
        passed=False,
        metadata=dict(samples[0].metadata) if samples else {},
    )
    record.add_judge_spend(judged)
    return record

"""Combining the scorers of one eval for one sample, and the repeats of one datapoint.

Async scoring functions run first, on the engine's loop (``score_async``); the item then
scores each sample in the scorers' order (``score_sample``), running the sync ones and
taking the async ones' values. No pytest import: the item turns ``ScorerCrash`` into a
datapoint error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from statistics import fmean
from typing import Any, TypeVar

from ..errors import BudgetExceeded, user_traceback
from ..records import CallSpend, Embedded, Sample, ScoreResult
from ..spec.model import AtLeast, ModelRef, RepeatPass, ScorerConfig
from ..spec.references import is_async
from ..spec.templates import TemplateError
from ..values import number_problem
from .base import (
    ModelClient,
    ScoreFunction,
    ScorerConfigError,
    ScorerFailure,
    ScorerRegistry,
    ScoreValue,
    ScoringContext,
    Verdict,
)
from .base import normalize as normalize_value

T = TypeVar("T")

# Weighted means land a hair under a threshold they mathematically meet (0.7999999…).
_EPSILON = 1e-9


@dataclass(frozen=True)
class BoundScorer:
    """One ``scorers:`` entry, built: its config, its scoring function, its threshold (the
    entry's, else the type's default) and the models its options name."""

    config: ScorerConfig
    function: ScoreFunction
    threshold: float
    models: tuple[ModelRef, ...] = ()
    is_async: bool = field(init=False)
    """Runs on the engine's loop; told once here, as every sample asks."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "is_async", is_async(self.function))


def bind_scorers(
    configs: Sequence[ScorerConfig],
    registry: ScorerRegistry,
    *,
    resolved: Sequence[Mapping[str, Any]] | None = None,
) -> list[BoundScorer]:
    """Build every scorer entry; ScorerConfigError for an unknown type or a bad option,
    weight (< 0) or threshold (outside [0, 1]). ``resolved`` holds, per entry, the options
    the loader resolved (models, imported functions) in place of the written ones."""
    bound: list[BoundScorer] = []
    for position, config in enumerate(configs):
        scorer_type = registry.get(config.type)
        problems = {
            "weight": number_problem(config.weight, minimum=0.0),
            "threshold": None
            if config.threshold is None
            else number_problem(config.threshold, minimum=0.0, maximum=1.0),
        }
        for key, problem in problems.items():
            if problem is not None:
                raise ScorerConfigError(f"scorer '{config.name}': '{key}' {problem}", key=key)
        decides = scorer_type.pass_option
        if config.threshold is not None and decides and config.options.get(decides) is not None:
            raise ScorerConfigError(
                f"scorer '{config.name}': give either '{decides}' or 'threshold', not both: "
                f"both say when it passes, and '{decides}' would win",
                key="threshold",
            )
        replaced = resolved[position] if resolved is not None else {}
        options = {**config.options, **replaced}
        function = registry.build(config.type, options)
        threshold = config.threshold
        bound.append(
            BoundScorer(
                config,
                function,
                scorer_type.default_threshold if threshold is None else float(threshold),
                tuple(v for v in replaced.values() if isinstance(v, ModelRef)),
            )
        )
    return bound


class ScorerCrash(Exception):
    """A scorer raised, or returned something that is not a score. ``explained``: the
    scorer said why in words (``ScorerFailure``); the text is that, not a traceback."""

    def __init__(self, scorer_name: str, traceback_text: str, *, explained: bool = False) -> None:
        if explained:
            super().__init__(f"scorer '{scorer_name}': {traceback_text}")
        else:
            super().__init__(f"scorer '{scorer_name}' raised:\n{traceback_text}")
        self.scorer_name = scorer_name
        self.traceback_text = traceback_text


@dataclass(frozen=True)
class AsyncScore:
    """What one async scorer gave for one sample, and what its model calls spent."""

    value: ScoreValue | ScorerCrash
    spend: CallSpend | None = None


AsyncValues = Mapping[int, AsyncScore]
"""The values of one sample's async scorers, by position in the eval's scorers."""


class MeteredModels:
    """The engine as one scorer (or one datapoint's scorers) sees it: every call made
    through it is noted, so the scorers' spend is reported apart from the sample's, whoever
    wrote the scorer, and is still known when scoring failed or was stopped half-way."""

    def __init__(self, models: ModelClient) -> None:
        self._models = models
        self.samples: list[Sample] = []

    async def chat(
        self,
        model: ModelRef,
        messages: Sequence[Mapping[str, str]],
        *,
        json_schema: Mapping[str, Any] | None = None,
    ) -> Sample:
        sample = await self._models.chat(model, messages, json_schema=json_schema)
        self.samples.append(sample)
        return sample

    async def embed(self, model: ModelRef, texts: Sequence[str]) -> Embedded:
        embedded = await self._models.embed(model, texts)
        self.samples.extend(embedded.calls)
        return embedded

    def spend(self) -> CallSpend | None:
        """What the calls so far used; None before the first."""
        return CallSpend.of(list(self.samples))


def _unresolved_sample(exc: TemplateError) -> Verdict:
    # Item fields are checked against every datapoint at collection, so a template that
    # fails now reads the sample: the output lacks what the scorer looks for (say, it is not
    # JSON). That is the output being wrong, a miss with a reason, not a scorer that broke.
    field = exc.field or "a template field"
    return Verdict(0.0, False, f"the output has no value for {field!r}, which the scorer reads")


async def score_async(scorers: Sequence[BoundScorer], ctx: ScoringContext) -> AsyncValues:
    """Run the async scorers of one sample concurrently; a scorer that raises is kept as
    its ScorerCrash, in its place."""

    async def one(scorer: BoundScorer) -> AsyncScore:
        metered = None if ctx.models is None else MeteredModels(ctx.models)
        own = ctx if metered is None else replace(ctx, models=metered)
        value: ScoreValue | ScorerCrash
        try:
            value = await scorer.function(own)  # type: ignore[misc]
        except (asyncio.CancelledError, BudgetExceeded):
            # A judge's call that met --evals-max-cost: the session's stop, not this scorer
            # breaking.
            raise
        except TemplateError as exc:
            value = _unresolved_sample(exc)
        except ScorerFailure as exc:
            value = ScorerCrash(scorer.config.name, str(exc), explained=True)
        except BaseException as exc:  # on the engine's loop: never let user code stop it
            value = ScorerCrash(scorer.config.name, user_traceback(exc))
        return AsyncScore(value, None if metered is None else CallSpend.of(metered.samples))

    positions = [i for i, s in enumerate(scorers) if s.is_async]
    if len(positions) == 1:
        # In this task itself: a budget stop cancels every task but the one whose call
        # reached the budget, and that call's verdict is kept (a gather's child would
        # survive it, but not the datapoint's task awaiting the gather).
        return {positions[0]: await one(scorers[positions[0]])}
    values = await settled(one(scorers[i]) for i in positions)
    return dict(zip(positions, values, strict=True))


async def settled(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """Await them all, then raise the first one's exception, if any: the calls of the others
    (sent and billed) still finish and are counted when one is stopped by the budget."""
    results = await asyncio.gather(*awaitables, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]


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


def _value_of(
    scorer: BoundScorer, position: int, ctx: ScoringContext, awaited: AsyncValues
) -> tuple[Any, CallSpend | None]:
    if scorer.is_async:
        score = awaited.get(position)
        if score is None:
            raise ScorerCrash(scorer.config.name, "the async scorer was not run")
        if isinstance(score.value, ScorerCrash):
            raise score.value
        return score.value, score.spend
    try:
        return scorer.function(ctx), None
    except TemplateError as exc:
        return _unresolved_sample(exc), None
    except ScorerFailure as exc:
        raise ScorerCrash(scorer.config.name, str(exc), explained=True) from exc
    except (Exception, SystemExit) as exc:
        raise ScorerCrash(scorer.config.name, user_traceback(exc)) from exc


def score_sample(
    scorers: Sequence[BoundScorer],
    ctx: ScoringContext,
    *,
    eval_threshold: float | None,
    awaited: AsyncValues | None = None,
) -> Outcome:
    """Score one sample with every scorer, in order: sync ones run here, async ones give
    their value from ``awaited`` (``score_async``). Passes when the weighted score reaches
    ``eval_threshold``, or, without one, when every scorer passes. Raises ScorerCrash when
    a scorer raised or returned a value that is not a score."""
    results: list[ScoreResult] = []
    for position, scorer in enumerate(scorers):
        name = scorer.config.name
        value, spend = _value_of(scorer, position, ctx, awaited or {})
        try:
            verdict = normalize_value(value, threshold=scorer.threshold)
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
                reasoning=verdict.reasoning,
                raw=verdict.raw,
                calls=spend,
            )
        )
    score = _weighted_mean(results)
    if eval_threshold is not None:
        passed = score >= eval_threshold - _EPSILON
    else:
        passed = all(r.passed for r in results)
    return Outcome(score, passed, results)


def repeats_pass(passes: int, repeats: int, rule: RepeatPass) -> bool:
    """Whether ``passes`` of ``repeats`` pass by ``rule`` (``majority``: more than half;
    ``at_least``: that many)."""
    if isinstance(rule, AtLeast):
        return passes >= rule.count
    if rule == "all":
        return passes == repeats
    if rule == "any":
        return passes > 0
    if rule == "majority":
        return passes * 2 > repeats
    raise ValueError(f"unknown repeat rule {rule!r}: use all, any or majority")


def combine_repeats(outcomes: Sequence[Outcome], rule: RepeatPass) -> tuple[float, bool]:
    """Mean score over the repeats of one datapoint, and whether it passes by ``rule``."""
    if not outcomes:
        raise ValueError("combine_repeats needs at least one outcome")
    passes = sum(1 for o in outcomes if o.passed)
    return fmean(o.score for o in outcomes), repeats_pass(passes, len(outcomes), rule)

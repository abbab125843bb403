"""One datapoint's work as one chain on the call engine: produce its samples (every repeat
at once), then run the async scorers of each sample, on the same loop, inside the same
prefetch window. A judge's call therefore starts as early as a model call does and goes
through the same cache, limits, budget and retries.

The item waits for ``samples`` in its setup (a broken call stays a pytest error) and for
``scores`` in its call, where it also runs the sync scorers. No pytest import.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from typing import Any

from ..errors import BudgetExceeded, CallCancelled, SampleError
from ..records import Sample
from ..scorers.base import ScoringContext
from ..scorers.combine import AsyncValues, BoundScorer, MeteredModels, score_async, settled
from ..spec.model import Datapoint
from .sampling import Engine, SampleSource, produce, produce_here


@dataclass(frozen=True)
class DatapointPlan:
    """What one item runs: where its samples come from, how many, and its scorers."""

    source: SampleSource
    datapoint: Datapoint
    repeat: int
    scorers: tuple[BoundScorer, ...]

    @functools.cached_property
    def has_async_scorers(self) -> bool:
        return any(s.is_async for s in self.scorers)

    @property
    def samples_on_engine(self) -> bool:
        return not self.datapoint.has_output and self.source.on_engine

    @property
    def can_start_early(self) -> bool:
        """Whether the work can start before the item runs: anything on the engine's loop.
        A sync target runs in the item, where pytest captures its output."""
        if self.datapoint.has_output:
            return self.has_async_scorers
        return self.source.on_engine


@dataclass
class DatapointWork:
    """The futures of one datapoint's work. ``scores`` holds, per sample, the values of the
    async scorers; None when the eval has none. ``scorer_calls`` notes every call its
    scorers made (a judge's), also when scoring then failed or was stopped."""

    samples: Future[list[Sample]]
    scores: Future[list[AsyncValues]] | None
    scorer_calls: MeteredModels | None = None

    def holds_spend(self, *, given_output: bool) -> bool:
        """Whether its calls may have been answered (and paid for) and not yet reported: any
        still out, or done with an answer that did not come from the cache."""
        if not self.samples.done() or (self.scores is not None and not self.scores.done()):
            return True
        return bool(self.paid(given_output=given_output))

    def paid(self, *, given_output: bool) -> list[Sample]:
        """The answers of its calls so far that were paid for now (not from the cache): its
        samples (none when the datapoint gives its output), the repeats answered before a
        budget stop, its scorers' calls."""
        answered: list[Sample] = []
        if self.samples.done() and not self.samples.cancelled():
            failure = self.samples.exception()
            if failure is None and not given_output:
                answered.extend(self.samples.result())
            elif isinstance(failure, BudgetExceeded):
                answered.extend(failure.produced)
        if self.scorer_calls is not None:
            answered.extend(self.scorer_calls.samples)
        return [s for s in answered if not s.cached]

    def cancel(self) -> None:
        self.samples.cancel()
        if self.scores is not None:
            self.scores.cancel()


def _settle(future: Future[list[Sample]], result: list[Sample] | BaseException) -> None:
    # The item may have given up on the future already (cancelled it): that is no error.
    with contextlib.suppress(InvalidStateError):
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)


async def _score_all(
    plan: DatapointPlan, samples: Sequence[Sample], models: MeteredModels
) -> list[AsyncValues]:
    item = plan.datapoint.data

    def scored(sample: Sample) -> Coroutine[Any, Any, AsyncValues]:
        context = ScoringContext(item, sample, models=models, context=plan.datapoint.context)
        return score_async(plan.scorers, context)

    if len(samples) == 1:
        # In this task itself, for the budget stop's sake (see score_async).
        return [await scored(samples[0])]
    return await settled(scored(sample) for sample in samples)


async def _produce_all(plan: DatapointPlan, engine: Engine) -> list[Sample]:
    if plan.repeat == 1:
        # In this task itself: a budget stop cancels every task but the one whose call
        # reached the budget, and that call's result is kept.
        return [await produce(plan.source, plan.datapoint, engine)]
    tasks = [
        asyncio.ensure_future(produce(plan.source, plan.datapoint, engine))
        for _ in range(plan.repeat)
    ]
    try:
        return list(await asyncio.gather(*tasks))
    except BudgetExceeded as exc:
        # The others' calls were sent, or are refused too: what they answer was paid for.
        done = await asyncio.gather(*tasks, return_exceptions=True)
        raise BudgetExceeded(str(exc), [s for s in done if isinstance(s, Sample)]) from None
    except BaseException:
        # One repeat failed the datapoint: the others' calls are not worth paying for.
        for task in tasks:
            task.cancel()
        raise


def _on_engine(plan: DatapointPlan, engine: Engine) -> DatapointWork:
    samples: Future[list[Sample]] = Future()
    samples.set_running_or_notify_cancel()
    metered = MeteredModels(engine) if plan.has_async_scorers else None

    async def chain() -> list[AsyncValues]:
        try:
            produced = await _produce_all(plan, engine)
        except BaseException as exc:
            stopped: SampleError = (
                BudgetExceeded(engine.stop_reason)
                if engine.stop_reason is not None
                else CallCancelled("the datapoint's calls were cancelled")
            )
            _settle(samples, exc if isinstance(exc, Exception) else stopped)
            raise
        _settle(samples, produced)
        return [] if metered is None else await _score_all(plan, produced, metered)

    done = engine.submit(chain)

    def cancelled_before_start(future: Future[list[AsyncValues]]) -> None:
        if future.cancelled():
            _settle(samples, CallCancelled("the datapoint's work was cancelled"))

    done.add_done_callback(cancelled_before_start)
    return DatapointWork(samples, done if plan.has_async_scorers else None, metered)


def _here(plan: DatapointPlan, engine: Callable[[], Engine]) -> DatapointWork:
    samples: Future[list[Sample]] = Future()
    try:
        produced = [produce_here(plan.source, plan.datapoint) for _ in range(plan.repeat)]
    except SampleError as exc:
        samples.set_exception(exc)
        return DatapointWork(samples, None)
    samples.set_result(produced)
    if not plan.has_async_scorers:
        return DatapointWork(samples, None)
    running = engine()
    metered = MeteredModels(running)
    scores = running.submit(lambda: _score_all(plan, produced, metered))
    return DatapointWork(samples, scores, metered)


def start(plan: DatapointPlan, engine: Callable[[], Engine]) -> DatapointWork:
    """Start one datapoint's work; ``engine`` is called only when the loop is needed (a
    grade-only eval with sync scorers never starts it)."""
    if plan.samples_on_engine:
        return _on_engine(plan, engine())
    return _here(plan, engine)


def wait_samples(work: DatapointWork) -> list[Sample]:
    """Block until the samples are there; anything but SampleError becomes one."""
    try:
        return work.samples.result()
    except SampleError:
        raise
    except Exception as exc:
        raise SampleError(f"{type(exc).__name__}: {exc}") from exc


def wait_scores(work: DatapointWork, samples: int) -> list[AsyncValues]:
    """The async scorers' values per sample (empty mappings when there are none)."""
    if work.scores is None:
        return [{} for _ in range(samples)]
    return work.scores.result()

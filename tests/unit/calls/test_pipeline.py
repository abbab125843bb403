"""One datapoint's work on the engine: samples, then async scorers, with the engine started
only when something needs its loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from pytest_evals.calls.engine import CallEngine
from pytest_evals.calls.pipeline import DatapointPlan, start, wait_samples, wait_scores
from pytest_evals.calls.sampling import SampleSource
from pytest_evals.errors import SampleError
from pytest_evals.scorers import builtin_registry
from pytest_evals.scorers.base import ScoringContext
from pytest_evals.scorers.combine import AsyncScore, BoundScorer, ScorerCrash, bind_scorers
from pytest_evals.spec.model import Datapoint, EvalSpec, ScorerConfig

SPEC = EvalSpec(path=Path("e.eval.yaml"), name="e", datapoints=())


@pytest.fixture
def engine() -> Iterator[CallEngine]:
    running = CallEngine({}, environ={})
    yield running
    running.close()


def _async_scorer(seen: list[str]) -> BoundScorer:
    async def score(ctx: ScoringContext) -> float:
        seen.append(threading.current_thread().name)
        await asyncio.sleep(0)
        return 1.0

    return BoundScorer(ScorerConfig("custom", "custom"), score, 1.0)


def _plan(
    datapoint: Datapoint, *scorers: BoundScorer, target: Any = None, repeat: int = 1
) -> DatapointPlan:
    return DatapointPlan(SampleSource(SPEC, None, target), datapoint, repeat, tuple(scorers))


def test_a_given_output_with_sync_scorers_never_starts_the_engine() -> None:
    scorers = bind_scorers([ScorerConfig("none", "none")], builtin_registry())
    plan = _plan(Datapoint("a", {"output": "x"}, SPEC.path), *scorers)
    assert not plan.can_start_early

    def no_engine() -> CallEngine:
        raise AssertionError("the engine was asked for")

    work = start(plan, no_engine)
    assert [s.output for s in wait_samples(work)] == ["x"]
    assert wait_scores(work, 1) == [{}]


def test_async_scorers_of_a_given_output_run_on_the_engine_loop(engine: CallEngine) -> None:
    seen: list[str] = []
    plan = _plan(Datapoint("a", {"output": "x"}, SPEC.path), _async_scorer(seen))
    assert plan.can_start_early
    work = start(plan, lambda: engine)
    assert wait_scores(work, 1) == [{0: AsyncScore(1.0)}]
    assert seen == ["pytest-evals-calls"]


def test_every_repeat_of_an_async_target_runs_at_once(engine: CallEngine) -> None:
    running: list[int] = []
    peak: list[int] = [0]

    async def target(item: Mapping[str, Any]) -> str:
        running.append(1)
        peak[0] = max(peak[0], len(running))
        await asyncio.sleep(0.05)
        running.pop()
        return "ok"

    seen: list[str] = []
    plan = _plan(
        Datapoint("a", {"input": "x"}, SPEC.path), _async_scorer(seen), target=target, repeat=3
    )
    work = start(plan, lambda: engine)
    assert [s.output for s in wait_samples(work)] == ["ok"] * 3
    assert wait_scores(work, 3) == [{0: AsyncScore(1.0)}] * 3
    assert peak[0] == 3


def test_a_failed_repeat_fails_the_samples_and_stops_the_others(engine: CallEngine) -> None:
    finished: list[str] = []

    async def target(item: Mapping[str, Any]) -> str:
        if not finished and item["input"] == "x":
            finished.append("failing")
            raise ValueError("broken")
        await asyncio.sleep(5)
        finished.append("slow")
        return "late"

    plan = _plan(Datapoint("a", {"input": "x"}, SPEC.path), target=target, repeat=2)
    work = start(plan, lambda: engine)
    with pytest.raises(SampleError, match="the target raised ValueError: broken"):
        wait_samples(work)

    async def others() -> int:
        await asyncio.sleep(0.05)  # the cancelled repeat unwinds
        return len(asyncio.all_tasks()) - 1

    assert engine.submit(others).result(5) == 0
    assert "slow" not in finished


def test_a_sync_target_runs_here_and_its_error_is_the_samples(engine: CallEngine) -> None:
    def target(item: Mapping[str, Any]) -> str:
        assert threading.current_thread() is threading.main_thread()
        raise KeyError("nope")

    work = start(_plan(Datapoint("a", {"input": "x"}, SPEC.path), target=target), lambda: engine)
    with pytest.raises(SampleError, match="KeyError"):
        wait_samples(work)


def test_cancelling_the_engine_settles_what_waits(engine: CallEngine) -> None:
    async def target(item: Mapping[str, Any]) -> str:
        await asyncio.sleep(30)
        return "never"

    work = start(_plan(Datapoint("a", {"input": "x"}, SPEC.path), target=target), lambda: engine)
    engine.cancel_all()
    with pytest.raises(SampleError):
        wait_samples(work)


def test_an_async_scorer_raising_keyboardinterrupt_is_its_crash(engine: CallEngine) -> None:
    async def score(ctx: ScoringContext) -> float:
        raise KeyboardInterrupt("from the scorer")

    scorer = BoundScorer(ScorerConfig("custom", "custom"), score, 1.0)
    work = start(_plan(Datapoint("a", {"output": "x"}, SPEC.path), scorer), lambda: engine)
    [values] = wait_scores(work, 1)
    crash = values[0].value
    assert isinstance(crash, ScorerCrash)
    assert "KeyboardInterrupt: from the scorer" in crash.traceback_text


def test_the_engine_loop_outlives_a_baseexception_escaping_a_task(engine: CallEngine) -> None:
    async def escape() -> None:
        raise SystemExit(9)

    async def later() -> str:
        return "still running"

    with pytest.raises(SystemExit):
        engine.submit(escape).result(5)
    assert engine.submit(later).result(5) == "still running"

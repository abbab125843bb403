"""Producing the sample of one datapoint: given in the data, from the user's target, or
from a model through the call engine. No pytest import.

Every path returns a ``concurrent.futures.Future`` so that callers can start samples ahead
of the item that waits for them.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol, TypeVar

from .errors import SampleError
from .prompts import build_messages
from .records import Sample
from .spec import Datapoint, EvalSpec, ModelRef
from .targets import Target, is_async, sample_from_return

T = TypeVar("T")


class Engine(Protocol):
    def submit_chat(
        self,
        model: ModelRef,
        messages: list[dict[str, str]],
        *,
        timeout_s: float | None = None,
        retries: int | None = None,
        group: str | None = None,
        group_limit: int | None = None,
    ) -> Future[Sample]: ...

    def submit_coroutine(self, factory: Callable[[], Awaitable[T]]) -> Future[T]: ...


@dataclass(frozen=True)
class SampleSource:
    """Where one eval's samples come from: exactly one of a model, a target or the data."""

    spec: EvalSpec
    model: ModelRef | None
    target: Target | None


def _done(sample: Sample) -> Future[Sample]:
    future: Future[Sample] = Future()
    future.set_result(sample)
    return future


def _failed(error: BaseException) -> Future[Sample]:
    future: Future[Sample] = Future()
    future.set_exception(error)
    return future


def _target_failure(exc: BaseException) -> SampleError:
    # Show the user's frames only: the first frame is ours.
    tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
    text = "".join(traceback.format_exception(type(exc), exc, tb)).rstrip()
    return SampleError(f"the target raised {type(exc).__name__}: {exc}\n\n{text}")


def _call_sync_target(target: Target, datapoint: Datapoint) -> Future[Sample]:
    started = time.perf_counter()
    try:
        value = target(datapoint.data)
    except Exception as exc:
        return _failed(_target_failure(exc))
    latency_ms = (time.perf_counter() - started) * 1000
    try:
        return _done(sample_from_return(value, latency_ms=latency_ms))
    except SampleError as exc:
        return _failed(exc)


def _call_async_target(target: Target, datapoint: Datapoint, engine: Engine) -> Future[Sample]:
    async def run() -> Sample:
        started = time.perf_counter()
        try:
            value = await target(datapoint.data)
        except Exception as exc:
            raise _target_failure(exc) from None
        return sample_from_return(value, latency_ms=(time.perf_counter() - started) * 1000)

    return engine.submit_coroutine(run)


def start_sample(
    source: SampleSource, datapoint: Datapoint, engine: Callable[[], Engine]
) -> Future[Sample]:
    """Start producing one sample; ``engine`` is called only when a call is needed."""
    if datapoint.has_output:
        return _done(Sample(output=datapoint.data["output"]))
    if source.target is not None:
        if is_async(source.target):
            return _call_async_target(source.target, datapoint, engine())
        return _call_sync_target(source.target, datapoint)
    if source.model is None:
        return _failed(SampleError("the datapoint has no 'output' and the eval no model"))
    spec = source.spec
    return engine().submit_chat(
        source.model,
        build_messages(spec, datapoint),
        timeout_s=spec.timeout_s,
        retries=spec.retries,
        group=f"{spec.path}::{source.model.label}",
        group_limit=spec.concurrency,
    )


def can_start_early(source: SampleSource, datapoint: Datapoint) -> bool:
    """Whether the sample can be started before the item runs: model calls and async
    targets run on the engine's loop; a sync target runs in the item, where its output
    is captured."""
    if datapoint.has_output:
        return False
    if source.target is not None:
        return is_async(source.target)
    return source.model is not None


def wait_sample(future: Future[Sample]) -> Sample:
    """Block until the sample is there; anything but SampleError becomes one."""
    try:
        return future.result()
    except SampleError:
        raise
    except Exception as exc:
        raise SampleError(f"{type(exc).__name__}: {exc}") from exc

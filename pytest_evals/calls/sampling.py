"""Producing the samples of one datapoint: given in the data, from the user's target, or
from a model through the call engine. No pytest import.

Model calls and async targets are coroutines on the engine's loop (``produce``); a sync
target runs where the item runs, so pytest captures its output (``produce_here``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ..errors import SampleError, user_traceback
from ..records import Sample, TokenUsage
from ..spec.model import Datapoint, EvalSpec, ModelRef
from ..spec.prompts import build_messages
from ..spec.references import Target, is_async

T = TypeVar("T")


class Engine(Protocol):
    """What producing samples needs of the call engine (``engine.CallEngine``)."""

    def submit(self, factory: Callable[[], Coroutine[Any, Any, T]]) -> Future[T]: ...

    async def chat(
        self,
        model: ModelRef,
        messages: Sequence[Mapping[str, str]],
        *,
        timeout_s: float | None = None,
        retries: int | None = None,
        group: str | None = None,
        group_limit: int | None = None,
    ) -> Sample: ...

    async def bounded(
        self,
        factory: Callable[[], Awaitable[T]],
        *,
        group: str | None = None,
        group_limit: int | None = None,
    ) -> T: ...


@dataclass(frozen=True)
class SampleSource:
    """Where one eval's samples come from: exactly one of a model, a target or the data."""

    spec: EvalSpec
    model: ModelRef | None
    target: Target | None

    @property
    def on_engine(self) -> bool:
        """Model calls and async targets run on the engine's loop; a sync target and a
        given output don't."""
        if self.target is not None:
            return is_async(self.target)
        return self.model is not None

    @property
    def group(self) -> str:
        """The calls an eval's ``concurrency`` bounds together."""
        who = self.model.label if self.model is not None else "target"
        return f"{self.spec.path}::{who}"


def sample_from_return(value: Any, *, latency_ms: float) -> Sample:
    """A target returns a string, or a mapping with ``output`` and optional ``tokens``,
    ``cost`` and ``metadata``."""
    if isinstance(value, Mapping):
        if "output" not in value:
            raise SampleError(
                f"the target returned a mapping without 'output' (keys: {sorted(value)})"
            )
        tokens_value = value.get("tokens")
        tokens: TokenUsage | None = None
        if isinstance(tokens_value, Mapping):
            tokens = TokenUsage(tokens_value.get("prompt"), tokens_value.get("completion"))
        elif isinstance(tokens_value, int):
            tokens = TokenUsage(None, tokens_value)
        cost = value.get("cost")
        return Sample(
            output=value["output"],
            latency_ms=latency_ms,
            tokens=tokens,
            cost=float(cost) if isinstance(cost, (int, float)) else None,
            metadata=dict(value.get("metadata") or {}),
        )
    return Sample(output=value, latency_ms=latency_ms)


def _target_failure(exc: BaseException) -> SampleError:
    return SampleError(f"the target raised {type(exc).__name__}: {exc}\n\n{user_traceback(exc)}")


# What user code may raise that is the datapoint's failure, not the session's: SystemExit
# too (a sys.exit() deep in a library). A sync target's KeyboardInterrupt is left alone: in
# the main thread it is how Ctrl-C arrives.
_USER_FAILURES = (Exception, SystemExit)


def given_sample(datapoint: Datapoint) -> Sample:
    return Sample(output=datapoint.data["output"])


def produce_here(source: SampleSource, datapoint: Datapoint) -> Sample:
    """The sample of a datapoint whose output is given or whose target is sync."""
    if datapoint.has_output:
        return given_sample(datapoint)
    if source.target is None:
        raise SampleError("the datapoint has no 'output' and the eval no model")
    started = time.perf_counter()
    try:
        value = source.target(datapoint.data)
    except _USER_FAILURES as exc:
        raise _target_failure(exc) from None
    return sample_from_return(value, latency_ms=(time.perf_counter() - started) * 1000)


async def _async_target(
    target: Target, source: SampleSource, datapoint: Datapoint, engine: Engine
) -> Sample:
    spec = source.spec

    async def run() -> Sample:
        started = time.perf_counter()
        try:
            call = target(datapoint.data)
            value = await (
                call if spec.timeout_s is None else asyncio.wait_for(call, spec.timeout_s)
            )
        except asyncio.TimeoutError:
            raise SampleError(f"the target timed out after {spec.timeout_s:g} s") from None
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            # On the engine's thread no Ctrl-C arrives: a KeyboardInterrupt or SystemExit
            # here is the target's own, and must not stop the loop every call runs on.
            raise _target_failure(exc) from None
        return sample_from_return(value, latency_ms=(time.perf_counter() - started) * 1000)

    return await engine.bounded(run, group=source.group, group_limit=spec.concurrency)


async def produce(source: SampleSource, datapoint: Datapoint, engine: Engine) -> Sample:
    """One sample, on the engine's loop: a model call or an async target."""
    spec = source.spec
    if source.target is not None:
        return await _async_target(source.target, source, datapoint, engine)
    if source.model is None:
        raise SampleError("the datapoint has no 'output' and the eval no model")
    return await engine.chat(
        source.model,
        build_messages(spec, datapoint),
        timeout_s=spec.timeout_s,
        retries=spec.retries,
        group=source.group,
        group_limit=spec.concurrency,
    )

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
from ..records import Embedded, Sample, TokenUsage
from ..spec.model import Datapoint, EvalSpec, ModelRef
from ..spec.prompts import build_messages
from ..spec.references import Target, is_async
from ..spec.templates import TemplateError
from ..values import is_json_data, number_problem

T = TypeVar("T")


class Engine(Protocol):
    """What producing samples needs of the call engine (``engine.CallEngine``)."""

    stop_reason: str | None
    """Why no new calls start (``--evals-max-cost`` reached), once they don't."""

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
        json_schema: Mapping[str, Any] | None = None,
    ) -> Sample: ...

    async def embed(self, model: ModelRef, texts: Sequence[str]) -> Embedded: ...

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
    parameters: tuple[str, ...] = ()
    """What the target asks for by name (``references.target_parameters``); empty: the
    datapoint as its one positional parameter."""

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


def _returned(problem: str) -> SampleError:
    return SampleError(
        f"the target returned {problem}; a target returns a string, or a mapping with "
        "'output' and optional 'tokens' {prompt, completion}, 'cost' (USD) and 'metadata'"
    )


def _count(value: Any, what: str) -> int | None:
    if value is not None and number_problem(value, whole=True, minimum=0) is not None:
        raise _returned(f"{what} {value!r}, not a whole number >= 0")
    return value  # type: ignore[no-any-return]


def _tokens(value: Any) -> TokenUsage | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        unknown = sorted(str(k) for k in value if k not in ("prompt", "completion", "total"))
        if unknown:
            raise _returned(f"tokens with unknown keys {unknown}")
        return TokenUsage(
            _count(value.get("prompt"), "tokens.prompt"),
            _count(value.get("completion"), "tokens.completion"),
        )
    return TokenUsage(None, _count(value, "tokens"))


def sample_from_return(value: Any, *, latency_ms: float) -> Sample:
    """What a target returned, checked: a string (or any JSON value), or a mapping with
    ``output`` and optional ``tokens``, ``cost`` and ``metadata``. Anything else is one clear
    error on the datapoint, never a crash in a summary or a report that is not JSON."""
    if not isinstance(value, Mapping):
        output: Any = value
        tokens, cost = None, None
        metadata: Any = {}
    else:
        if "output" not in value:
            raise _returned(f"a mapping without 'output' (keys: {sorted(map(str, value))})")
        output = value["output"]
        tokens = _tokens(value.get("tokens"))
        cost = value.get("cost")
        if cost is not None and number_problem(cost, minimum=0) is not None:
            raise _returned(f"cost {cost!r}, not a number of USD >= 0")
        metadata = value.get("metadata") or {}
        if not isinstance(metadata, Mapping) or not is_json_data(dict(metadata)):
            raise _returned(f"metadata {metadata!r}, not a mapping of JSON values")
    if output is None:
        raise _returned("None as its output")
    if not is_json_data(output):
        raise _returned(f"an output of type {type(output).__name__}, which is not JSON data")
    return Sample(
        output=output,
        latency_ms=latency_ms,
        tokens=tokens,
        cost=None if cost is None else float(cost),
        metadata=dict(metadata),
    )


def _target_failure(exc: BaseException) -> SampleError:
    return SampleError(f"the target raised {type(exc).__name__}: {exc}\n\n{user_traceback(exc)}")


# What user code may raise that is the datapoint's failure, not the session's: SystemExit
# too (a sys.exit() deep in a library). A sync target's KeyboardInterrupt is left alone: in
# the main thread it is how Ctrl-C arrives.
_USER_FAILURES = (Exception, SystemExit)


def prompt_messages(source: SampleSource, datapoint: Datapoint) -> list[dict[str, str]] | None:
    """The chat the source renders for ``datapoint`` (for its model, or a target that takes
    ``prompt`` or ``messages``); None where it renders none. TemplateError if it can't."""
    if source.model is None and not {"prompt", "messages"} & set(source.parameters):
        return None
    return build_messages(source.spec, datapoint)


def _invoke(target: Target, source: SampleSource, datapoint: Datapoint) -> Any:
    """Call ``target`` (the source's) with what it asks for."""
    if not source.parameters:
        return target(datapoint.data)
    try:
        chat = prompt_messages(source, datapoint) or []
    except TemplateError as exc:
        raise SampleError(f"the target's prompt can't be rendered: {exc}") from None
    user = [m["content"] for m in chat if m["role"] == "user"]
    given = {
        "item": datapoint.data,
        "input": datapoint.input,
        "prompt": user[-1] if user else "",
        "messages": chat,
    }
    by_name: Callable[..., Any] = target
    return by_name(**{name: given[name] for name in source.parameters})


def produce_here(source: SampleSource, datapoint: Datapoint) -> Sample:
    """The sample of a datapoint whose output is given or whose target is sync."""
    if datapoint.has_output:
        return Sample(output=datapoint.data["output"])
    if source.target is None:
        raise SampleError("the datapoint has no 'output' and the eval no model")
    started = time.perf_counter()
    try:
        value = _invoke(source.target, source, datapoint)
    except SampleError:
        raise
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
            call = _invoke(target, source, datapoint)
            value = await (
                call if spec.timeout_s is None else asyncio.wait_for(call, spec.timeout_s)
            )
        except asyncio.TimeoutError:
            raise SampleError(f"the target timed out after {spec.timeout_s:g} s") from None
        except (asyncio.CancelledError, SampleError):
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

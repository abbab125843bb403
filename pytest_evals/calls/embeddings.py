"""Embedding calls, batched: the texts that datapoints ask one model to embed while its
request waits to go out (the same turn of the engine's loop, or while it waits for a free
connection slot) go out as one request (up to ``MAX_BATCH`` texts), each distinct text
once: a text already on its way waits for that answer. Each text is cached on its own, so
a later run asks only for the texts it has not seen. On the engine's loop only. No pytest
import.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from ..errors import CallCancelled, SampleError
from ..records import Embedded, Sample, TokenUsage, sum_known
from ..spec.model import ModelRef

MAX_BATCH = 64
"""Texts per embeddings request: OpenAI takes up to 2,048, local servers far fewer."""
REQUESTS_IN_FLIGHT = 4
"""Embeddings requests of one model out at once: the texts that come while they are out
gather into the next batches instead of going one request each."""


@dataclass(frozen=True)
class EmbeddedText:
    """One text's vector, and its share of what the request that embedded it used."""

    vector: tuple[float, ...]
    prompt_tokens: int | None
    cost: float | None
    latency_ms: float | None
    cached: bool = False

    def unbilled(self) -> EmbeddedText:
        """The same vector for another datapoint that asked for the same text."""
        return replace(
            self,
            prompt_tokens=0 if self.prompt_tokens is not None else None,
            cost=0.0 if self.cost is not None else None,
        )


def combined(parts: Sequence[EmbeddedText]) -> Embedded:
    """One scorer's texts as what they used: one sample for those answered now, one for
    those the cache replayed (their recorded cost was not paid now)."""
    calls: list[Sample] = []
    for cached in (False, True):
        group = [p for p in parts if p.cached is cached]
        if not group:
            continue
        prompt = [p.prompt_tokens for p in group if p.prompt_tokens is not None]
        latencies = [p.latency_ms for p in group if p.latency_ms is not None]
        calls.append(
            Sample(
                output="",
                latency_ms=max(latencies) if latencies else None,
                tokens=TokenUsage(sum(prompt), 0) if prompt else None,
                cost=sum_known(p.cost for p in group),
                cached=cached,
            )
        )
    return Embedded(tuple(p.vector for p in parts), tuple(calls))


def shares(total: int | None, weights: Sequence[int]) -> list[int | None]:
    """``total`` split in proportion to ``weights`` in whole numbers that add up to it (the
    largest remainders get the units left over); unknown when ``total`` is."""
    if total is None:
        return [None] * len(weights)
    whole = sum(weights)
    if whole <= 0:
        raise ValueError("shares needs positive weights")
    exact = [total * w / whole for w in weights]
    floors = [int(x) for x in exact]
    left = total - sum(floors)
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - floors[i], reverse=True)
    for i in by_remainder[:left]:
        floors[i] += 1
    return list(floors)


class Batch:
    """Texts waiting to be embedded with one model. It takes more texts until its request
    is about to go out (``take``): a batch waiting for a free connection slot gathers the
    texts of every datapoint that comes meanwhile."""

    def __init__(self, model: ModelRef, limit: int, closed: Callable[[Batch], None]) -> None:
        self.model = model
        self._limit = limit
        self._closed = closed
        self._futures: dict[str, list[asyncio.Future[EmbeddedText]]] = {}
        self._taken: list[str] | None = None

    @property
    def open(self) -> bool:
        return self._taken is None and len(self._futures) < self._limit

    def join(self, text: str, future: asyncio.Future[EmbeddedText]) -> bool:
        """Wait for ``text``'s vector with the others who asked for it, if this batch has it
        (open, or out already): one request, billed once."""
        waiting = self._futures.get(text)
        if waiting is None:
            return False
        waiting.append(future)
        return True

    def add(self, text: str, future: asyncio.Future[EmbeddedText]) -> None:
        self._futures.setdefault(text, []).append(future)
        if not self.open:
            self._closed(self)

    def take(self) -> list[str]:
        """The distinct texts to send; the batch takes no more. The same list on every
        attempt."""
        if self._taken is None:
            self._taken = list(self._futures)
            self._closed(self)
        return self._taken

    def settle(self, results: Sequence[EmbeddedText]) -> None:
        for text, result in zip(self.take(), results, strict=True):
            billed = result
            for future in self._futures[text]:
                if not future.done():  # its datapoint may have been cancelled
                    # A text two datapoints share went out once: billed to the first still
                    # waiting for it, once.
                    future.set_result(billed)
                    billed = result.unbilled()

    def fail(self, failure: BaseException) -> None:
        for futures in self._futures.values():
            for future in futures:
                if not future.done():
                    future.set_exception(failure)
                    # Retrieved by whoever awaits it; a datapoint that left must not warn.
                    with contextlib.suppress(BaseException):
                        future.exception()


SendBatch = Callable[[Batch], Awaitable[list[EmbeddedText]]]
"""Sends a batch: calls ``take()`` when its request is about to go out, and returns one
result per text taken."""


class EmbeddingBatcher:
    """Gathers texts per model into batches and sends each batch with ``send``."""

    def __init__(
        self, send: SendBatch, *, limit: int = MAX_BATCH, in_flight: int = REQUESTS_IN_FLIGHT
    ) -> None:
        self._send = send
        self._limit = limit
        self._in_flight = in_flight
        self._slots: dict[ModelRef, asyncio.Semaphore] = {}
        self._open: dict[ModelRef, Batch] = {}
        self._unsettled: dict[ModelRef, list[Batch]] = {}
        """Per model, the batches not answered yet, open or out."""
        self._running: set[asyncio.Task[None]] = set()

    def add(self, model: ModelRef, text: str) -> asyncio.Future[EmbeddedText]:
        """A future of ``text``'s vector."""
        future: asyncio.Future[EmbeddedText] = asyncio.get_running_loop().create_future()
        unsettled = self._unsettled.setdefault(model, [])
        if any(waiting.join(text, future) for waiting in unsettled):
            return future
        batch = self._open.get(model)
        if batch is None:
            batch = self._open[model] = Batch(model, self._limit, self._close)
            unsettled.append(batch)
            task = asyncio.ensure_future(self._run(batch))
            # The loop keeps only weak references to tasks.
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        batch.add(text, future)
        return future

    def _close(self, batch: Batch) -> None:
        if self._open.get(batch.model) is batch:
            del self._open[batch.model]

    async def _run(self, batch: Batch) -> None:
        label = batch.model.label
        slot = self._slots.get(batch.model)
        if slot is None:
            slot = self._slots[batch.model] = asyncio.Semaphore(self._in_flight)
        try:
            async with slot:
                batch.settle(await self._send(batch))
        except SampleError as exc:
            batch.fail(exc)
        except asyncio.CancelledError:
            batch.fail(CallCancelled(f"the embeddings call to {label} was cancelled"))
            raise
        except Exception as exc:  # a provider bug must cost these datapoints, not the loop
            batch.fail(SampleError(f"embeddings of {label}: {type(exc).__name__}: {exc}"))
        finally:
            self._close(batch)
            self._unsettled[batch.model].remove(batch)

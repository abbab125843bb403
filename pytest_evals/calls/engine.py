"""The call engine: every model call, async target and async scorer of a process runs on one
event loop in a background thread. Items submit their datapoint's work (``pipeline.py``) and
get a ``concurrent.futures.Future`` back, so the calls of the items coming next are in flight
while pytest runs the current one.

One call goes through fixed stages: the response cache; the session budget; the concurrency
slots (process cap, connection, eval); the connection's pause after clustered 429s and its
rate limits (shared by every process of the session); the attempts with backoff; then the
spend and the cache write.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..errors import BudgetExceeded, CallCancelled, SampleError
from ..providers import (
    ChatRequest,
    ChatResponse,
    EmbeddingProvider,
    EmbeddingRequest,
    EmbeddingResponse,
    Provider,
    ProviderError,
    ProviderFactory,
    make_provider,
)
from ..records import Embedded, Sample, TokenUsage
from ..redact import redact
from ..spec.connections import Connection, missing_key_message
from ..spec.model import ModelRef
from .cache import CachedResponse, CacheMode, ResponseCache, cache_key, mode_reads, mode_writes
from .embeddings import Batch, EmbeddedText, EmbeddingBatcher, combined, shares
from .limits import RateLimit, SessionShared, SpendLedger
from .pricing import cost_usd
from .retry import BackoffPolicy, backoff_delay

T = TypeVar("T")
R = TypeVar("R")

_CLOSE_TIMEOUT_S = 5.0
DOWN_AFTER = 5
"""Connection failures in a row, across datapoints, after which a connection looks down."""
_LOG = logging.getLogger(__name__)
_TOKENS_PER_CHAR = 0.25  # a rough prompt-size estimate for tokens_per_minute
_DEFAULT_COMPLETION_TOKENS = 256


@dataclass(frozen=True)
class CacheSettings:
    """The cache mode, and where a connection's responses live (None: not cached)."""

    mode: CacheMode
    store_for: Callable[[Connection], ResponseCache | None]


def _first(*values: T | None) -> T:
    for value in values:
        if value is not None:
            return value
    raise ValueError("no value given")


def _estimated_tokens(request: ChatRequest) -> float:
    chars = sum(len(str(m.get("content", ""))) for m in request.messages)
    return chars * _TOKENS_PER_CHAR + (request.max_tokens or _DEFAULT_COMPLETION_TOKENS)


def cache_material(connection: Connection, request: ChatRequest) -> dict[str, object]:
    """Everything that determines a response; never the key or other headers."""
    material: dict[str, object] = {
        "provider": connection.provider,
        "base_url": connection.base_url,
        "model": request.model,
        "messages": [dict(m) for m in request.messages],
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
        "seed": request.seed,
        "params": {**connection.params, **request.params},
    }
    if request.json_schema is not None:
        # Only then: the keys of every response recorded before judges existed still hold.
        material["structured_output"] = {
            "form": connection.structured_output,
            "schema": dict(request.json_schema),
        }
    return material


def embedding_material(connection: Connection, model: ModelRef, text: str) -> dict[str, object]:
    """What determines one text's vector: the server, the model and its params."""
    return {
        "endpoint": "embeddings",
        "provider": connection.provider,
        "base_url": connection.base_url,
        "model": model.name,
        "params": dict(model.params),
        "input": text,
    }


@dataclass(frozen=True)
class _Sent(Generic[R]):
    """A request's answer, with the milliseconds from the first attempt to the success
    (retries and backoff included: what the user of the model waits), the successful
    attempt's milliseconds, and how many attempts it took."""

    response: R
    latency_ms: float
    attempt_ms: float
    attempts: int


@dataclass
class _ConnectionState:
    """Per connection, on the loop's thread."""

    provider: Provider
    slot: asyncio.Semaphore
    requests: RateLimit | None
    tokens: RateLimit | None
    pause_until: float = 0.0
    connect_failures: int = 0
    """Calls in a row, across datapoints, that could not connect at all."""
    down: str | None = None
    """Why the connection looks down (its last connection failure), once it does."""
    not_attempted: int = 0


class CallEngine:
    """Model calls for one pytest process. Constructing it does no I/O and starts no thread;
    the loop starts with the first submission."""

    def __init__(
        self,
        connections: Mapping[str, Connection],
        *,
        environ: Mapping[str, str],
        timeout_override: float | None = None,
        retries_override: int | None = None,
        concurrency_cap: int | None = None,
        backoff: BackoffPolicy | None = None,
        rand: Callable[[], float] = random.random,
        cache: CacheSettings | None = None,
        shared: SessionShared | None = None,
        max_cost_usd: float | None = None,
        provider_factories: Mapping[str, ProviderFactory] | None = None,
    ) -> None:
        self._provider_factories = provider_factories
        self._connections = connections
        self._environ = environ
        self._timeout_override = timeout_override
        self._retries_override = retries_override
        self._concurrency_cap = concurrency_cap
        self._backoff = backoff or BackoffPolicy()
        self._rand = rand
        self._cache = cache
        self._shared = shared
        self._ledger: SpendLedger | None = shared.ledger() if shared and max_cost_usd else None
        self._max_cost_usd = max_cost_usd
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self.stop_reason: str | None = None
        # Touched only on the loop's thread.
        self._states: dict[str, _ConnectionState] = {}
        self._groups: dict[str, asyncio.Semaphore] = {}
        self._process_slot: asyncio.Semaphore | None = None
        self._batcher: EmbeddingBatcher | None = None
        self._embeddings_reported: set[str] = set()
        """Cache keys of the embeddings whose recorded spend was counted once already."""

    # -- the loop --------------------------------------------------------------------------

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise RuntimeError("the call engine is closed")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()
                thread = threading.Thread(
                    target=self._serve, args=(loop, ready), name="pytest-evals-calls", daemon=True
                )
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
            return self._loop

    @staticmethod
    def _serve(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        while True:
            try:
                loop.run_forever()
                return  # stopped by close()
            except BaseException:
                # A SystemExit or KeyboardInterrupt raised by user code in a task escapes the
                # loop (that task holds it as its result); every other call must go on, or
                # the items waiting on them would wait forever.
                continue

    @property
    def started(self) -> bool:
        return self._loop is not None

    def _slot_for_process(self) -> asyncio.Semaphore | None:
        if self._concurrency_cap is not None and self._process_slot is None:
            self._process_slot = asyncio.Semaphore(self._concurrency_cap)
        return self._process_slot

    def submit(self, factory: Callable[[], Coroutine[Any, Any, T]]) -> Future[T]:
        """Run a coroutine on the engine's loop: a datapoint's pipeline (its samples, then
        its async scorers). Unbounded itself: the calls and targets inside take slots."""
        loop = self._running_loop()  # first: a closed engine creates no coroutine
        return asyncio.run_coroutine_threadsafe(factory(), loop)

    async def bounded(
        self,
        factory: Callable[[], Awaitable[T]],
        *,
        group: str | None = None,
        group_limit: int | None = None,
    ) -> T:
        """On the loop: run ``factory()`` (an async target) under the process's concurrency
        cap and its ``group``'s limit (an eval's ``concurrency``)."""
        async with contextlib.AsyncExitStack() as slots:
            for slot in (self._slot_for_process(), self._group_slot(group, group_limit)):
                if slot is not None:
                    await slots.enter_async_context(slot)
            return await factory()

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
    ) -> Sample:
        """On the loop: one chat call. Timeout and retries: the command line's, else the
        eval's, else the connection's. ``group_limit`` bounds the calls in flight of one
        ``group`` (an eval's ``concurrency``). ``json_schema``: ask for a JSON object that
        matches it (a judge's verdict). Scorers reach this as their ``ModelClient``."""
        connection = self._connections[model.connection]
        request = ChatRequest(
            model=model.name,
            messages=tuple(dict(m) for m in messages),
            temperature=model.temperature,
            max_tokens=model.max_tokens,
            seed=model.seed,
            params=model.params,
            json_schema=json_schema,
        )
        timeout = _first(self._timeout_override, timeout_s, connection.timeout_s)
        attempts = 1 + _first(self._retries_override, retries, connection.retries)
        return await self._call(connection, request, timeout, attempts, group, group_limit)

    async def embed(self, model: ModelRef, texts: Sequence[str]) -> Embedded:
        """On the loop: the vectors of ``texts`` from ``model``'s embeddings endpoint. Texts
        the cache holds are not sent; the others go out batched with those of other
        datapoints (``embeddings.py``), through the same limits, retries and budget as a
        chat call. Scorers reach this as their ``ModelClient``."""
        connection = self._connections[model.connection]
        parts: list[EmbeddedText | asyncio.Future[EmbeddedText]] = []
        for text in texts:
            hit = self._cached_vector(connection, model, text)
            if hit is None:
                if self._batcher is None:
                    self._batcher = EmbeddingBatcher(self._embed_batch)
                parts.append(self._batcher.add(model, text))
            else:
                parts.append(hit)
        return combined([p if isinstance(p, EmbeddedText) else await p for p in parts])

    def _cached_vector(
        self, connection: Connection, model: ModelRef, text: str
    ) -> EmbeddedText | None:
        if self._cache is None or not mode_reads(self._cache.mode):
            return None
        store = self._cache.store_for(connection)
        key = cache_key(embedding_material(connection, model, text))
        hit = store.get(key) if store is not None else None
        vector = _vector(hit.text) if hit is not None else None
        if hit is None or vector is None:
            if self._cache.mode == "replay":
                raise SampleError(
                    "an embedding not in the response cache, and --evals-cache replay makes "
                    "no calls"
                )
            return None
        embedded = EmbeddedText(vector, hit.prompt_tokens, hit.cost, hit.latency_ms, cached=True)
        if key in self._embeddings_reported:
            # Live, a text that several datapoints share goes out once and is billed once;
            # its recording counts once a process too, or a replay would cost more than
            # the run it replays.
            return embedded.unbilled()
        self._embeddings_reported.add(key)
        return embedded

    async def _embed_batch(self, batch: Batch) -> list[EmbeddedText]:
        """One embeddings request for the batch's texts: each text gets its share (by
        length) of the tokens and cost, and is cached on its own."""
        model = batch.model
        connection = self._connections[model.connection]

        def estimate() -> float:
            # Called once the request holds its slots: the batch takes no more texts now.
            return sum(len(t) for t in batch.take()) * _TOKENS_PER_CHAR

        if not isinstance(
            self._state(connection, self._api_key(connection)).provider, EmbeddingProvider
        ):
            raise SampleError(
                f"connection '{connection.name}' (provider '{connection.provider}') has no "
                "embeddings endpoint"
            )

        def send(provider: Provider, timeout: float) -> Awaitable[EmbeddingResponse]:
            assert isinstance(provider, EmbeddingProvider)  # checked above
            request = EmbeddingRequest(model.name, tuple(batch.take()), model.params)
            return provider.embed(request, timeout_s=timeout)

        sent = await self._send(
            connection,
            model.name,
            estimate,
            send,
            timeout_s=_first(self._timeout_override, connection.timeout_s),
            attempts=1 + _first(self._retries_override, connection.retries),
        )
        texts = batch.take()
        total = sent.response.prompt_tokens
        cost = cost_usd(connection, model.name, TokenUsage.known(total, 0))
        self._record_spend(cost)
        token_shares = shares(total, [max(len(t), 1) for t in texts])
        store = None
        if self._cache is not None and mode_writes(self._cache.mode):
            store = self._cache.store_for(connection)
        # Keys only where they are used: a store to write, or later hits to count once.
        keyed = store is not None or (self._cache is not None and mode_reads(self._cache.mode))
        embedded: list[EmbeddedText] = []
        for text, vector, tokens in zip(texts, sent.response.vectors, token_shares, strict=True):
            # Prices are per token: a text's share of the tokens is its share of the cost.
            part_cost = None if cost is None or not total else cost * (tokens or 0) / total
            part = EmbeddedText(vector, tokens, part_cost, sent.latency_ms)
            embedded.append(part)
            if not keyed:
                continue
            key = cache_key(embedding_material(connection, model, text))
            self._embeddings_reported.add(key)
            if store is not None:
                store.put(
                    key,
                    CachedResponse(
                        text=json.dumps(vector),
                        prompt_tokens=part.prompt_tokens,
                        completion_tokens=0,
                        model=sent.response.model,
                        latency_ms=part.latency_ms,
                        cost=part.cost,
                    ),
                )
        return embedded

    # -- one call ---------------------------------------------------------------------------

    def _api_key(self, connection: Connection) -> str | None:
        if connection.api_key_env is None:
            return None
        key = self._environ.get(connection.api_key_env)
        if not key:
            raise SampleError(missing_key_message(connection))
        return key

    def _state(self, connection: Connection, api_key: str | None) -> _ConnectionState:
        state = self._states.get(connection.name)
        if state is None:
            try:
                provider = make_provider(connection, api_key, factories=self._provider_factories)
            except ProviderError as exc:
                raise SampleError(exc.message) from None
            limit = connection.max_concurrency
            if self._concurrency_cap is not None:
                limit = min(limit, self._concurrency_cap)
            shared = self._shared
            state = self._states[connection.name] = _ConnectionState(
                provider=provider,
                slot=asyncio.Semaphore(max(limit, 1)),
                requests=(
                    shared.rate_limit(f"{connection.name}-requests", connection.requests_per_minute)
                    if shared and connection.requests_per_minute
                    else None
                ),
                tokens=(
                    shared.rate_limit(f"{connection.name}-tokens", connection.tokens_per_minute)
                    if shared and connection.tokens_per_minute
                    else None
                ),
            )
        return state

    def _group_slot(self, group: str | None, limit: int | None) -> asyncio.Semaphore | None:
        if group is None or limit is None:
            return None
        slot = self._groups.get(group)
        if slot is None:
            slot = self._groups[group] = asyncio.Semaphore(limit)
        return slot

    def _cached(self, connection: Connection, key: str) -> Sample | None:
        if self._cache is None or not mode_reads(self._cache.mode):
            return None
        store = self._cache.store_for(connection)
        hit = store.get(key) if store is not None else None
        if hit is None:
            if self._cache.mode == "replay":
                raise SampleError(
                    "not in the response cache, and --evals-cache replay makes no calls"
                )
            return None
        return Sample(
            output=hit.text,
            latency_ms=hit.latency_ms,
            tokens=TokenUsage.known(hit.prompt_tokens, hit.completion_tokens),
            cost=hit.cost,
            cached=True,
            metadata={"response_model": hit.model},
        )

    def _check_budget(self, *, read_ledger: bool) -> None:
        """Stopped already, or (reading the session's ledger, a locked file) now over."""
        if self.stop_reason is not None:
            raise BudgetExceeded(self.stop_reason)
        if read_ledger and self._ledger is not None and self._max_cost_usd is not None:
            total = self._ledger.total()
            if total >= self._max_cost_usd:
                self._stop_for_budget(total)
                raise BudgetExceeded(self.stop_reason or "budget reached")

    def _stop_for_budget(self, total: float) -> None:
        # No call starts after this (each checks before its first attempt and before every
        # retry). The calls already sent are not cancelled: the server answers them and
        # bills for them whether or not we listen, so their results and spend are kept.
        self.stop_reason = (
            f"--evals-max-cost {self._max_cost_usd:g} reached: the session had spent "
            f"{_usd(total)} then; no new calls start, those already sent finish"
        )

    async def _call(
        self,
        connection: Connection,
        request: ChatRequest,
        timeout_s: float,
        attempts: int,
        group: str | None,
        group_limit: int | None,
    ) -> Sample:
        # The key is only worth hashing when there is a cache to use it.
        key = cache_key(cache_material(connection, request)) if self._cache is not None else ""
        cached = self._cached(connection, key)
        if cached is not None:
            return cached

        def send(provider: Provider, timeout: float) -> Awaitable[ChatResponse]:
            return provider.complete(request, timeout_s=timeout)

        sent = await self._send(
            connection,
            request.model,
            lambda: _estimated_tokens(request),
            send,
            timeout_s=timeout_s,
            attempts=attempts,
            group=group,
            group_limit=group_limit,
        )
        response = sent.response
        tokens = TokenUsage.known(response.prompt_tokens, response.completion_tokens)
        cost = cost_usd(connection, request.model, tokens)
        self._record_spend(cost)
        if self._cache is not None and mode_writes(self._cache.mode):
            store = self._cache.store_for(connection)
            if store is not None:
                store.put(
                    key,
                    CachedResponse(
                        text=response.text,
                        prompt_tokens=response.prompt_tokens,
                        completion_tokens=response.completion_tokens,
                        model=response.model,
                        latency_ms=sent.latency_ms,
                        cost=cost,
                    ),
                )
        return Sample(
            output=response.text,
            latency_ms=sent.latency_ms,
            tokens=tokens,
            cost=cost,
            metadata={
                "attempts": sent.attempts,
                "attempt_latency_ms": sent.attempt_ms,
                "response_model": response.model,
            },
        )

    async def _send(
        self,
        connection: Connection,
        model: str,
        estimated_tokens: Callable[[], float],
        send: Callable[[Provider, float], Awaitable[R]],
        *,
        timeout_s: float,
        attempts: int,
        group: str | None = None,
        group_limit: int | None = None,
    ) -> _Sent[R]:
        """One request to the connection's server, whatever its endpoint: the budget, the
        key, the concurrency slots, then the attempts."""
        self._check_budget(read_ledger=False)
        api_key = self._api_key(connection)
        state = self._state(connection, api_key)
        label = f"{connection.name}/{model}"
        process_slot = self._slot_for_process()
        group_slot = self._group_slot(group, group_limit)
        try:
            async with contextlib.AsyncExitStack() as slots:
                for slot in (process_slot, state.slot, group_slot):
                    if slot is not None:
                        await slots.enter_async_context(slot)
                self._check_budget(read_ledger=True)
                return await self._attempts(
                    state, send, estimated_tokens, timeout_s, attempts, label, api_key
                )
        except asyncio.CancelledError:
            if self.stop_reason is not None:
                # Cut short by the budget stop: the stop's, not the datapoint's, failure.
                raise BudgetExceeded(self.stop_reason) from None
            raise CallCancelled(f"the call to {label} was cancelled") from None

    def _record_spend(self, cost: float | None) -> None:
        if cost is None:
            return
        if self._ledger is not None and self._max_cost_usd is not None:
            total = self._ledger.add(cost)
            if total >= self._max_cost_usd and self.stop_reason is None:
                self._stop_for_budget(total)

    async def _wait_for_turn(
        self, state: _ConnectionState, estimated_tokens: Callable[[], float]
    ) -> None:
        """The connection's pause after a 429, then its request and token rate limits."""
        loop = asyncio.get_running_loop()
        while state.pause_until > loop.time():
            await asyncio.sleep(state.pause_until - loop.time())
        if state.requests is not None:
            await asyncio.sleep(state.requests.reserve())
        if state.tokens is not None:
            await asyncio.sleep(state.tokens.reserve(estimated_tokens()))

    async def _attempts(
        self,
        state: _ConnectionState,
        send: Callable[[Provider, float], Awaitable[R]],
        estimated_tokens: Callable[[], float],
        timeout_s: float,
        attempts: int,
        label: str,
        api_key: str | None,
    ) -> _Sent[R]:
        """The response, with the time it took (retries and backoff included), the
        successful attempt's time and how many attempts it took."""
        first_started = 0.0
        for attempt in range(1, attempts + 1):
            if state.down is not None:
                state.not_attempted += 1
                raise SampleError(
                    f"not attempted: the connection of {label} looks down after {DOWN_AFTER} "
                    f"calls in a row could not connect ({state.down})"
                )
            await self._wait_for_turn(state, estimated_tokens)
            # The budget may have been reached while this call waited its turn or backed off.
            self._check_budget(read_ledger=attempt > 1)
            started = time.perf_counter()
            if attempt == 1:
                first_started = started
            try:
                response = await asyncio.wait_for(send(state.provider, timeout_s), timeout_s)
                state.connect_failures = 0
                finished = time.perf_counter()
                return _Sent(
                    response,
                    (finished - first_started) * 1000,
                    (finished - started) * 1000,
                    attempt,
                )
            except (asyncio.TimeoutError, TimeoutError):
                error = ProviderError(f"timed out after {timeout_s:g} s", retryable=True)
            except ProviderError as exc:
                error = exc
            except Exception as exc:  # a provider bug must cost one datapoint, not the run
                error = ProviderError(f"{type(exc).__name__}: {exc}")
            self._count_connect_failure(state, error, label, api_key)
            if not error.retryable or attempt == attempts or state.down is not None:
                tries = f"{attempt} attempt" + ("s" if attempt != 1 else "")
                down = "; the connection looks down: not retried" if state.down else ""
                raise SampleError(
                    redact(
                        f"the call to {label} failed after {tries}: {error.message}{down}",
                        [api_key],
                    )
                )
            delay = backoff_delay(
                attempt, policy=self._backoff, retry_after=error.retry_after, rand=self._rand
            )
            reason = redact(error.message, [api_key])
            if error.status == 429:
                # 429s come in clusters: hold back every call of the connection, not just
                # this one, so the server gets the quiet it asked for.
                loop = asyncio.get_running_loop()
                state.pause_until = max(state.pause_until, loop.time() + delay)
                _LOG.warning("%s: rate limited (HTTP 429), pausing its calls %.2f s", label, delay)
            _LOG.info(
                "%s: attempt %d of %d failed (%s); retrying in %.2f s",
                label, attempt, attempts, reason, delay,
            )  # fmt: skip
            await asyncio.sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")

    @staticmethod
    def _count_connect_failure(
        state: _ConnectionState, error: ProviderError | None, label: str, api_key: str | None
    ) -> None:
        """A connection that refuses call after call is down: its remaining calls fail at
        once instead of each waiting out its retries. Timeouts and HTTP errors say the
        server is there, and reset the count."""
        if error is None or not error.connect_failure:
            state.connect_failures = 0
            return
        state.connect_failures += 1
        if state.connect_failures >= DOWN_AFTER and state.down is None:
            state.down = redact(error.message, [api_key])
            _LOG.warning(
                "%s: the connection looks down (%d calls in a row could not connect: %s); "
                "its remaining calls fail without being attempted",
                label, state.connect_failures, state.down,
            )  # fmt: skip

    # -- stopping ---------------------------------------------------------------------------

    def cancel_all(self) -> None:
        """Cancel every call in flight or waiting (``-x``, Ctrl-C, the end of the session)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._cancel_tasks)

    def _cancel_tasks(self) -> None:
        """On the loop's thread: cancel every task but the one running this."""
        current = asyncio.current_task()
        for task in asyncio.all_tasks():
            if task is not current:
                task.cancel()

    async def _close_providers(self) -> None:
        for name, state in self._states.items():
            if state.not_attempted:
                _LOG.warning(
                    "connection '%s' looked down: %d calls were not attempted (%s)",
                    name, state.not_attempted, state.down,
                )  # fmt: skip
            # Closing is best effort: the process is ending.
            with contextlib.suppress(Exception):
                await state.provider.aclose()
        self._states.clear()

    def close(self) -> None:
        """Cancel what is left, close the providers' connections and stop the loop.
        Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self.cancel_all()
        with contextlib.suppress(Exception):
            closing = asyncio.run_coroutine_threadsafe(self._close_providers(), loop)
            closing.result(_CLOSE_TIMEOUT_S)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(_CLOSE_TIMEOUT_S)
        if not thread.is_alive():
            loop.close()


def _vector(text: str) -> tuple[float, ...] | None:
    """A cached vector, or None when the entry is not one (then it is asked for again)."""
    try:
        values = json.loads(text)
    except ValueError:
        return None
    if not isinstance(values, list) or not values:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return None
    return tuple(float(v) for v in values)


def _usd(amount: float) -> str:
    """Cents for sums worth them; the digits that matter for the fractions of a cent a
    cheap model's calls cost (``$0.00003``, not ``$0.0000``)."""
    return f"${amount:,.2f}" if amount >= 1 else f"${amount:.6f}".rstrip("0").rstrip(".")

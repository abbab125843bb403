"""The call engine: every model call (and async target) of a process runs on one event loop
in a background thread. Items submit work and get a ``concurrent.futures.Future`` back, so
calls can be started ahead of the item that waits for them.

One call goes through fixed stages — key, provider, concurrency slot, attempts with backoff,
the sample — so the response cache, rate limits and cancellation each have one place to go.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Future
from typing import TypeVar

from .connections import Connection
from .errors import SampleError
from .pricing import cost_usd
from .providers import ChatRequest, ChatResponse, Provider, ProviderError, make_provider
from .records import Sample, TokenUsage
from .redact import redact
from .retry import BackoffPolicy, backoff_delay
from .spec import ModelRef

T = TypeVar("T")

_CLOSE_TIMEOUT_S = 5.0


def _first(*values: T | None) -> T:
    for value in values:
        if value is not None:
            return value
    raise ValueError("no value given")


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
    ) -> None:
        self._connections = connections
        self._environ = environ
        self._timeout_override = timeout_override
        self._retries_override = retries_override
        self._concurrency_cap = concurrency_cap
        self._backoff = backoff or BackoffPolicy()
        self._rand = rand
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        # Touched only on the loop's thread.
        self._providers: dict[str, Provider] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}

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
        loop.run_forever()

    @property
    def started(self) -> bool:
        return self._loop is not None

    def submit_coroutine(self, factory: Callable[[], Awaitable[T]]) -> Future[T]:
        """Run a coroutine (an async target, say) on the engine's loop."""

        async def run() -> T:
            return await factory()

        loop = self._running_loop()
        return asyncio.run_coroutine_threadsafe(run(), loop)

    def submit_chat(
        self,
        model: ModelRef,
        messages: list[dict[str, str]],
        *,
        timeout_s: float | None = None,
        retries: int | None = None,
    ) -> Future[Sample]:
        """Start one chat call. Timeout and retries: the command line's, else the eval's,
        else the connection's."""
        connection = self._connections[model.connection]
        request = ChatRequest(
            model=model.name,
            messages=tuple(messages),
            temperature=model.temperature,
            max_tokens=model.max_tokens,
            seed=model.seed,
            params=model.params,
        )
        timeout = _first(self._timeout_override, timeout_s, connection.timeout_s)
        attempts = 1 + _first(self._retries_override, retries, connection.retries)
        loop = self._running_loop()
        return asyncio.run_coroutine_threadsafe(
            self._call(connection, request, timeout, attempts), loop
        )

    # -- one call ---------------------------------------------------------------------------

    def _api_key(self, connection: Connection) -> str | None:
        if connection.api_key_env is None:
            return None
        key = self._environ.get(connection.api_key_env)
        if not key:
            raise SampleError(
                f"connection '{connection.name}' needs an API key: set the environment "
                f"variable {connection.api_key_env}"
            )
        return key

    def _provider(self, connection: Connection, api_key: str | None) -> Provider:
        provider = self._providers.get(connection.name)
        if provider is None:
            try:
                provider = make_provider(connection, api_key)
            except ProviderError as exc:
                raise SampleError(exc.message) from None
            self._providers[connection.name] = provider
        return provider

    def _slot(self, connection: Connection) -> asyncio.Semaphore:
        slot = self._slots.get(connection.name)
        if slot is None:
            limit = connection.max_concurrency
            if self._concurrency_cap is not None:
                limit = min(limit, self._concurrency_cap)
            slot = self._slots[connection.name] = asyncio.Semaphore(max(limit, 1))
        return slot

    async def _call(
        self, connection: Connection, request: ChatRequest, timeout_s: float, attempts: int
    ) -> Sample:
        api_key = self._api_key(connection)
        provider = self._provider(connection, api_key)
        label = f"{connection.name}/{request.model}"
        async with self._slot(connection):
            response, latency_ms, used = await self._attempts(
                provider, request, timeout_s, attempts, label, api_key
            )
        tokens = (
            None
            if response.prompt_tokens is None and response.completion_tokens is None
            else TokenUsage(response.prompt_tokens, response.completion_tokens)
        )
        return Sample(
            output=response.text,
            latency_ms=latency_ms,
            tokens=tokens,
            cost=cost_usd(connection, request.model, tokens),
            metadata={"attempts": used, "response_model": response.model},
        )

    async def _attempts(
        self,
        provider: Provider,
        request: ChatRequest,
        timeout_s: float,
        attempts: int,
        label: str,
        api_key: str | None,
    ) -> tuple[ChatResponse, float, int]:
        """The response, the successful attempt's latency and how many attempts it took."""
        for attempt in range(1, attempts + 1):
            started = time.perf_counter()
            try:
                response = await asyncio.wait_for(
                    provider.complete(request, timeout_s=timeout_s), timeout_s
                )
                return response, (time.perf_counter() - started) * 1000, attempt
            except (asyncio.TimeoutError, TimeoutError):
                error = ProviderError(f"timed out after {timeout_s:g} s", retryable=True)
            except ProviderError as exc:
                error = exc
            except Exception as exc:  # a provider bug must cost one datapoint, not the run
                error = ProviderError(f"{type(exc).__name__}: {exc}")
            if not error.retryable or attempt == attempts:
                tries = f"{attempt} attempt" + ("s" if attempt != 1 else "")
                raise SampleError(
                    redact(f"the call to {label} failed after {tries}: {error.message}", [api_key])
                )
            await asyncio.sleep(
                backoff_delay(
                    attempt, policy=self._backoff, retry_after=error.retry_after, rand=self._rand
                )
            )
        raise AssertionError("unreachable: the loop returns or raises")

    # -- shutdown ---------------------------------------------------------------------------

    async def _close_providers(self) -> None:
        for provider in self._providers.values():
            # Closing is best effort: the process is ending.
            with contextlib.suppress(Exception):
                await provider.aclose()
        self._providers.clear()

    def close(self) -> None:
        """Close the providers' connections and stop the loop. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(Exception):
            closing = asyncio.run_coroutine_threadsafe(self._close_providers(), loop)
            closing.result(_CLOSE_TIMEOUT_S)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(_CLOSE_TIMEOUT_S)
        if not thread.is_alive():
            loop.close()

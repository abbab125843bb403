"""The call engine and the OpenAI-compatible provider against a real HTTP server."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest

from pytest_evals.calls.engine import CallEngine
from pytest_evals.calls.retry import BackoffPolicy
from pytest_evals.errors import SampleError
from pytest_evals.providers import Provider, ProviderError, make_provider
from pytest_evals.providers.openai import OpenAIProvider
from pytest_evals.records import Sample
from pytest_evals.spec.connections import Connection, Prices
from pytest_evals.spec.model import ModelRef

from ...fakeserver import FakeOpenAI

KEY = "sk-test-DO-NOT-LEAK-8f3a9c"
FAST = BackoffPolicy(base_s=0.01, cap_s=0.05, max_retry_after_s=2.0)
MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]


def _chat(
    engine: CallEngine, model: ModelRef, messages: list[dict[str, str]], **options: Any
) -> Future[Sample]:
    return engine.submit(lambda: engine.chat(model, messages, **options))


def _engine(
    server: FakeOpenAI,
    *,
    key: str | None = KEY,
    max_concurrency: int = 16,
    timeout_s: float = 5.0,
    retries: int = 3,
    concurrency_cap: int | None = None,
) -> CallEngine:
    connection = Connection(
        name="local",
        provider="openai",
        base_url=server.base_url,
        api_key_env="FAKE_KEY",
        max_concurrency=max_concurrency,
        timeout_s=timeout_s,
        retries=retries,
        prices={"*": Prices(1.0, 2.0)},
    )
    environ = {"FAKE_KEY": key} if key else {}
    return CallEngine(
        {"local": connection}, environ=environ, backoff=FAST, concurrency_cap=concurrency_cap
    )


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(answers={"What is the capital of France?": "Paris"}) as running:
        yield running


MODEL = ModelRef("local", "fake-model", temperature=0.0, max_tokens=20, seed=7, params={"top_p": 1})


def test_a_call_produces_a_sample_with_tokens_cost_and_latency(server: FakeOpenAI) -> None:
    engine = _engine(server)
    try:
        sample = _chat(engine, MODEL, MESSAGES).result(10)
    finally:
        engine.close()
    assert sample.output == "Paris"
    assert sample.tokens is not None and sample.tokens.prompt == 6 and sample.tokens.completion == 1
    assert sample.cost == pytest.approx((6 * 1.0 + 1 * 2.0) / 1e6)
    assert sample.latency_ms is not None and sample.latency_ms > 0
    body = server.requests[0]["body"]
    assert body == {
        "model": "fake-model",
        "messages": MESSAGES,
        "temperature": 0.0,
        "max_tokens": 20,
        "seed": 7,
        "top_p": 1,
    }
    assert server.requests[0]["headers"]["Authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("fault", ["500", "malformed", "429"])
def test_retryable_faults_are_retried(server: FakeOpenAI, fault: str) -> None:
    server.fail_next(2, fault)
    engine = _engine(server)
    try:
        sample = _chat(engine, MODEL, MESSAGES).result(10)
    finally:
        engine.close()
    assert sample.output == "Paris"
    assert sample.metadata["attempts"] == 3
    assert server.faults_served == [fault, fault]


def test_retry_after_is_honoured(server: FakeOpenAI) -> None:
    server.retry_after_s = 0.3
    server.fail_next(1, "429")
    engine = _engine(server)
    try:
        _chat(engine, MODEL, MESSAGES).result(10)
    finally:
        engine.close()
    first, second = (r["at"] for r in server.requests)
    assert second - first >= 0.29


def test_latency_counts_the_retries_and_metadata_the_last_attempt(server: FakeOpenAI) -> None:
    server.retry_after_s = 0.3
    server.fail_next(1, "429")
    engine = _engine(server)
    try:
        sample = _chat(engine, MODEL, MESSAGES).result(10)
    finally:
        engine.close()
    assert sample.latency_ms is not None and sample.latency_ms >= 290
    assert 0 < sample.metadata["attempt_latency_ms"] < 290


def test_a_hanging_server_gives_an_error_after_the_timeout(server: FakeOpenAI) -> None:
    server.fail_next(5, "hang")
    engine = _engine(server, timeout_s=0.3, retries=1)
    started = time.monotonic()
    try:
        with pytest.raises(SampleError, match=r"failed after 2 attempts: timed out after 0.3 s"):
            _chat(engine, MODEL, MESSAGES).result(10)
    finally:
        engine.close()
    assert time.monotonic() - started < 3


def test_exhausted_retries_carry_the_status_and_provider_message(server: FakeOpenAI) -> None:
    server.fail_next(10, "500")
    engine = _engine(server, retries=2)
    try:
        with pytest.raises(SampleError) as caught:
            _chat(engine, MODEL, MESSAGES).result(10)
    finally:
        engine.close()
    message = str(caught.value)
    assert "local/fake-model failed after 3 attempts" in message
    assert "HTTP 500: The server had an error while processing your request" in message
    assert server.request_count == 3


def test_client_errors_are_not_retried_and_the_key_never_shows() -> None:
    with FakeOpenAI(require_key="the-right-key", echo_key_in_errors=True) as server:
        engine = _engine(server)
        try:
            with pytest.raises(SampleError) as caught:
                _chat(engine, MODEL, MESSAGES).result(10)
        finally:
            engine.close()
        assert server.request_count == 1
    message = str(caught.value)
    assert "HTTP 401: Incorrect API key provided" in message
    assert KEY not in message and "8f3a9c" not in message
    assert "[REDACTED]" in message


def test_missing_key_is_an_error_naming_the_variable(server: FakeOpenAI) -> None:
    engine = _engine(server, key=None)
    try:
        with pytest.raises(SampleError, match="set the environment variable FAKE_KEY"):
            _chat(engine, MODEL, MESSAGES).result(10)
    finally:
        engine.close()
    assert server.request_count == 0


def test_calls_in_flight_are_bounded_per_connection() -> None:
    with FakeOpenAI(latency_s=0.2) as server:
        engine = _engine(server, max_concurrency=8)
        started = time.monotonic()
        try:
            futures = [_chat(engine, MODEL, MESSAGES) for _ in range(40)]
            for future in futures:
                future.result(20)
        finally:
            engine.close()
        elapsed = time.monotonic() - started
    assert server.max_in_flight == 8
    assert elapsed < 2.0  # 40 calls x 0.2 s / 8 = 1 s, not 8 s


def test_the_server_takes_a_burst_of_slow_calls() -> None:
    # A second per call: long enough for the 64th connection to open, on a busy machine
    # too, before the first answer comes back.
    with FakeOpenAI(latency_s=1.0) as server:
        engine = _engine(server, max_concurrency=64)
        started = time.monotonic()
        try:
            for future in [_chat(engine, MODEL, MESSAGES) for _ in range(64)]:
                future.result(20)
        finally:
            engine.close()
        elapsed = time.monotonic() - started
    assert server.max_in_flight == 64
    assert elapsed < 12.0  # one at a time would take 64 s; loose, as CI machines are busy


def test_the_concurrency_cap_lowers_the_bound() -> None:
    with FakeOpenAI(latency_s=0.05) as server:
        engine = _engine(server, max_concurrency=8, concurrency_cap=2)
        try:
            for future in [_chat(engine, MODEL, MESSAGES) for _ in range(10)]:
                future.result(20)
        finally:
            engine.close()
    assert server.max_in_flight == 2


def test_coroutines_run_on_the_engine_loop(server: FakeOpenAI) -> None:
    engine = _engine(server)

    async def work() -> str:
        await asyncio.sleep(0.01)
        return threading.current_thread().name

    try:
        assert engine.submit(work).result(5) == "pytest-evals-calls"
    finally:
        engine.close()


def test_no_thread_until_used_and_close_is_idempotent(server: FakeOpenAI) -> None:
    before = threading.active_count()
    engine = _engine(server)
    assert not engine.started and threading.active_count() == before
    engine.close()
    engine.close()
    used = _engine(server)
    _chat(used, MODEL, MESSAGES).result(10)
    used.close()
    used.close()
    with pytest.raises(RuntimeError, match="closed"):
        _chat(used, MODEL, MESSAGES)


def test_connection_params_then_model_params_are_sent(server: FakeOpenAI) -> None:
    connection = Connection(
        name="local",
        provider="openai",
        base_url=server.base_url + "/",
        api_key_env=None,
        headers={"X-Team": "evals"},
        params={"top_p": 0.5, "user": "ci"},
    )
    engine = CallEngine({"local": connection}, environ={}, backoff=FAST)
    try:
        _chat(engine, MODEL, MESSAGES).result(10)
    finally:
        engine.close()
    sent = server.requests[0]
    assert sent["body"]["top_p"] == 1 and sent["body"]["user"] == "ci"
    assert sent["headers"]["X-Team"] == "evals"
    assert "Authorization" not in sent["headers"]


def test_an_unknown_provider_kind_is_an_error_naming_it(server: FakeOpenAI) -> None:
    connection = Connection("odd", "carrier-pigeon", server.base_url, None)
    engine = CallEngine({"odd": connection}, environ={}, backoff=FAST)
    try:
        with pytest.raises(SampleError, match="provider 'carrier-pigeon' is not supported"):
            _chat(engine, ModelRef("odd", "m"), MESSAGES).result(10)
    finally:
        engine.close()
    assert server.request_count == 0


def test_plugins_can_add_provider_kinds() -> None:
    made: list[str | None] = []

    def factory(connection: Connection, api_key: str | None) -> Provider:
        made.append(api_key)
        return OpenAIProvider(connection.base_url, api_key, headers={}, extra_params={})

    connection = Connection("mine", "mine", "http://127.0.0.1:1/v1", None)
    provider = make_provider(connection, "k", factories={"mine": factory})
    assert isinstance(provider, OpenAIProvider) and made == ["k"]
    with pytest.raises(ProviderError, match="known: anthropic, openai"):
        make_provider(connection, "k")


def test_the_anthropic_messages_api(server: FakeOpenAI) -> None:
    connection = Connection(
        name="claude",
        provider="anthropic",
        base_url=server.base_url,
        api_key_env="ANTHROPIC_KEY",
        prices={"*": Prices(3.0, 15.0)},
    )
    engine = CallEngine({"claude": connection}, environ={"ANTHROPIC_KEY": KEY}, backoff=FAST)
    system = {"role": "system", "content": "Be brief."}
    try:
        sample = _chat(
            engine, ModelRef("claude", "claude-x", temperature=0.0), [system, *MESSAGES]
        ).result(10)
    finally:
        engine.close()
    assert sample.output == "Paris"
    assert sample.tokens is not None and sample.tokens.prompt == 6
    request = server.requests[0]
    assert request["body"]["system"] == "Be brief."
    assert request["body"]["messages"] == MESSAGES
    assert request["body"]["max_tokens"] == 1024  # the API requires one
    assert request["headers"]["x-api-key"] == KEY
    assert request["headers"]["anthropic-version"] == "2023-06-01"
    assert "Authorization" not in request["headers"]


def test_a_429_holds_back_every_call_of_the_connection() -> None:
    with FakeOpenAI(latency_s=0.05, retry_after_s=0.8) as server:
        server.fail_next(1, "429")
        engine = _engine(server, max_concurrency=4)
        try:
            first = _chat(engine, MODEL, MESSAGES)
            # The others start once the 429 is in, so the order does not race.
            deadline = time.monotonic() + 5
            while not server.faults_served and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.1)
            others = [_chat(engine, MODEL, MESSAGES) for _ in range(7)]
            for future in [first, *others]:
                future.result(10)
        finally:
            engine.close()
        arrivals = sorted(r["at"] for r in server.requests)
    assert server.faults_served == ["429"] and len(arrivals) == 9
    # Every later call, not only the retried one, waited out the Retry-After before
    # reaching the server.
    assert all(at - arrivals[0] >= 0.8 for at in arrivals[1:]), [a - arrivals[0] for a in arrivals]

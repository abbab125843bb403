"""Pricing, backoff and redaction: pure functions."""

from __future__ import annotations

import email.utils

import pytest

from pytest_evals.connections import Connection, Prices
from pytest_evals.pricing import builtin_price, cost_usd
from pytest_evals.records import TokenUsage
from pytest_evals.redact import REDACTED, redact
from pytest_evals.retry import BackoffPolicy, backoff_delay, parse_retry_after


def _connection(base_url: str, prices: dict[str, Prices] | None = None) -> Connection:
    return Connection("c", "openai", base_url, None, prices=prices or {})


def test_configured_prices_per_model_and_for_every_model() -> None:
    per_model = _connection("http://127.0.0.1/v1", {"m": Prices(1.0, 2.0)})
    assert cost_usd(per_model, "m", TokenUsage(1_000_000, 500_000)) == pytest.approx(2.0)
    assert cost_usd(per_model, "other", TokenUsage(10, 10)) is None
    everyone = _connection("http://127.0.0.1/v1", {"*": Prices(0.5, 0.5)})
    assert cost_usd(everyone, "any", TokenUsage(2_000_000, 0)) == pytest.approx(1.0)


def test_builtin_table_only_on_the_vendor_api() -> None:
    tokens = TokenUsage(1_000_000, 1_000_000)
    vendor = _connection("https://api.openai.com/v1")
    assert cost_usd(vendor, "gpt-4o-mini-2024-07-18", tokens) == pytest.approx(0.15 + 0.60)
    local = _connection("http://127.0.0.1:8080/v1")
    assert cost_usd(local, "gpt-4o-mini", tokens) is None  # a local model is not OpenAI's
    assert builtin_price("claude-sonnet-4-20250514") == Prices(3.0, 15.0)
    assert builtin_price("my-finetune") is None


def test_unknown_tokens_mean_unknown_cost() -> None:
    connection = _connection("http://x/v1", {"*": Prices(1.0, 1.0)})
    assert cost_usd(connection, "m", None) is None
    assert cost_usd(connection, "m", TokenUsage(10, None)) is None


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("2", now=0) == 2.0
    assert parse_retry_after("0.5", now=0) == 0.5
    now = 1_700_000_000.0
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == (
        pytest.approx(30, abs=1)
    )
    assert parse_retry_after(None, now=now) is None
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after("nan", now=now) is None
    assert parse_retry_after("-5", now=now) == 0.0
    # A "-0000" zone parses as a naive datetime: still GMT, not local time.
    zoneless = email.utils.formatdate(now + 30)
    assert zoneless.endswith("-0000")
    assert parse_retry_after(zoneless, now=now) == pytest.approx(30, abs=1)


def test_backoff_grows_is_capped_jittered_and_honours_retry_after() -> None:
    policy = BackoffPolicy(base_s=1.0, cap_s=8.0, max_retry_after_s=60.0)
    ceilings = [
        backoff_delay(n, policy=policy, retry_after=None, rand=lambda: 1.0) for n in (1, 2, 3, 4, 5)
    ]
    assert ceilings == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert backoff_delay(3, policy=policy, retry_after=None, rand=lambda: 0.25) == 1.0
    assert backoff_delay(1, policy=policy, retry_after=5.0, rand=lambda: 0.5) == 5.0
    assert backoff_delay(1, policy=policy, retry_after=600.0, rand=lambda: 0.5) == 60.0
    assert backoff_delay(10_000, policy=policy, retry_after=None, rand=lambda: 1.0) == 8.0


def test_redact_known_secrets_and_key_shaped_tokens() -> None:
    text = "bad key secret-value-123 sent as Bearer abcdefghijkl and sk-proj-ABCDEFGH1234"
    cleaned = redact(text, ["secret-value-123", None, ""])
    assert "secret-value-123" not in cleaned
    assert "abcdefghijkl" not in cleaned and "ABCDEFGH1234" not in cleaned
    assert cleaned.count(REDACTED) == 3
    assert "Bearer [REDACTED]" in cleaned
    assert redact("nothing to hide", ["k"]) == "nothing to hide"


def test_redact_api_key_headers_overlapping_and_short_secrets() -> None:
    assert redact('{"x-api-key": "abcdefgh12345"}') == '{"x-api-key": "[REDACTED]"}'
    assert redact("key=abc-long-secret", ["abc", "abc-long-secret"]) == f"key={REDACTED}"
    assert redact("pin 1234", ["1234"]) == f"pin {REDACTED}"

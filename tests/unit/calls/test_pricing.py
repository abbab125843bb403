"""What a call cost: connection prices, the built-in table, unknown stays unknown."""

from __future__ import annotations

import pytest

from pytest_evals.calls.pricing import builtin_price, cost_usd
from pytest_evals.records import TokenUsage
from pytest_evals.spec.connections import Connection, Prices


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

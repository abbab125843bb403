"""The response cache: keys, round trips, and broken entries or folders that never crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_evals.calls.cache import CachedResponse, ResponseCache, cache_key
from pytest_evals.calls.engine import cache_material
from pytest_evals.providers import ChatRequest
from pytest_evals.spec.connections import Connection

RESPONSE = CachedResponse("Paris", 12, 1, "m", 123.4, 0.0002)


def _request(**changes: object) -> ChatRequest:
    fields: dict[str, object] = {
        "model": "m",
        "messages": ({"role": "user", "content": "Capital of France?"},),
        "temperature": 0.0,
        "max_tokens": 10,
    }
    fields.update(changes)
    return ChatRequest(**fields)  # type: ignore[arg-type]


def test_the_key_follows_everything_that_determines_the_response() -> None:
    base = Connection("c", "openai", "http://a/v1", "KEY_ENV")
    key = cache_key(cache_material(base, _request()))
    assert key == cache_key(cache_material(base, _request()))
    other_key_env = Connection("c", "openai", "http://a/v1", "OTHER_ENV", headers={"X": "1"})
    assert key == cache_key(cache_material(other_key_env, _request()))
    for changed in (
        cache_key(cache_material(Connection("c", "openai", "http://b/v1", None), _request())),
        cache_key(cache_material(base, _request(model="n"))),
        cache_key(cache_material(base, _request(temperature=0.5))),
        cache_key(cache_material(base, _request(params={"top_p": 0.9}))),
        cache_key(cache_material(base, _request(messages=({"role": "user", "content": "?"},)))),
    ):
        assert changed != key


def test_round_trip_and_miss(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path, warn=pytest.fail)
    assert cache.get("ab" * 32) is None
    cache.put("ab" * 32, RESPONSE)
    assert cache.get("ab" * 32) == RESPONSE
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_corrupt_entry_is_a_warned_miss(tmp_path: Path) -> None:
    warnings: list[str] = []
    cache = ResponseCache(tmp_path, warn=warnings.append)
    cache.put("cd" * 32, RESPONSE)
    (tmp_path / "cd" / f"{'cd' * 32}.json").write_text('{"text": 3, "latency_ms": "slow"}')
    assert cache.get("cd" * 32) is None
    assert len(warnings) == 1 and "corrupt" in warnings[0]


def test_a_file_where_the_folder_should_be_warns_once_and_caches_afresh(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("in the way")
    warnings: list[str] = []
    cache = ResponseCache(tmp_path / "cache", warn=warnings.append)
    cache.put("ef" * 32, RESPONSE)
    cache.put("01" * 32, RESPONSE)
    assert cache.get("ef" * 32) == RESPONSE and cache.get("01" * 32) == RESPONSE
    assert len(warnings) == 1 and "caching in a fresh folder" in warnings[0]
    assert cache.root != tmp_path / "cache"

"""Session-wide rate limits and spend, shared through small locked files."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from pytest_evals.calls.limits import RateLimit, SessionShared, SpendLedger


def test_reservations_are_spaced_by_the_rate(tmp_path: Path) -> None:
    now = [100.0]
    limit = RateLimit(tmp_path / "rate", per_minute=60, clock=lambda: now[0])
    assert [limit.reserve() for _ in range(3)] == [0.0, 1.0, 2.0]
    now[0] = 110.0  # idle time is not banked into a burst
    assert limit.reserve() == 0.0
    assert limit.reserve(units=5) == pytest.approx(1.0)
    assert limit.reserve() == pytest.approx(6.0)


def test_two_limiters_on_one_file_share_the_rate(tmp_path: Path) -> None:
    now = [0.0]
    first = RateLimit(tmp_path / "rate", per_minute=120, clock=lambda: now[0])
    second = RateLimit(tmp_path / "rate", per_minute=120, clock=lambda: now[0])
    assert [first.reserve(), second.reserve(), first.reserve()] == [0.0, 0.5, 1.0]


def test_a_garbled_file_starts_afresh(tmp_path: Path) -> None:
    (tmp_path / "rate").write_text("not a number")
    assert RateLimit(tmp_path / "rate", per_minute=60, clock=lambda: 5.0).reserve() == 0.0


def _spend(path: str) -> None:
    ledger = SpendLedger(Path(path))
    for _ in range(50):
        ledger.add(0.01)


def test_the_ledger_sums_spend_across_processes(tmp_path: Path) -> None:
    shared = SessionShared(tmp_path / "session")
    path = str(shared.ledger().path)
    workers = [multiprocessing.Process(target=_spend, args=(path,)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert shared.ledger().total() == pytest.approx(2.0)

"""Backoff with full jitter, at least as long as Retry-After asks."""

from __future__ import annotations

from pytest_evals.calls.retry import BackoffPolicy, backoff_delay


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

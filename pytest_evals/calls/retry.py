"""When to try a failed call again: exponential backoff with jitter, at least as long as the
server's ``Retry-After`` asks (read by ``providers.http``). Pure functions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class BackoffPolicy:
    base_s: float = 0.5
    cap_s: float = 20.0
    max_retry_after_s: float = 60.0


def backoff_delay(
    attempt: int,
    *,
    policy: BackoffPolicy,
    retry_after: float | None,
    rand: Callable[[], float],
) -> float:
    """The wait before retry number ``attempt`` (1 for the first retry).

    Full jitter (a uniform draw below the exponential ceiling) spreads the retries of many
    concurrent calls so they don't hit a recovering server at the same instant.
    """
    # The exponent is clamped so that absurd retry counts can't overflow the float.
    ceiling = min(policy.cap_s, policy.base_s * 2.0 ** min(max(attempt - 1, 0), 60))
    delay: float = ceiling * rand()
    if retry_after is not None:
        delay = max(delay, min(retry_after, policy.max_retry_after_s))
    return delay

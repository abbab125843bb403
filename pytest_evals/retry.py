"""When to try a failed call again: exponential backoff with jitter, at least as long as the
server's ``Retry-After`` asks. Pure functions."""

from __future__ import annotations

import datetime
import email.utils
import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class BackoffPolicy:
    base_s: float = 0.5
    cap_s: float = 20.0
    max_retry_after_s: float = 60.0


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        # HTTP dates are GMT; a "-0000" zone parses as naive, which would read as local time.
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, when.timestamp() - now)


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

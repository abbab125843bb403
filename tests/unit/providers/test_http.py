"""Reading an HTTP answer: Retry-After as seconds or an HTTP date."""

from __future__ import annotations

import email.utils

import pytest

from pytest_evals.providers.http import parse_retry_after


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

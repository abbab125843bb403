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


def test_token_counts_a_provider_reports_are_non_negative_integers_or_unknown() -> None:
    import json

    from pytest_evals.providers.anthropic import parse_message
    from pytest_evals.providers.openai import parse_completion

    for prompt, completion in ((-1_000_000, 1), (-5, "x"), (True, 2.5), (None, -1)):
        openai_body = {
            "choices": [{"message": {"content": "hi"}}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion},
        }
        answer = parse_completion(json.dumps(openai_body).encode())
        anthropic_body = {
            "content": [{"type": "text", "text": "hi"}],
            "usage": {"input_tokens": prompt, "output_tokens": completion},
        }
        message = parse_message(json.dumps(anthropic_body).encode())
        for parsed in (answer, message):
            for count in (parsed.prompt_tokens, parsed.completion_tokens):
                assert count is None or (isinstance(count, int) and count >= 0), (prompt, count)
    good = parse_completion(
        b'{"choices": [{"message": {"content": "hi"}}], '
        b'"usage": {"prompt_tokens": 3, "completion_tokens": 0}}'
    )
    assert (good.prompt_tokens, good.completion_tokens) == (3, 0)

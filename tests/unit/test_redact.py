"""API keys never leave: known secrets and key-shaped tokens are redacted."""

from __future__ import annotations

from pytest_evals.redact import REDACTED, redact


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

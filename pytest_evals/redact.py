"""Keeping API keys out of everything users see: messages, reports, caches. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[REDACTED]"

# Tokens that look like credentials even when we don't know the key: a bearer token, an
# ``x-api-key`` header value, or the sk-/sk-ant- style keys vendors issue. Servers echo
# these back in error bodies, and a proxy may hold a key other than the one we sent.
_LOOKS_LIKE_KEY = re.compile(
    r"(?i)(bearer\s+|x-api-key[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9._~+/=-]{8,}"
    r"|\bsk-[A-Za-z0-9_-]{8,}"
)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every known secret, and anything shaped like a key, replaced."""
    # Longest first, so a secret that contains another is not left half-replaced.
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return _LOOKS_LIKE_KEY.sub(lambda m: (m.group(1) or "") + REDACTED, text)


def looks_like_key(text: str) -> bool:
    """Whether ``text`` holds something shaped like a credential (``sk-…``, a bearer
    token)."""
    return _LOOKS_LIKE_KEY.search(text) is not None

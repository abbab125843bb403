"""Keeping API keys out of everything users see: messages, reports, caches. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[REDACTED]"

# Tokens that look like credentials even when we don't know the key: a bearer token, or
# the sk-/sk-ant- style keys vendors issue.
_LOOKS_LIKE_KEY = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}|\bsk-[A-Za-z0-9_-]{8,}")


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every known secret, and anything shaped like a key, replaced."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return _LOOKS_LIKE_KEY.sub(lambda m: (m.group(1) or "") + REDACTED, text)

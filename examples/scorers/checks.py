"""Scoring functions referenced from python.eval.yaml as `checks:FUNCTION`."""

from __future__ import annotations

from typing import Any


def polite(item: dict[str, Any], output: str, expected: Any) -> dict[str, Any]:
    """Score 1 when the reply greets and thanks; 0.5 for one of the two."""
    text = output.lower()
    found = [w for w in ("hello", "thank") if w in text]
    return {"score": len(found) / 2, "reason": f"found {found or 'neither'}"}

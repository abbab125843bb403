"""Scoring functions referenced from python.eval.yaml as `checks:FUNCTION`."""

from __future__ import annotations

import asyncio
from typing import Any


def polite(item: dict[str, Any], output: str, expected: Any) -> dict[str, Any]:
    """Score 1 when the reply greets and thanks; 0.5 for one of the two."""
    text = output.lower()
    found = [w for w in ("hello", "thank") if w in text]
    return {"score": len(found) / 2, "reason": f"found {found or 'neither'}"}


async def not_shouting(item: dict[str, Any], output: str, expected: Any) -> dict[str, Any]:
    """An async scorer: it runs on the call engine's loop, started ahead like a model call,
    so a slow check (here a stand-in for a moderation API) overlaps across datapoints."""
    await asyncio.sleep(0.01)
    letters = [c for c in output if c.isalpha()]
    upper = sum(c.isupper() for c in letters) / max(len(letters), 1)
    return {"score": 1.0 - upper, "passed": upper < 0.5, "reason": f"{upper:.0%} capitals"}

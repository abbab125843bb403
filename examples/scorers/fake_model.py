"""A stand-in "model" for budget.eval.yaml: returns an answer with its token use and cost,
the way a wrapper around a real client would, so the latency and cost scorers have data."""

from __future__ import annotations

import time
from typing import Any

_ANSWERS = {"ping": "pong", "2+2": "4"}


def complete(item: dict[str, Any]) -> dict[str, Any]:
    time.sleep(0.005)
    answer = _ANSWERS.get(str(item["input"]), "I don't know")
    prompt_tokens, completion_tokens = len(str(item["input"]).split()), len(answer.split())
    return {
        "output": answer,
        "tokens": {"prompt": prompt_tokens, "completion": completion_tokens},
        "cost": (prompt_tokens * 0.15 + completion_tokens * 0.60) / 1_000_000,
    }

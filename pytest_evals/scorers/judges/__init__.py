"""Judge scorers: a model gives the verdict (SPEC §4)."""

from __future__ import annotations

from .llm import (
    closedqa,
    factuality,
    faithfulness,
    label_model,
    llm_judge,
    relevance,
    rubric,
    score_model,
)

__all__ = [
    "closedqa",
    "factuality",
    "faithfulness",
    "label_model",
    "llm_judge",
    "relevance",
    "rubric",
    "score_model",
]

"""Judge scorers: a model gives the verdict (SPEC §4)."""

from __future__ import annotations

from .llm import closedqa, factuality, label_model, llm_judge, rubric, score_model

__all__ = ["closedqa", "factuality", "label_model", "llm_judge", "rubric", "score_model"]

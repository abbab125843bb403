"""Scorers: the registry of scorer types and the built-in ones (SPEC §4)."""

from __future__ import annotations

from . import budget, code, judges, similarity, structured, text
from .base import ModelClient, ScorerConfigError, ScorerRegistry, ScoringContext, Verdict

__all__ = [
    "ModelClient",
    "ScorerConfigError",
    "ScorerRegistry",
    "ScoringContext",
    "Verdict",
    "builtin_registry",
]


def builtin_registry() -> ScorerRegistry:
    """A fresh registry holding the built-in scorer types; plugins add to it through
    ``pytest_evals_register_scorers``."""
    registry = ScorerRegistry()
    registry.register("exact_match", text.exact_match, needs_expected=True)
    registry.register("contains", text.contains, needs_expected=True)
    registry.register("icontains", text.icontains, needs_expected=True)
    registry.register("string_check", text.string_check, template_options=("input", "reference"))
    registry.register("regex", text.regex)
    registry.register("json", structured.json)
    registry.register("numeric", structured.numeric, needs_expected=True)
    registry.register(
        "python", code.python, import_options=("function",), pass_option="pass_threshold"
    )
    registry.register("latency", budget.latency)
    registry.register("cost", budget.cost)
    registry.register("none", budget.none)
    compared = ("input", "reference")
    # `model`: the embeddings model of metric cosine.
    embeds = ("model",)
    registry.register(
        "similarity",
        similarity.similarity,
        graded=True,
        template_options=compared,
        model_options=embeds,
    )
    registry.register(
        "text_similarity",
        similarity.text_similarity,
        graded=True,
        template_options=compared,
        model_options=embeds,
        pass_option="pass_threshold",
    )
    # Judges call the model their `model` names, else the session's judge. Their template
    # options are every option rendered for the judge: closedqa's and rubric's criteria are
    # written into the prompt, and rendered with it.
    for name, factory, graded, templates, decides in (
        ("llm_judge", judges.llm_judge, True, ("prompt", "messages"), None),
        ("factuality", judges.factuality, True, ("prompt",), None),
        ("closedqa", judges.closedqa, False, ("prompt", "criteria"), None),
        ("label_model", judges.label_model, False, ("input",), "passing_labels"),
        ("score_model", judges.score_model, True, ("input",), "pass_threshold"),
        ("rubric", judges.rubric, True, ("prompt", "criteria"), None),
        ("faithfulness", judges.faithfulness, False, ("prompt",), None),
        ("relevance", judges.relevance, False, ("prompt",), None),
    ):
        registry.register(
            name,
            factory,
            graded=graded,
            template_options=templates,
            needs_expected=name == "factuality",
            model_options=("model",),
            default_judge=True,
            needs_context=name == "faithfulness",
            pass_option=decides,
        )
    return registry

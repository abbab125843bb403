"""Text similarity scorers: ``similarity`` (``metric``) and OpenAI's ``text_similarity``
grader shape (``evaluation_metric``, ``pass_threshold``). Each metric compares the rendered
``input`` (default: the output) with the rendered ``reference`` (default: ``expected``) and
gives a score in [0, 1].

The metrics come from well-kept libraries in the ``similarity`` extra (rapidfuzz, sacrebleu,
rouge-score); a spec that names one without the extra is a collection error naming it.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from collections.abc import Callable

from .base import (
    ScoreFunction,
    ScorerConfigError,
    ScoringContext,
    Verdict,
    number_option,
    text_option,
)

Metric = Callable[[str, str], float]
_EXTRA = 'pip install "pytest-evals[similarity]"'
ROUGE_METRICS = ("rouge_1", "rouge_2", "rouge_3", "rouge_4", "rouge_5", "rouge_l")
METRICS = ("fuzzy_match", "levenshtein", "bleu", "gleu", *ROUGE_METRICS)
_MODULE_OF = {
    "fuzzy_match": "rapidfuzz",
    "levenshtein": "rapidfuzz",
    "bleu": "sacrebleu",
    **dict.fromkeys(ROUGE_METRICS, "rouge_score"),
}
_NOT_HERE = {
    "cosine": "'cosine' (embeddings through a connection) is not available yet",
    "meteor": "'meteor' is not available: it needs WordNet data downloaded at run time",
}


def _fuzzy_match(output: str, reference: str) -> float:
    from rapidfuzz import fuzz

    return float(fuzz.ratio(output, reference)) / 100


def _levenshtein(output: str, reference: str) -> float:
    from rapidfuzz.distance import Levenshtein

    return float(Levenshtein.normalized_similarity(output, reference))


def _bleu(output: str, reference: str) -> float:
    import sacrebleu

    # sacrebleu's sentence BLEU (13a tokens, exponential smoothing), on its 0-100 scale.
    return min(1.0, max(0.0, sacrebleu.sentence_bleu(output, [reference]).score / 100))


def _ngrams(tokens: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _gleu(output: str, reference: str) -> float:
    """Google-BLEU (Wu et al., 2016): over the 1- to 4-grams of the whitespace tokens, the
    lesser of the matched share of the output's n-grams and of the reference's."""
    hypothesis, target = output.split(), reference.split()
    matches = produced = wanted = 0
    for n in range(1, 5):
        mine, theirs = _ngrams(hypothesis, n), _ngrams(target, n)
        matches += sum((mine & theirs).values())
        produced += sum(mine.values())
        wanted += sum(theirs.values())
    if not produced or not wanted:
        return 1.0 if hypothesis == target else 0.0
    return min(matches / produced, matches / wanted)


def _rouge(metric: str) -> Metric:
    kind = "rougeL" if metric == "rouge_l" else f"rouge{metric[-1]}"
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer([kind])

    def score(output: str, reference: str) -> float:
        # F-measure of the n-gram (or longest common subsequence) overlap.
        return float(scorer.score(reference, output)[kind].fmeasure)

    return score


def metric_named(name: object, key: str) -> Metric:
    """The metric ``name``; ScorerConfigError naming ``key`` for an unknown one, or one whose
    library is not installed."""
    if name in _NOT_HERE:
        raise ScorerConfigError(f"{_NOT_HERE[str(name)]}; use one of {', '.join(METRICS)}", key=key)
    if name not in METRICS:
        from ..spec.hints import did_you_mean

        hint = did_you_mean(str(name), METRICS)
        raise ScorerConfigError(
            f"unknown metric {name!r}{hint} (known: {', '.join(METRICS)})", key=key
        )
    module = _MODULE_OF.get(str(name))
    if module is not None and importlib.util.find_spec(module) is None:
        raise ScorerConfigError(f"metric '{name}' needs the similarity extra: {_EXTRA}", key=key)
    if name in ROUGE_METRICS:
        return _rouge(str(name))
    functions: dict[str, Metric] = {
        "fuzzy_match": _fuzzy_match,
        "levenshtein": _levenshtein,
        "bleu": _bleu,
        "gleu": _gleu,
    }
    return functions[str(name)]


_TEMPLATE = "a template such as '{{ item.reference_answer }}'"


def _scorer(
    metric: Metric, name: str, input: object, reference: object, passing: float | None
) -> ScoreFunction:
    compared = text_option("input", input, what=_TEMPLATE)
    wanted_template = text_option("reference", reference, what=_TEMPLATE)

    def score(ctx: ScoringContext) -> Verdict:
        output, wanted = ctx.render(compared), ctx.render(wanted_template)
        value = metric(output, wanted)
        return Verdict(
            value,
            None if passing is None else value >= passing,
            f"{name} {value:.3f}" + ("" if passing is None else f" (passes at {passing:g})"),
        )

    return score


def similarity(
    *,
    metric: object = None,
    input: object = "{{ sample.output_text }}",
    reference: object = "{{ item.expected }}",
) -> ScoreFunction:
    """How similar the output (``input``) is to ``reference`` by ``metric``, in [0, 1]."""
    if metric is None:
        raise ScorerConfigError(f"needs 'metric': one of {', '.join(METRICS)}", key="metric")
    return _scorer(metric_named(metric, "metric"), str(metric), input, reference, None)


def text_similarity(
    *,
    input: object = "{{ sample.output_text }}",
    reference: object = None,
    evaluation_metric: object = None,
    pass_threshold: object = None,
) -> ScoreFunction:
    """OpenAI's ``text_similarity`` grader: ``evaluation_metric`` of ``input`` against
    ``reference``, passing at ``pass_threshold``."""
    if reference is None:
        raise ScorerConfigError(f"needs 'reference', {_TEMPLATE}", key="reference")
    if evaluation_metric is None:
        raise ScorerConfigError(
            f"needs 'evaluation_metric': one of {', '.join(METRICS)}", key="evaluation_metric"
        )
    metric = metric_named(evaluation_metric, "evaluation_metric")
    passing = None
    if pass_threshold is not None:
        passing = number_option("pass_threshold", pass_threshold, minimum=0.0)
    return _scorer(metric, str(evaluation_metric), input, reference, passing)

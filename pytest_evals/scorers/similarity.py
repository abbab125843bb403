"""Text similarity scorers: ``similarity`` (``metric``) and OpenAI's ``text_similarity``
grader shape (``evaluation_metric``, ``pass_threshold``). Each metric compares the rendered
``input`` (default: the output) with the rendered ``reference`` (default: ``expected``) and
gives a score in [0, 1].

The metrics come from well-kept libraries in the ``similarity`` extra (rapidfuzz, sacrebleu,
rouge-score); a spec that names one without the extra is a collection error naming it.
``cosine`` compares the two texts' vectors from an embeddings model of a connection.
"""

from __future__ import annotations

import importlib.util
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence

from ..errors import BudgetExceeded, CallCancelled, SampleError
from ..spec.model import ModelRef
from .base import (
    ScoreFunction,
    ScorerConfigError,
    ScorerFailure,
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
    "meteor": "'meteor' is not available: it needs WordNet data downloaded at run time",
}
COSINE = "cosine"
"""Through a connection's embeddings model (``model``), not a library."""


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


class _UnicodeTokens:
    """Tokens for ROUGE: runs of letters and digits of any script, lowercased. rouge-score's
    own tokenizer keeps only ``[a-z0-9]``: every non-Latin text would have no tokens, and
    score 0 against itself."""

    def tokenize(self, text: str) -> list[str]:
        return _WORD.findall(text.lower())


_WORD = re.compile(r"[^\W_]+")


def _rouge(metric: str) -> Metric:
    kind = "rougeL" if metric == "rouge_l" else f"rouge{metric[-1]}"
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer([kind], tokenizer=_UnicodeTokens())

    def score(output: str, reference: str) -> float:
        # F-measure of the n-gram (or longest common subsequence) overlap.
        return float(scorer.score(reference, output)[kind].fmeasure)

    return score


def cosine(first: Sequence[float], second: Sequence[float]) -> float:
    """The cosine of the angle between two vectors, with opposite and unrelated directions
    (cosine <= 0) both scoring 0; a zero vector is like nothing else."""
    if len(first) != len(second):
        raise ScorerFailure(
            f"the embeddings have different lengths ({len(first)} and {len(second)})"
        )
    dot = math.fsum(a * b for a, b in zip(first, second, strict=True))
    norms = math.sqrt(math.fsum(a * a for a in first)) * math.sqrt(math.fsum(b * b for b in second))
    if norms == 0:
        return 0.0
    # Parallel vectors come out a rounding error under 1 (0.9999999999999998).
    return min(1.0, max(0.0, round(dot / norms, 12)))


def _cosine_scorer(
    model: object, input: object, reference: object, passing: float | None
) -> ScoreFunction:
    compared = text_option("input", input, what=_TEMPLATE)
    wanted_template = text_option("reference", reference, what=_TEMPLATE)
    if not isinstance(model, ModelRef):
        raise ScorerConfigError(
            "metric 'cosine' needs 'model': the embeddings model, as CONNECTION/MODEL",
            key="model",
        )

    async def score(ctx: ScoringContext) -> Verdict:
        if ctx.models is None:
            raise ScorerFailure("metric 'cosine' needs the call engine, which this context lacks")
        texts = [ctx.render(compared), ctx.render(wanted_template)]
        if texts[0] == texts[1]:
            return _verdict("cosine", 1.0, passing)  # equal: no call needed
        if not texts[0].strip() or not texts[1].strip():
            # Embeddings endpoints refuse empty input; an empty text is like nothing else.
            return _verdict("cosine", 0.0, passing)
        try:
            embedded = await ctx.models.embed(model, texts)
        except (BudgetExceeded, CallCancelled):
            raise  # the session's stop, not this scorer's failure
        except SampleError as exc:
            raise ScorerFailure(f"no embeddings: {exc}") from None
        return _verdict("cosine", cosine(*embedded.vectors), passing)

    return score


def _scorer_for(
    metric_name: object,
    key: str,
    model: object,
    input: object,
    reference: object,
    passing: float | None,
) -> ScoreFunction:
    if metric_name == COSINE:
        return _cosine_scorer(model, input, reference, passing)
    metric = metric_named(metric_name, key)
    if model is not None:
        raise ScorerConfigError(
            f"'model' is for metric 'cosine' (embeddings); metric '{metric_name}' needs none",
            key="model",
        )
    return _scorer(metric, str(metric_name), input, reference, passing)


def metric_named(name: object, key: str) -> Metric:
    """The metric ``name``; ScorerConfigError naming ``key`` for an unknown one, or one whose
    library is not installed."""
    if name in _NOT_HERE:
        raise ScorerConfigError(
            f"{_NOT_HERE[str(name)]}; use one of {', '.join((*METRICS, COSINE))}", key=key
        )
    if name not in METRICS:
        from ..spec.hints import did_you_mean

        known = (*METRICS, COSINE)
        hint = did_you_mean(str(name), known)
        raise ScorerConfigError(
            f"unknown metric {name!r}{hint} (known: {', '.join(known)})", key=key
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
        # Equal texts are as similar as texts get, by every metric: the libraries' n-gram
        # metrics give 0 to two empty texts.
        return _verdict(name, 1.0 if output == wanted else metric(output, wanted), passing)

    return score


def _verdict(metric: str, value: float, passing: float | None) -> Verdict:
    """Passing at ``passing`` when given (``text_similarity``), else by the threshold."""
    return Verdict(
        value,
        None if passing is None else value >= passing,
        f"{metric} {value:.3f}" + ("" if passing is None else f" (passes at {passing:g})"),
    )


def similarity(
    *,
    metric: object = None,
    input: object = "{{ sample.output_text }}",
    reference: object = "{{ item.expected }}",
    model: object = None,
) -> ScoreFunction:
    """How similar the output (``input``) is to ``reference`` by ``metric``, in [0, 1];
    ``model``: the embeddings model of metric ``cosine``."""
    if metric is None:
        raise ScorerConfigError(
            f"needs 'metric': one of {', '.join((*METRICS, COSINE))}", key="metric"
        )
    return _scorer_for(metric, "metric", model, input, reference, None)


def text_similarity(
    *,
    input: object = "{{ sample.output_text }}",
    reference: object = None,
    evaluation_metric: object = None,
    pass_threshold: object = None,
    model: object = None,
) -> ScoreFunction:
    """OpenAI's ``text_similarity`` grader: ``evaluation_metric`` of ``input`` against
    ``reference``, passing at ``pass_threshold``; ``model``: the embeddings model of
    ``cosine``."""
    if reference is None:
        raise ScorerConfigError(f"needs 'reference', {_TEMPLATE}", key="reference")
    if evaluation_metric is None:
        raise ScorerConfigError(
            f"needs 'evaluation_metric': one of {', '.join((*METRICS, COSINE))}",
            key="evaluation_metric",
        )
    passing = None
    if pass_threshold is not None:
        # Every metric scores in [0, 1]: a threshold above 1 could never pass.
        passing = number_option("pass_threshold", pass_threshold, minimum=0.0, maximum=1.0)
    return _scorer_for(evaluation_metric, "evaluation_metric", model, input, reference, passing)

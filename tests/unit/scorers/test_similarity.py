"""The similarity metrics' definitions, on values worked out by hand."""

from __future__ import annotations

import pytest

from pytest_evals.records import Sample
from pytest_evals.scorers.base import ScorerConfigError, ScoringContext
from pytest_evals.scorers.similarity import metric_named, similarity, text_similarity

pytest.importorskip("rapidfuzz")
pytest.importorskip("sacrebleu")
pytest.importorskip("rouge_score")


@pytest.mark.parametrize(
    ("metric", "output", "reference", "expected"),
    [
        # Indel: 1 - (deletions + insertions) / both lengths = 1 - 5/13.
        ("fuzzy_match", "kitten", "sitting", pytest.approx(1 - 5 / 13)),
        # Levenshtein: 1 - 3 edits / 7 characters.
        ("levenshtein", "kitten", "sitting", pytest.approx(1 - 3 / 7)),
        ("levenshtein", "same", "same", 1.0),
        ("bleu", "the cat sat on the mat", "the cat sat on the mat", 1.0),
        # ROUGE-1 F: precision 3/3, recall 3/6 -> 2/3.
        ("rouge_1", "the cat sat", "the cat sat on the mat", pytest.approx(2 / 3)),
        ("rouge_5", "the cat sat", "the cat sat on the mat", 0.0),
        ("rouge_l", "the cat sat", "the cat sat on the mat", pytest.approx(2 / 3)),
        # GLEU: n-grams of the output 3+2+1 = 6, of the reference 6+5+4+3 = 18, all 6
        # matched: min(6/6, 6/18).
        ("gleu", "the cat sat", "the cat sat on the mat", pytest.approx(1 / 3)),
        ("gleu", "a b c d", "a b c d", 1.0),
        ("gleu", "", "", 1.0),
        ("gleu", "x", "y", 0.0),
        # ROUGE tokens are letters and digits of any script, lowercased: 2 of 3 words.
        ("rouge_1", "日本語 の テキスト", "日本語 テキスト", pytest.approx(0.8)),
        ("rouge_1", "Café au lait", "café noir", pytest.approx(0.4)),
    ],
)
def test_metric_values(metric: str, output: str, reference: str, expected: float) -> None:
    assert metric_named(metric, "metric")(output, reference) == expected


def test_bleu_is_between_0_and_1() -> None:
    value = metric_named("bleu", "metric")("the cat", "the cat sat on the mat")
    assert 0 < value < 0.5


def _ctx(output: str, **item: object) -> ScoringContext:
    return ScoringContext(item=item, sample=Sample(output=output))


def test_similarity_compares_the_output_with_expected_by_default() -> None:
    score = similarity(metric="levenshtein")
    verdict = score(_ctx("kitten", expected="sitting"))
    assert verdict.score == pytest.approx(4 / 7)
    assert verdict.passed is None and verdict.reason == "levenshtein 0.571"


def test_text_similarity_passes_at_its_threshold() -> None:
    score = text_similarity(
        input="{{ sample.output_text }}",
        reference="{{ item.reference_answer }}",
        evaluation_metric="fuzzy_match",
        pass_threshold=0.9,
    )
    near = score(_ctx("Paris, France", reference_answer="Paris, France."))
    far = score(_ctx("Lyon", reference_answer="Paris, France."))
    assert near.passed is True and far.passed is False
    assert "passes at 0.9" in near.reason


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"metric": "rouge"}, "unknown metric 'rouge'"),
        ({"metric": "levenstein"}, "did you mean 'levenshtein'"),
        ({"metric": "cosine"}, "metric 'cosine' needs 'model'"),
        ({"metric": "meteor"}, "WordNet"),
        ({}, "needs 'metric'"),
    ],
)
def test_bad_similarity_options(options: dict[str, object], message: str) -> None:
    with pytest.raises(ScorerConfigError, match=message):
        similarity(**options)  # type: ignore[arg-type]


def test_a_metric_without_its_library_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "rapidfuzz" else real(name)
    )
    with pytest.raises(ScorerConfigError, match=r"pytest-evals\[similarity\]"):
        metric_named("fuzzy_match", "metric")
    assert metric_named("gleu", "metric")("a", "a") == 1.0  # gleu needs no library


@pytest.mark.parametrize(
    "metric", ["fuzzy_match", "levenshtein", "bleu", "gleu", "rouge_1", "rouge_l"]
)
@pytest.mark.parametrize("text", ["", "日本語のテキスト", "ok"])
def test_equal_texts_score_1_by_every_metric(metric: str, text: str) -> None:
    score = similarity(metric=metric, input="{{ item.a }}", reference="{{ item.b }}")
    verdict = score(ScoringContext({"a": text, "b": text}, Sample(output="")))
    assert verdict.score == 1.0  # type: ignore[union-attr]

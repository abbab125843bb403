"""The text pytest shows for a missed or errored datapoint."""

from __future__ import annotations

from pytest_evals.records import ResultRecord, ScoreResult
from pytest_evals.scorers.failures import error_text, quality_failure_text


def _record(**fields: object) -> ResultRecord:
    base: dict[str, object] = {
        "datapoint_id": "fr",
        "eval": "capitals",
        "model": "local/m",
        "input": {"country": "France"},
        "expected": "Paris",
        "output": "Lyon\nsecond line",
        "score": 0.25,
    }
    base.update(fields)
    return ResultRecord(**base)  # type: ignore[arg-type]


def test_a_quality_miss_shows_input_expected_output_and_the_failing_scorers() -> None:
    record = _record(
        scores=[
            ScoreResult("exact_match", 0.0, False, "expected 'Paris', got 'Lyon'"),
            ScoreResult("regex", 1.0, True),
        ]
    )
    text = quality_failure_text(record, "evals/c.eval.yaml:4", None)
    assert text.splitlines() == [
        "eval 'capitals' datapoint 'fr' with local/m (evals/c.eval.yaml:4)",
        'input:    {"country": "France"}',
        "expected: Paris",
        "output:   Lyon",
        "          second line",
        "score:    0.250 (needs every scorer to pass)",
        "failing scorers:",
        "  exact_match: score 0.000 — expected 'Paris', got 'Lyon'",
    ]


def test_a_threshold_is_named_and_repeats_counted() -> None:
    record = _record(repeats=[{"passed": True}, {"passed": False}])
    text = quality_failure_text(record, "here", 0.8)
    assert "needs a weighted score of at least 0.8" in text
    assert text.endswith("repeats:  1 of 2 passed")


def test_long_values_are_cut() -> None:
    text = quality_failure_text(_record(output="x" * 5000), "here", None)
    assert "… (3000 more characters)" in text


def test_an_error_shows_the_error_and_what_was_produced() -> None:
    text = error_text(_record(status="error", error="the call failed", output=None), "here")
    assert text.splitlines()[-1] == "error:    the call failed"
    assert "output:" not in text


def test_the_prompt_sent_replaces_an_empty_input_and_is_not_repeated() -> None:
    sent = [{"role": "user", "content": "What is the capital of France?"}]
    text = quality_failure_text(_record(input=None), "here", None, sent)
    assert text.splitlines()[1:3] == ["prompt:   What is the capital of France?", "expected: Paris"]
    # The prompt is the input itself ({{ input }}): shown once.
    same = quality_failure_text(_record(input="What is the capital of France?"), "here", None, sent)
    assert "prompt:" not in same and "input:    What is the capital of France?" in same
    # No prompt rendered (given outputs): the input as it is, null included.
    assert "input:    null" in error_text(_record(input=None, error="boom"), "here")

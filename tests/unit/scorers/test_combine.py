from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_evals.records import Sample, ScoreResult
from pytest_evals.scorers import ScorerConfigError, ScoringContext, builtin_registry
from pytest_evals.scorers.base import ScorerRegistry, ScoreValue
from pytest_evals.scorers.combine import (
    BoundScorer,
    Outcome,
    ScorerCrash,
    bind_scorers,
    combine_repeats,
    score_async,
    score_sample,
)
from pytest_evals.spec.model import ScorerConfig


def fixed(value: Any) -> Callable[[], Callable[[ScoringContext], ScoreValue]]:
    """A scorer type whose scorer always returns ``value``."""
    return lambda: lambda ctx: value


def raising(ctx: ScoringContext) -> ScoreValue:
    raise RuntimeError("scorer exploded")


@pytest.fixture
def registry() -> ScorerRegistry:
    registry = builtin_registry()
    registry.register("graded", fixed(0.6), graded=True)
    registry.register("raising", lambda: raising)
    return registry


def config(type_: str, name: str | None = None, **kwargs: Any) -> ScorerConfig:
    return ScorerConfig(type=type_, name=name or type_, **kwargs)


def ctx(output: str = "Paris", expected: Any = "Paris") -> ScoringContext:
    return ScoringContext(item={"expected": expected}, sample=Sample(output=output))


def bound(score: ScoreValue, *, weight: float = 1.0, name: str = "s") -> BoundScorer:
    return BoundScorer(config(name, weight=weight), lambda c: score, threshold=1.0)


# -- builtin_registry ----------------------------------------------------------------------


def test_builtin_registry_types_and_flags() -> None:
    registry = builtin_registry()
    assert registry.names() == sorted(
        [
            "exact_match",
            "contains",
            "icontains",
            "string_check",
            "regex",
            "json",
            "numeric",
            "python",
            "latency",
            "cost",
            "none",
            "llm_judge",
            "factuality",
            "closedqa",
            "label_model",
            "score_model",
            "rubric",
            "faithfulness",
            "relevance",
            "similarity",
            "text_similarity",
        ]
    )
    needs = {n for n in registry.names() if registry.get(n).needs_expected}
    assert needs == {"exact_match", "contains", "icontains", "numeric", "factuality"}
    graded = {n for n in registry.names() if registry.get(n).graded}
    assert graded == {
        "llm_judge",
        "factuality",
        "score_model",
        "rubric",
        "similarity",
        "text_similarity",
    }
    judges = {n for n in registry.names() if registry.get(n).default_judge}
    assert judges == {
        "llm_judge",
        "factuality",
        "closedqa",
        "label_model",
        "score_model",
        "rubric",
        "faithfulness",
        "relevance",
    }
    assert {n for n in registry.names() if registry.get(n).needs_context} == {"faithfulness"}
    assert registry.get("label_model").template_options == ("input",)
    assert registry.get("string_check").template_options == ("input", "reference")
    assert registry.get("regex").template_options == ()
    # Every option rendered for a judge is a template: criteria are written into the prompt.
    assert registry.get("closedqa").template_options == ("prompt", "criteria")
    assert registry.get("rubric").template_options == ("prompt", "criteria")
    decided = {n: registry.get(n).pass_option for n in registry.names()}
    assert {n: o for n, o in decided.items() if o} == {
        "label_model": "passing_labels",
        "score_model": "pass_threshold",
        "text_similarity": "pass_threshold",
        "python": "pass_threshold",
    }


# -- bind_scorers --------------------------------------------------------------------------


def test_bind_uses_type_default_threshold(registry: ScorerRegistry) -> None:
    scorers = bind_scorers([config("exact_match"), config("graded")], registry)
    assert [s.threshold for s in scorers] == [1.0, 0.5]
    assert scorers[0].config.name == "exact_match"


def test_bind_uses_entry_threshold(registry: ScorerRegistry) -> None:
    [scorer] = bind_scorers([config("graded", threshold=0.8)], registry)
    assert scorer.threshold == 0.8
    outcome = score_sample([scorer], ctx(), eval_threshold=None)
    assert outcome.results[0].passed is False  # 0.6 < 0.8


def test_bind_passes_options_to_the_factory(registry: ScorerRegistry) -> None:
    [scorer] = bind_scorers([config("regex", options={"pattern": "^Par"})], registry)
    assert score_sample([scorer], ctx(), eval_threshold=None).passed is True
    assert score_sample([scorer], ctx("Lyon"), eval_threshold=None).passed is False


def test_bind_unknown_type(registry: ScorerRegistry) -> None:
    with pytest.raises(ScorerConfigError, match="did you mean 'exact_match'") as info:
        bind_scorers([config("exact_mach")], registry)
    assert info.value.key == "type"


def test_bind_bad_option_comes_from_the_factory(registry: ScorerRegistry) -> None:
    with pytest.raises(ScorerConfigError) as info:
        bind_scorers([config("regex", options={"pattern": "("})], registry)
    assert info.value.key == "pattern"


@pytest.mark.parametrize("weight", [-1.0, float("nan"), "heavy", True])
def test_bind_rejects_bad_weight(registry: ScorerRegistry, weight: Any) -> None:
    with pytest.raises(ScorerConfigError, match="weight") as info:
        bind_scorers([config("exact_match", weight=weight)], registry)
    assert info.value.key == "weight"


@pytest.mark.parametrize("threshold", [-0.1, 1.5, "high"])
def test_bind_rejects_bad_threshold(registry: ScorerRegistry, threshold: Any) -> None:
    with pytest.raises(ScorerConfigError, match="threshold") as info:
        bind_scorers([config("exact_match", threshold=threshold)], registry)
    assert info.value.key == "threshold"


def test_bind_refuses_a_threshold_beside_the_option_deciding_the_pass(
    registry: ScorerRegistry,
) -> None:
    registry.register("own_pass", lambda pass_at=None: lambda c: 1.0, pass_option="pass_at")
    with pytest.raises(ScorerConfigError) as caught:
        bind_scorers([config("own_pass", threshold=0.5, options={"pass_at": 0.2})], registry)
    assert caught.value.key == "threshold"
    assert "give either 'pass_at' or 'threshold', not both" in str(caught.value)
    # Either one alone is fine.
    bind_scorers([config("own_pass", threshold=0.5)], registry)
    bind_scorers([config("own_pass", options={"pass_at": 0.2})], registry)


def test_bind_accepts_threshold_bounds_and_zero_weight(registry: ScorerRegistry) -> None:
    scorers = bind_scorers(
        [config("exact_match", threshold=0, weight=0), config("contains", threshold=1)],
        registry,
    )
    assert [s.threshold for s in scorers] == [0.0, 1.0]


# -- score_sample --------------------------------------------------------------------------


def test_results_carry_name_score_reason_weight_and_details(registry: ScorerRegistry) -> None:
    scorers = bind_scorers(
        [
            config("exact_match", name="exact", weight=2.0),
            config("regex", options={"pattern": "Par"}),
        ],
        registry,
    )
    outcome = score_sample(scorers, ctx("Paris", "Lyon"), eval_threshold=None)
    assert outcome.results == [
        ScoreResult("exact", 0.0, False, "expected 'Lyon', got 'Paris'", 2.0),
        ScoreResult("regex", 1.0, True, "", 1.0, {"match": "Par"}),
    ]
    assert outcome.score == pytest.approx(1 / 3)
    assert outcome.passed is False


def test_weighted_mean() -> None:
    outcome = score_sample([bound(1.0, weight=3), bound(0.0, weight=1)], ctx(), eval_threshold=None)
    assert outcome.score == 0.75


def test_all_zero_weights_fall_back_to_plain_mean() -> None:
    outcome = score_sample([bound(1.0, weight=0), bound(0.5, weight=0)], ctx(), eval_threshold=None)
    assert outcome.score == 0.75


def test_zero_weight_scorer_does_not_move_the_score_but_must_pass() -> None:
    outcome = score_sample([bound(1.0), bound(False, weight=0)], ctx(), eval_threshold=None)
    assert outcome.score == 1.0
    assert outcome.passed is False


def test_no_scorers_is_a_pass() -> None:
    assert score_sample([], ctx(), eval_threshold=None) == Outcome(1.0, True, [])
    assert score_sample([], ctx(), eval_threshold=0.9).passed is True


def test_without_eval_threshold_every_scorer_must_pass() -> None:
    assert score_sample([bound(True), bound(True)], ctx(), eval_threshold=None).passed is True
    assert score_sample([bound(True), bound(False)], ctx(), eval_threshold=None).passed is False


def test_eval_threshold_decides_on_the_weighted_score() -> None:
    scorers = [bound(True, weight=3), bound(False, weight=1)]
    assert score_sample(scorers, ctx(), eval_threshold=0.75).passed is True
    assert score_sample(scorers, ctx(), eval_threshold=0.8).passed is False


def test_eval_threshold_met_despite_float_rounding() -> None:
    scorers = [bound(0.0), bound(0.0), bound(0.3)]
    outcome = score_sample(scorers, ctx(), eval_threshold=0.1)
    assert outcome.score < 0.1  # 0.09999999999999999: (0.0 + 0.0 + 0.3) / 3 in floats
    assert outcome.passed is True


def test_scorer_mapping_verdict_is_kept() -> None:
    outcome = score_sample(
        [bound({"score": 0.9, "passed": False, "reason": "tone"})], ctx(), eval_threshold=None
    )
    assert outcome.results[0] == ScoreResult("s", 0.9, False, "tone", 1.0)


def test_crash_carries_scorer_name_and_user_traceback(registry: ScorerRegistry) -> None:
    scorers = bind_scorers([config("raising", name="mine")], registry)
    with pytest.raises(ScorerCrash) as info:
        score_sample(scorers, ctx(), eval_threshold=None)
    crash = info.value
    assert crash.scorer_name == "mine"
    assert "RuntimeError: scorer exploded" in crash.traceback_text
    assert 'raise RuntimeError("scorer exploded")' in crash.traceback_text
    assert "pytest_evals/" not in crash.traceback_text
    assert crash.traceback_text.startswith("Traceback")
    assert isinstance(crash.__cause__, RuntimeError)
    assert "scorer 'mine' raised" in str(crash)


def test_crash_from_async_user_function_skips_asyncio_frames(
    registry: ScorerRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "async_user_scorer.py").write_text(
        "async def check(item, output, expected):\n    raise LookupError('no ' + output)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    scorers = bind_scorers(
        [config("python", options={"function": "async_user_scorer:check"})], registry
    )
    awaited = asyncio.run(score_async(scorers, ctx("Paris")))
    with pytest.raises(ScorerCrash) as info:
        score_sample(scorers, ctx("Paris"), eval_threshold=None, awaited=awaited)
    lines = info.value.traceback_text.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert "async_user_scorer.py" in lines[1]
    assert lines[-1] == "LookupError: no Paris"
    assert "asyncio" not in info.value.traceback_text


def test_crash_from_inline_python_source_shows_the_users_line(registry: ScorerRegistry) -> None:
    source = "def score(item, output, expected):\n    return helper(output)\n"
    scorers = bind_scorers([config("python", options={"source": source})], registry)
    with pytest.raises(ScorerCrash) as info:
        score_sample(scorers, ctx(), eval_threshold=None)
    text = info.value.traceback_text
    assert "NameError: name 'helper' is not defined" in text
    assert "return helper(output)" in text
    assert "pytest_evals" not in text


def test_crash_in_builtin_scorer_is_its_message_alone(registry: ScorerRegistry) -> None:
    scorers = bind_scorers([config("numeric")], registry)
    with pytest.raises(ScorerCrash) as info:
        score_sample(scorers, ctx("42", "many"), eval_threshold=None)
    assert info.value.traceback_text == (
        "ValueError: numeric scorer: expected must be a number, got 'many'"
    )
    assert isinstance(info.value.__cause__, ValueError)


@pytest.mark.parametrize("value", ["yes", None, 1.5, -0.1, {"reason": "no score"}])
def test_invalid_return_value_is_a_crash(value: Any) -> None:
    with pytest.raises(ScorerCrash, match="returned an invalid score") as info:
        score_sample([bound(value, name="bad")], ctx(), eval_threshold=None)
    assert info.value.scorer_name == "bad"


def test_crash_stops_at_the_failing_scorer() -> None:
    calls: list[str] = []

    def later(c: ScoringContext) -> ScoreValue:
        calls.append("later")
        return True

    scorers = [
        BoundScorer(config("boom"), raising, 1.0),
        BoundScorer(config("later"), later, 1.0),
    ]
    with pytest.raises(ScorerCrash):
        score_sample(scorers, ctx(), eval_threshold=None)
    assert calls == []


def test_keyboard_interrupt_is_not_a_crash() -> None:
    def interrupt(c: ScoringContext) -> ScoreValue:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        score_sample([BoundScorer(config("x"), interrupt, 1.0)], ctx(), eval_threshold=None)


# -- combine_repeats -----------------------------------------------------------------------


def outcomes(*passed: bool) -> list[Outcome]:
    return [Outcome(1.0 if p else 0.0, p, []) for p in passed]


def test_repeats_score_is_the_mean() -> None:
    score, _ = combine_repeats(
        [Outcome(1.0, True, []), Outcome(0.5, False, []), Outcome(0.0, False, [])], "any"
    )
    assert score == 0.5


@pytest.mark.parametrize(
    ("passed", "rule", "expected"),
    [
        ((True, True, True), "all", True),
        ((True, True, False), "all", False),
        ((False, False, True), "any", True),
        ((False, False, False), "any", False),
        ((True, True, False), "majority", True),
        ((True, False, False), "majority", False),
        ((True, True, False, False), "majority", False),  # half is not more than half
        ((True,), "majority", True),
    ],
)
def test_repeat_rules(passed: tuple[bool, ...], rule: Any, expected: bool) -> None:
    assert combine_repeats(outcomes(*passed), rule)[1] is expected


def test_repeats_need_outcomes_and_a_known_rule() -> None:
    with pytest.raises(ValueError, match="at least one"):
        combine_repeats([], "all")
    with pytest.raises(ValueError, match="unknown repeat rule"):
        combine_repeats(outcomes(True), "most")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "returned",
    [
        {"passed": "no"},
        {"score": "0.9"},
        {"score": True},
        {"score": 1.0, "details": {"when": object()}},
        {"score": 1.0, "details": {"x": float("nan")}},
        {"score": 1.0, "details": ["not", "a", "mapping"]},
    ],
)
def test_a_scorer_mapping_that_does_not_say_what_it_means_is_refused(returned: object) -> None:
    from pytest_evals.scorers.base import normalize

    with pytest.raises(TypeError):
        normalize(returned, threshold=0.5)  # type: ignore[arg-type]


def test_a_scorer_mapping_with_json_details_is_kept() -> None:
    from pytest_evals.scorers.base import normalize

    verdict = normalize({"score": 0.25, "passed": False, "details": {"n": [1, "a"]}}, threshold=0)
    assert (verdict.score, verdict.passed, dict(verdict.details or {})) == (
        0.25,
        False,
        {"n": [1, "a"]},
    )


def test_a_verdict_object_is_held_to_the_same_rules() -> None:
    from pytest_evals.scorers import Verdict
    from pytest_evals.scorers.base import normalize

    for verdict in (
        Verdict(1.0, "no"),  # type: ignore[arg-type]
        Verdict(1.0, True, details={"x": float("nan")}),
        Verdict("1", True),  # type: ignore[arg-type]
    ):
        with pytest.raises(TypeError):
            normalize(verdict, threshold=0.5)


def test_a_budget_stop_inside_an_async_scorer_is_the_sessions_not_the_scorers(
    registry: ScorerRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_evals.errors import BudgetExceeded

    (tmp_path / "judging_scorer.py").write_text(
        "from pytest_evals.errors import BudgetExceeded\n\n"
        "async def judge(item, output, expected):\n"
        "    raise BudgetExceeded('--evals-max-cost 1 reached')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    scorers = bind_scorers(
        [config("python", options={"function": "judging_scorer:judge"})], registry
    )
    with pytest.raises(BudgetExceeded):
        asyncio.run(score_async(scorers, ctx("Paris")))

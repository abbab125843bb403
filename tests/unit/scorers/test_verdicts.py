"""A judge's verdict is read strictly: every field its schema requires, of its kind, and
nothing the rubric lacks; what can't be read is an error quoting the judge."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_evals.scorers.base import ScorerFailure
from pytest_evals.scorers.judges.verdicts import (
    ChoiceVerdict,
    Criterion,
    RangeVerdict,
    RubricVerdict,
)

CHOICE = ChoiceVerdict(("A", "B"))
RANGE = RangeVerdict(1, 5)
RUBRIC = RubricVerdict((Criterion("accuracy", 3, "right"), Criterion("brevity", 1, "short")))


def _unreadable(read: Any, answer: dict[str, Any]) -> str:
    raw = json.dumps(answer)
    with pytest.raises(ScorerFailure) as caught:
        read(raw)
    message = str(caught.value)
    assert message.startswith("the judge's verdict can't be read: ")
    assert message.endswith(f"; the judge answered {raw!r}")
    return message


@pytest.mark.parametrize("verdict", [CHOICE, RANGE, RUBRIC], ids=["choice", "range", "rubric"])
@pytest.mark.parametrize("reasoning", [None, 3, ["why"], {"text": "why"}])
def test_a_verdict_without_reasoning_text_cant_be_read(verdict: Any, reasoning: Any) -> None:
    # `reasoning` is required by every schema the judge is sent.
    awards = {"accuracy": {"points": 1, "reason": "r"}, "brevity": {"points": 1, "reason": "r"}}
    answer: dict[str, Any] = {"choice": "A", "score": 3, "criteria": awards}
    if reasoning is not None:
        answer["reasoning"] = reasoning
    assert "it has no 'reasoning' text" in _unreadable(verdict.read, answer)


def test_an_empty_reasoning_is_still_text() -> None:
    assert CHOICE.read('{"reasoning": "", "choice": "B"}') == ("B", "")


@pytest.mark.parametrize("reason", [None, 2])
def test_a_rubric_award_without_a_reason_cant_be_read(reason: Any) -> None:
    accuracy: dict[str, Any] = {"points": 2}
    if reason is not None:
        accuracy["reason"] = reason
    answer = {
        "reasoning": "ok",
        "criteria": {"accuracy": accuracy, "brevity": {"points": 1, "reason": "short"}},
    }
    message = _unreadable(RUBRIC.read, answer)
    assert "criterion 'accuracy' has no 'reason' text" in message


def test_a_rubric_award_for_a_criterion_the_rubric_lacks_cant_be_read() -> None:
    answer = {
        "reasoning": "ok",
        "criteria": {
            "accuracy": {"points": 2, "reason": "r"},
            "brevity": {"points": 1, "reason": "r"},
            "style": {"points": 1, "reason": "nice"},
        },
    }
    message = _unreadable(RUBRIC.read, answer)
    assert "it awards criterion 'style', which the rubric does not have" in message
    assert "(its criteria: accuracy, brevity)" in message


def test_a_complete_rubric_verdict_is_read_in_the_rubrics_order() -> None:
    answer = {
        "reasoning": "fine",
        "criteria": {
            "brevity": {"points": 1, "reason": "short"},
            "accuracy": {"points": 2, "reason": "mostly"},
        },
    }
    awards, reasoning = RUBRIC.read(json.dumps(answer))
    assert reasoning == "fine"
    assert [(a.name, a.points, a.possible, a.reason) for a in awards] == [
        ("accuracy", 2.0, 3, "mostly"),
        ("brevity", 1.0, 1, "short"),
    ]

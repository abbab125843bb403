"""Grading given outputs: no model, no target, every datapoint carries its output."""

from __future__ import annotations

import pytest

from .conftest import assert_no_plugin_traceback, load_json

SPEC = """
name: capitals
pass_rate: 0.5
cases:
  - id: france
    input: What is the capital of France?
    expected: Paris
    output: Paris
  - id: spain
    input: What is the capital of Spain?
    expected: Madrid
    output: " Madrid "
  - id: italy
    input: What is the capital of Italy?
    expected: Rome
    output: Milan
"""


@pytest.mark.distributed
def test_each_datapoint_is_an_item_and_gate_tolerates_a_miss(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    pytester.makefile(".eval.yaml", **{"evals/capitals": SPEC})
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json", "-rA", *mode)
    result.assert_outcomes(passed=2, failed=1)
    assert result.ret == 0
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*evals summary*",
            "*capitals*",
            "*1 datapoint failure* tolerated*",
        ]
    )
    # The failure is readable: input, expected, output and the scorer's reason.
    result.stdout.fnmatch_lines(
        [
            "*eval 'capitals' datapoint 'italy'*",
            "input:    What is the capital of Italy?",
            "expected: Rome",
            "output:   Milan",
            "*exact_match*",
        ]
    )
    assert_no_plugin_traceback(out)
    report = load_json(pytester.path / "out.json")
    (run,) = report["runs"]
    assert run["status"] == "completed"
    assert run["total"] == 3 and run["progress"] == 3
    records = {r["datapoint_id"]: r for r in run["result_items"]}
    assert records["spain"]["passed"] is True
    assert records["italy"]["passed"] is False
    assert records["italy"]["scores"][0]["name"] == "exact_match"
    assert records["italy"]["status"] == "completed"
    assert run["summary"]["pass_rate"] == pytest.approx(2 / 3)


@pytest.mark.distributed
def test_test_ids_are_stable_and_selectable(pytester: pytest.Pytester, mode: list[str]) -> None:
    pytester.makefile(".eval.yaml", **{"evals/capitals": SPEC})
    result = pytester.runpytest("--evals", "evals", "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "evals/capitals.eval.yaml::capitals[[]france[]]",
            "evals/capitals.eval.yaml::capitals[[]spain[]]",
            "evals/capitals.eval.yaml::capitals[[]italy[]]",
        ]
    )
    result = pytester.runpytest("--evals", "evals", "-k", "spain", *mode)
    # Under xdist the workers deselect, and the controller's line does not count them.
    result.assert_outcomes(passed=1, deselected=0 if mode else 2)
    assert result.ret == 0


@pytest.mark.distributed
def test_gate_failure_sets_exit_status_with_one_line(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    pytester.makefile(".eval.yaml", **{"evals/capitals": SPEC.replace("0.5", "0.9")})
    result = pytester.runpytest("--evals", "evals", *mode)
    result.assert_outcomes(passed=2, failed=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*GATE FAILED capitals*66.7%*90.0%*"])


def test_fail_under_raises_the_bar(pytester: pytest.Pytester, mode: list[str]) -> None:
    pytester.makefile(".eval.yaml", **{"evals/capitals": SPEC})
    result = pytester.runpytest("--evals", "evals", "--evals-fail-under", "0.8", *mode)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*GATE FAILED capitals*80.0%*"])


def test_strict_fails_on_any_datapoint(pytester: pytest.Pytester, mode: list[str]) -> None:
    pytester.makefile(".eval.yaml", **{"evals/capitals": SPEC})
    result = pytester.runpytest("--evals", "evals", "--evals-strict", *mode)
    result.assert_outcomes(passed=2, failed=1)
    assert result.ret == 1


def test_all_pass_exit_zero(pytester: pytest.Pytester, mode: list[str]) -> None:
    spec = SPEC.replace("output: Milan", "output: Rome")
    pytester.makefile(".eval.yaml", **{"evals/capitals": spec})
    result = pytester.runpytest("--evals", "evals", *mode)
    result.assert_outcomes(passed=3)
    assert result.ret == 0
    assert "tolerated" not in result.stdout.str()

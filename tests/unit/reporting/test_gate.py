from __future__ import annotations

from typing import Any

import pytest

from pytest_evals.reporting import (
    GateVerdict,
    Run,
    evaluate_gate,
    session_exit_ok,
    summarize,
    tolerance_line,
)

from .helpers import errored, judged, make_run, record


def gate(
    passed: int,
    failed: int = 0,
    errors: int = 0,
    *,
    pass_rate: float = 1.0,
    fail_under: float | None = None,
    strict: bool = False,
) -> GateVerdict:
    records = (
        [record(f"p{i}") for i in range(passed)]
        + [record(f"f{i}", passed=False) for i in range(failed)]
        + [errored(f"e{i}") for i in range(errors)]
    )
    run = make_run(records, pass_rate=pass_rate)
    return evaluate_gate(run, summarize(run.records), fail_under=fail_under, strict=strict)


def test_gate_holds_at_exactly_the_required_rate_despite_float_error() -> None:
    # A required rate that came out of arithmetic sits a hair above the measured 3/10.
    required = 0.1 * 3
    assert required > 3 / 10
    verdict = gate(3, 7, pass_rate=required)
    assert verdict.holds
    assert verdict.measured == pytest.approx(0.3)


def test_gate_fails_below_the_required_rate() -> None:
    verdict = gate(8, 1, 1, pass_rate=0.9)
    assert not verdict.holds
    assert (verdict.failed_datapoints, verdict.errored_datapoints, verdict.datapoints) == (1, 1, 10)
    assert verdict.passed_datapoints == 8


def test_errors_count_as_not_passed() -> None:
    assert not gate(9, 0, 1, pass_rate=1.0).holds


def test_fail_under_raises_the_bar_but_never_lowers_it() -> None:
    assert gate(8, 2, pass_rate=0.5).holds
    raised = gate(8, 2, pass_rate=0.5, fail_under=0.9)
    assert raised.required == 0.9 and not raised.holds
    kept = gate(8, 2, pass_rate=0.9, fail_under=0.5)
    assert kept.required == 0.9 and not kept.holds


def test_strict_fails_on_any_datapoint_failure() -> None:
    assert gate(9, 1, pass_rate=0.5).holds
    verdict = gate(9, 1, pass_rate=0.5, strict=True)
    assert not verdict.holds
    assert verdict.required == 1.0
    assert gate(3, strict=True).holds


def test_strict_counts_failures_rather_than_comparing_rates() -> None:
    # 1 failure in 10^10 is within epsilon of 100%; strict still fails it.
    summary: dict[str, Any] = {
        "datapoints": 10**10,
        "passed": 10**10 - 1,
        "failed": 1,
        "errored": 0,
    }
    summary["pass_rate"] = summary["passed"] / summary["datapoints"]
    run = make_run([record("a")])
    assert evaluate_gate(run, summary, fail_under=None, strict=False).holds
    assert not evaluate_gate(run, summary, fail_under=None, strict=True).holds


def test_zero_datapoints_hold_vacuously() -> None:
    run = Run(
        id="empty",
        name="empty",
        eval="empty",
        spec_path="evals/empty.eval.yaml",
        model=None,
        total=0,
        pass_rate_required=1.0,
        config={},
        scorers=[],
        created_at="T0",
    )
    verdict = evaluate_gate(run, summarize([]), fail_under=0.9, strict=True)
    assert verdict.holds
    assert verdict.measured is None
    assert verdict.line() == "GATE PASSED empty: no datapoints to measure under --evals-strict"


def test_failed_gate_line() -> None:
    verdict = GateVerdict(
        run_id="capitals[local/gpt-4o-mini]",
        required=0.9,
        measured=0.72,
        holds=False,
        failed_datapoints=5,
        errored_datapoints=2,
        datapoints=25,
    )
    assert verdict.line() == (
        "GATE FAILED capitals[local/gpt-4o-mini]: pass rate 72.0% < required 90.0% "
        "(18/25 passed, 5 failed, 2 errored)"
    )


def test_gate_line_never_prints_equal_rates_for_a_failure() -> None:
    verdict = gate(8999, 1001, pass_rate=0.9)
    assert not verdict.holds
    assert "pass rate 89.99% < required 90.00%" in verdict.line()


def test_strict_gate_line_says_so() -> None:
    line = gate(2, 1, strict=True).line()
    assert line == (
        "GATE FAILED capitals[local/gpt-4o-mini]: pass rate 66.7% < required 100.0% "
        "under --evals-strict (2/3 passed, 1 failed, 0 errored)"
    )


def test_session_exit_ok() -> None:
    holding, failing = gate(1), gate(0, 1)
    assert session_exit_ok([holding], non_eval_failures=0)
    assert session_exit_ok([], non_eval_failures=0)
    assert not session_exit_ok([holding, failing], non_eval_failures=0)
    assert not session_exit_ok([holding], non_eval_failures=1)


def test_tolerance_line_when_gates_hold_with_failures() -> None:
    one = gate(2, 1, pass_rate=0.5)
    assert tolerance_line([one]) == "1 datapoint failure tolerated: the eval gate holds"
    mixed = gate(7, 2, 1, pass_rate=0.5)
    assert tolerance_line([one, mixed]) == (
        "4 datapoint failures (3 failed, 1 errored) tolerated: every eval gate holds"
    )
    errored = gate(4, 0, 1, pass_rate=0.5)
    assert tolerance_line([errored]) == "1 errored datapoint tolerated: the eval gate holds"


def test_no_tolerance_line_without_failures_or_with_a_failed_gate() -> None:
    assert tolerance_line([gate(3)]) is None
    assert tolerance_line([]) is None
    assert tolerance_line([gate(2, 1, pass_rate=0.5), gate(0, 1)]) is None


def test_a_run_whose_every_datapoint_errored_fails_even_at_pass_rate_zero() -> None:
    run = make_run([errored("a"), errored("b")], pass_rate=0.0)
    assert run.status == "failed"
    _, [verdict] = judged([run])
    assert not verdict.holds
    assert verdict.line().startswith(f"GATE FAILED {run.id}: every datapoint errored")
    assert not session_exit_ok([verdict], non_eval_failures=0)


def test_a_run_none_of_whose_datapoints_ran_does_not_hold() -> None:
    run = make_run([], total=3, interrupted=True)
    assert run.status == "cancelled"
    verdict = evaluate_gate(run, summarize(run.records), fail_under=None, strict=False)
    assert not verdict.holds
    assert (
        verdict.line()
        == "GATE FAILED capitals[local/gpt-4o-mini]: the run is cancelled, no datapoint ran"
    )

"""What a datapoint's report carries to the controller: written and read by one module, and
intact through pytest's own report serialization (what pytest-xdist sends)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_evals.records import ResultRecord, TokenUsage
from pytest_evals.wire import RunMeta, attach, carried

META = RunMeta(
    id="capitals",
    name="capitals",
    eval="capitals",
    spec_path="evals/capitals.eval.yaml",
    model=None,
    total=2,
    pass_rate_required=0.5,
    config={"threshold": None},
    scorers=[
        {
            "type": "exact_match",
            "name": "exact_match",
            "weight": 1.0,
            "threshold": 1.0,
            "options": {},
        }
    ],
)


def _record() -> ResultRecord:
    return ResultRecord(
        datapoint_id="fr",
        eval="capitals",
        model=None,
        input="France",
        expected="Paris",
        output="Paris",
        score=1.0,
        passed=True,
        tokens=TokenUsage(3, 1),
    )


def _report() -> pytest.TestReport:
    return pytest.TestReport(
        "e.eval.yaml::capitals[fr]", ("e.eval.yaml", 0, "x"), {}, "passed", None, "call"
    )


def test_a_described_run_and_its_record_survive_report_serialization(
    pytestconfig: pytest.Config,
) -> None:
    report = _report()
    attach(report, _record(), META, 4)
    data: Any = pytestconfig.hook.pytest_report_to_serializable(config=pytestconfig, report=report)
    back = pytestconfig.hook.pytest_report_from_serializable(config=pytestconfig, data=data)
    found = carried(back)
    assert found is not None
    assert found == (META, _record().to_dict(), 4)


def test_a_run_already_described_is_named_by_its_id() -> None:
    report = _report()
    attach(report, _record(), "capitals", 0)
    found = carried(report)
    assert found is not None
    assert found.run == {"id": "capitals"}


def test_a_report_of_anything_else_carries_nothing() -> None:
    assert carried(_report()) is None

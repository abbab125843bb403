from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from pytest_evals.reporting import build_report, write_json_atomic

from ...contract import RUN_KEYS
from .helpers import errored, judged, make_run, record


def report_for(*, interrupted: bool = False) -> dict[str, Any]:
    first = make_run(
        [record("a", cost=0.5), record("b", passed=False, cost=0.25), errored("c")],
        pass_rate=0.5,
        total=4,
        interrupted=interrupted,
    )
    second = make_run([record("a", cost=None)], run_id="other")
    summaries, verdicts = judged([first, second])
    return build_report(
        [first, second],
        summaries,
        verdicts,
        session={"started_at": "T0", "finished_at": "T1", "exit_status": 0, "args": ["--evals"]},
    )


def test_report_schema() -> None:
    report = report_for()
    assert set(report) == {"runs", "session"}
    runs = report["runs"]
    assert isinstance(runs, list) and len(runs) == 2
    run = runs[0]
    assert set(run) == RUN_KEYS
    assert run["id"] == "capitals[local/gpt-4o-mini]"
    assert (run["progress"], run["total"], run["status"]) == (3, 4, "completed")
    assert [r["datapoint_id"] for r in run["result_items"]] == ["a", "b", "c"]
    assert run["summary"]["pass_rate"] == pytest.approx(1 / 3)
    assert run["summary"]["gate"] == {
        "required": 0.5,
        "measured": pytest.approx(1 / 3),
        "holds": False,
        "strict": False,
    }
    assert run["created_at"] and run["finished_at"]
    json.dumps(report)  # plain data throughout


def test_session_keeps_what_the_plugin_passed_and_adds_totals() -> None:
    session = report_for()["session"]
    assert isinstance(session, dict)
    assert session["exit_status"] == 0 and session["args"] == ["--evals"]
    totals = session["totals"]
    assert totals["runs"] == 2
    assert (totals["datapoints"], totals["passed"], totals["failed"], totals["errored"]) == (
        4,
        2,
        1,
        1,
    )
    assert totals["pass_rate"] == pytest.approx(0.5)
    assert totals["cost"] == pytest.approx(0.75)
    assert totals["cost_incomplete"] is True
    assert totals["tokens"] == {"prompt": 30, "completion": 15, "total": 45}
    assert totals["gates_failed"] == 1


def test_interrupted_report_marks_the_run_cancelled_and_keeps_results() -> None:
    run, _ = report_for(interrupted=True)["runs"]
    assert run["status"] == "cancelled"
    assert len(run["result_items"]) == 3


def test_atomic_write_creates_dirs_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "report.json"
    write_json_atomic(path, {"runs": [], "session": {"day": date(2025, 1, 2)}})
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "runs": [],
        "session": {"day": "2025-01-02"},
    }
    assert os.listdir(path.parent) == ["report.json"]
    assert path.stat().st_mode & 0o644 == 0o644


def test_atomic_write_replaces_the_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("x" * 10_000, encoding="utf-8")
    write_json_atomic(path, {"a": 1})
    assert json.loads(path.read_text(encoding="utf-8")) == {"a": 1}


def test_failed_write_keeps_the_old_file_and_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text('{"old": true}', encoding="utf-8")
    with (
        mock.patch("pytest_evals.reporting.json_report.os.replace", side_effect=OSError("disk")),
        pytest.raises(OSError, match="disk"),
    ):
        write_json_atomic(path, {"new": True})
    assert json.loads(path.read_text(encoding="utf-8")) == {"old": True}
    assert os.listdir(tmp_path) == ["report.json"]


def test_unserializable_before_write_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "report.json"

    class Boom:
        def __str__(self) -> str:
            raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        write_json_atomic(path, {"x": Boom()})
    assert os.listdir(tmp_path) == []

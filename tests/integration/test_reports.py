"""The reports a session writes: JSON (SPEC §5 run schema), JUnit properties, Markdown; and
that a run under ``-n 2`` reports exactly what a serial run does."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from ..contract import RECORD_KEYS, RUN_KEYS
from .conftest import ALL_REPORTS, load_json

APP = """
def answer(item):
    if item["input"] == "crash":
        raise ValueError("the app crashed")
    return {"output": item["input"].upper(), "tokens": {"prompt": 5, "completion": 2},
            "cost": 0.001}
"""

SPEC = """
name: shout
tags: [smoke]
target: app:answer
pass_rate: 0.5
scorers:
  - exact_match
  - {type: regex, pattern: '^[A-Z0-9]+$', name: caps}
cases:
"""
CASES = [("a", "A"), ("b", "B"), ("c", "X"), ("crash", "CRASH")] + [
    (f"w{i}", f"W{i}") for i in range(8)
]


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(**{"evals/app": APP})
    cases = "".join(f"  - {{id: {i}, input: {i}, expected: {e}}}\n" for i, e in CASES)
    pytester.makefile(".eval.yaml", **{"evals/shout": SPEC + cases})
    return pytester


def _run(project: pytest.Pytester, *extra: str) -> pytest.RunResult:
    return project.runpytest("--evals", "evals", *ALL_REPORTS, *extra)


@pytest.mark.distributed
def test_json_report_follows_the_run_schema(project: pytest.Pytester, mode: list[str]) -> None:
    result = _run(project, *mode)
    result.assert_outcomes(passed=10, failed=1, errors=1)
    assert result.ret == 0  # 10/12 passed ≥ 50%: the gate holds
    report = load_json(project.path / "out.json")
    assert set(report) == {"runs", "session"}
    (run,) = report["runs"]
    assert set(run) == RUN_KEYS
    assert run["status"] == "completed"
    assert run["progress"] == run["total"] == 12
    assert run["spec_path"] == "evals/shout.eval.yaml"
    assert [s["name"] for s in run["scorers"]] == ["exact_match", "caps"]
    assert run["config"]["tags"] == ["smoke"] and run["config"]["pass_rate"] == 0.5
    for record in run["result_items"]:
        assert set(record) >= RECORD_KEYS, record
    records = {r["datapoint_id"]: r for r in run["result_items"]}
    assert records["a"]["tokens"] == {"prompt": 5, "completion": 2, "total": 7}
    assert records["a"]["cost"] == 0.001 and records["a"]["cached"] is False
    assert records["crash"]["status"] == "error" and records["crash"]["score"] is None
    assert "ValueError: the app crashed" in records["crash"]["error"]
    assert records["c"]["passed"] is False and records["c"]["status"] == "completed"
    summary = run["summary"]
    assert (summary["datapoints"], summary["passed"], summary["failed"], summary["errored"]) == (
        12,
        10,
        1,
        1,
    )
    assert summary["pass_rate"] == pytest.approx(10 / 12)
    assert summary["tokens"]["total"] == 7 * 11
    assert summary["cost"] == pytest.approx(0.011)
    assert summary["gate"] == {
        "required": 0.5,
        "measured": summary["pass_rate"],
        "holds": True,
        "strict": False,
    }
    assert report["session"]["exit_status"] == 0


def _properties(junit: str) -> dict[str, dict[str, str]]:
    root = ET.fromstring(junit)
    found: dict[str, dict[str, str]] = {}
    for case in root.iter("testcase"):
        props = {p.get("name", ""): p.get("value", "") for p in case.iter("property")}
        found[case.get("name", "")] = props
    return found


@pytest.mark.distributed
def test_junit_carries_eval_properties_and_tells_errors_from_failures(
    project: pytest.Pytester, mode: list[str]
) -> None:
    _run(project, *mode)
    junit = (project.path / "junit.xml").read_text()
    props = _properties(junit)
    assert props["shout[a]"] == {
        "eval.score": "1",
        "eval.passed": "true",
        "eval.latency_ms": props["shout[a]"]["eval.latency_ms"],
        "eval.tokens": "7",
        "eval.cost": "0.001",
        "eval.model": "",
    }
    assert float(props["shout[a]"]["eval.latency_ms"]) >= 0
    assert props["shout[c]"]["eval.passed"] == "false"
    assert props["shout[c]"]["eval.score"] == "0.5"
    root = ET.fromstring(junit)
    outcome: dict[str, str] = {}
    for case in root.iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error")]
        outcome[case.get("name", "")] = kinds[0] if kinds else "passed"
    assert outcome["shout[c]"] == "failure"
    assert outcome["shout[crash]"] == "error"
    assert list(outcome.values()).count("passed") == 10


@pytest.mark.distributed
def test_markdown_summary(project: pytest.Pytester, mode: list[str]) -> None:
    _run(project, *mode)
    markdown = (project.path / "summary.md").read_text()
    assert markdown.startswith("## Evals summary")
    assert "| shout |" in markdown
    assert "| 12 | 10 | 1 | 1 | 83.3% |" in markdown
    assert "crash" in markdown  # errored datapoints are listed apart
    assert "1 datapoint failure" not in markdown  # one failed and one errored: 2 tolerated
    assert "2 datapoint failures (1 failed, 1 errored) tolerated" in markdown


@pytest.mark.distributed
def test_terminal_summary_lists_errors_apart_and_workers_print_none(
    project: pytest.Pytester, mode: list[str]
) -> None:
    result = _run(project, *mode)
    out = result.stdout.str()
    assert out.count("evals summary") == 1
    result.stdout.fnmatch_lines(
        [
            "*evals summary*",
            "shout*gate PASS*50.0%",
            "*datapoints*12*passed*10*failed*1*errored*1*",
            "*crash*ValueError: the app crashed*",
            "2 datapoint failures (1 failed, 1 errored) tolerated: the eval gate holds",
        ]
    )


def _comparable(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Everything but timings, which differ from run to run."""
    runs = []
    for run in report["runs"]:
        records = sorted(
            ({k: v for k, v in r.items() if k != "latency_ms"} for r in run["result_items"]),
            key=lambda r: r["datapoint_id"],
        )
        summary = {k: v for k, v in run["summary"].items() if k != "latency_ms"}
        runs.append(
            {"id": run["id"], "total": run["total"], "records": records, "summary": summary}
        )
    return runs


def test_xdist_reports_exactly_what_a_serial_run_does(project: pytest.Pytester) -> None:
    serial = _run(project)
    serial_report = load_json(project.path / "out.json")
    parallel = _run(project, "-n", "2")
    parallel_report = load_json(project.path / "out.json")
    assert serial.ret == parallel.ret == 0
    assert _comparable(serial_report) == _comparable(parallel_report)
    serial_md = (project.path / "summary.md").read_text()
    assert "| 12 | 10 | 1 | 1 | 83.3% |" in serial_md


def test_interrupted_session_writes_a_cancelled_run(project: pytest.Pytester) -> None:
    result = _run(project, "-x")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    (run,) = load_json(project.path / "out.json")["runs"]
    assert run["status"] == "cancelled"
    assert run["progress"] < run["total"] == 12
    assert all(r["status"] in ("completed", "error") for r in run["result_items"])


DATED = """
cases:
  - id: founding
    input: {asked: 2024-05-01T10:00:00Z, question: When was Google founded?}
    expected: 1998-09-04
    output: "1998-09-04"
    metadata: {checked: 2024-05-02}
"""


@pytest.mark.distributed
def test_yaml_dates_in_a_datapoint_survive_xdist_and_compare_as_written(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    pytester.makefile(".eval.yaml", **{"evals/dated": DATED})
    result = pytester.runpytest("--evals", "evals", *ALL_REPORTS, *mode)
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK
    assert "INTERNALERROR" not in result.stdout.str()
    [record] = load_json(pytester.path / "out.json")["runs"][0]["result_items"]
    assert record["expected"] == "1998-09-04"
    assert record["input"]["asked"] == "2024-05-01T10:00:00+00:00"


def test_collect_only_leaves_the_reports_of_the_last_run_alone(pytester: pytest.Pytester) -> None:
    pytester.makefile(".eval.yaml", **{"evals/dated": DATED})
    pytester.runpytest("--evals", "evals", "--evals-json", "out.json", "--evals-summary-md", "s.md")
    before = (pytester.path / "out.json").read_text(), (pytester.path / "s.md").read_text()
    result = pytester.runpytest(
        "--evals",
        "evals",
        "--evals-json",
        "out.json",
        "--evals-summary-md",
        "s.md",
        "--collect-only",
    )
    assert result.ret == pytest.ExitCode.OK
    assert (
        (pytester.path / "out.json").read_text(),
        (pytester.path / "s.md").read_text(),
    ) == before


@pytest.mark.distributed
def test_a_report_that_cannot_be_written_is_one_line_and_the_others_are_written(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    pytester.makefile(".eval.yaml", **{"evals/dated": DATED})
    (pytester.path / "taken").mkdir()
    result = pytester.runpytest(
        "--evals", "evals", "--evals-json", "taken", "--junitxml", "junit.xml",
        "--evals-summary-md", "summary.md", *mode,
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*evals summary*", "*REPORT NOT WRITTEN --evals-json *taken: *"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert (pytester.path / "junit.xml").is_file()
    assert "dated" in (pytester.path / "summary.md").read_text()


def test_the_markdown_summary_appends_to_githubs_step_summary_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makefile(".eval.yaml", **{"evals/dated": DATED})
    step = pytester.path / "step.md"
    step.write_text("# Earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    pytester.runpytest("--evals", "evals", "--evals-summary-md", str(step))
    pytester.runpytest("--evals", "evals", "--evals-summary-md", "other.md")
    pytester.runpytest("--evals", "evals", "--evals-summary-md", "other.md")
    text = step.read_text()
    assert text.startswith("# Earlier step\n") and "dated" in text
    other = (pytester.path / "other.md").read_text()
    assert other.count("dated") == text.count("dated")  # overwritten, not appended


GOOD_ONE = "cases:\n  - {id: a, output: x, expected: x}\n"


def test_reports_keep_datapoint_and_spec_order_under_xdist(pytester: pytest.Pytester) -> None:
    cases = "".join(f"  - {{id: d{i:02d}, output: x, expected: x}}\n" for i in range(24))
    pytester.makefile(
        ".eval.yaml", **{"evals/b_second": f"cases:\n{cases}", "evals/a_first": GOOD_ONE}
    )
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json", "-n", "2")
    result.assert_outcomes(passed=25)
    runs = load_json(pytester.path / "out.json")["runs"]
    assert [r["name"] for r in runs] == ["a_first", "b_second"]
    assert [r["datapoint_id"] for r in runs[1]["result_items"]] == [f"d{i:02d}" for i in range(24)]


@pytest.mark.distributed
def test_two_spec_files_with_one_name_are_two_runs_with_two_gates(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    missing = "".join(
        f"  - {{id: d{i}, output: x, expected: {'x' if i else 'y'}}}\n" for i in range(4)
    )
    holding = "".join(f"  - {{id: d{i}, output: x, expected: x}}\n" for i in range(10))
    pytester.makefile(
        ".eval.yaml", **{"evals/en/qa": f"cases:\n{missing}", "evals/fr/qa": f"cases:\n{holding}"}
    )
    result = pytester.runpytest("--evals", "evals", *ALL_REPORTS, *mode)
    result.assert_outcomes(passed=13, failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*GATE FAILED qa (evals/en/qa.eval.yaml): pass rate 75.0%*"])
    runs = load_json(pytester.path / "out.json")["runs"]
    assert [(r["id"], r["total"], r["summary"]["passed"]) for r in runs] == [
        ("qa (evals/en/qa.eval.yaml)", 4, 3),
        ("qa (evals/fr/qa.eval.yaml)", 10, 10),
    ]
    markdown = (pytester.path / "summary.md").read_text()
    assert "evals/en/qa.eval.yaml" in markdown and "evals/fr/qa.eval.yaml" in markdown

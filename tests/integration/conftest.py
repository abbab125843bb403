"""Shared fixtures for the end-to-end tests: every test runs pytest through `pytester`,
serially, and those marked ``distributed`` once more with ``-n 2``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

MODES = {"serial": [], "xdist": ["-n", "2"]}
# Every report a session can write, into the test's folder.
ALL_REPORTS = (
    "--evals-json",
    "out.json",
    "--junitxml",
    "junit.xml",
    "--evals-summary-md",
    "summary.md",
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``mode``: extra pytest arguments, none (``serial``); and ``-n 2`` (``xdist``) too for
    tests marked ``distributed``, where distribution changes what they check (aggregation,
    scheduling, limits, budget, reports, exit status)."""
    if "mode" in metafunc.fixturenames:
        distributed = metafunc.definition.get_closest_marker("distributed") is not None
        names = list(MODES) if distributed else ["serial"]
        metafunc.parametrize("mode", [list(MODES[n]) for n in names], ids=names)


def assert_no_plugin_traceback(text: str) -> None:
    assert "Traceback" not in text, text
    assert "pytest_evals/" not in text, text
    assert "INTERNALERROR" not in text, text


def load_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def records_by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{r['eval']}/{r['model']}/{r['datapoint_id']}": r
        for run in report["runs"]
        for r in run["result_items"]
    }

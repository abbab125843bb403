"""The response cache end to end: hits, modes, replay offline, corrupt entries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..fakeserver import FakeOpenAI
from .conftest import assert_no_plugin_traceback, load_json
from .test_model_calls import ANSWERS, SPEC, pyproject


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(answers=ANSWERS) as running:
        yield running


@pytest.fixture
def project(
    pytester: pytest.Pytester, server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    monkeypatch.setenv("LOCAL_KEY", "sk-first-key-0000000000")
    pytester.makepyprojecttoml(pyproject(server.base_url))
    pytester.makefile(".eval.yaml", **{"evals/capitals": SPEC})
    return pytester


def _run(project: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, object]]:
    result = project.runpytest(
        "--evals", "evals", "--evals-cache-dir", "cache", "--evals-json", "out.json", *args
    )
    return result, load_json(project.path / "out.json")


@pytest.mark.distributed
def test_a_second_run_is_served_from_the_cache(
    project: pytest.Pytester,
    server: FakeOpenAI,
    mode: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, _ = _run(project, *mode)
    first.assert_outcomes(passed=3, failed=1)
    assert server.request_count == 4
    # Another key: the cache is keyed by what determines the response, never the key.
    monkeypatch.setenv("LOCAL_KEY", "sk-second-key-111111111")
    second, report = _run(project, *mode)
    second.assert_outcomes(passed=3, failed=1)
    assert server.request_count == 4  # zero new requests
    run = report["runs"][0]  # type: ignore[index]
    assert all(r["cached"] is True for r in run["result_items"])
    summary = run["summary"]
    assert summary["cache_hits"] == 4
    assert summary["cost_replayed"] == pytest.approx(summary["cost"])
    assert summary["cost_incurred"] == pytest.approx(0.0)
    # The layout wraps cells to the width; read the cells, not the lines.
    cells = " ".join(second.stdout.str().split())
    assert "cache hits 4 ($0.0001)" in cells and "cost $0.0000" in cells
    cached = sorted(p.name for p in (project.path / "cache").rglob("*.json"))
    assert len(cached) == 4
    for path in (project.path / "cache").rglob("*.json"):
        assert "key" not in path.read_text()


def test_replay_works_with_the_server_gone_and_a_miss_is_an_error(
    project: pytest.Pytester, server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(project)
    server.close()
    monkeypatch.delenv("LOCAL_KEY")  # replay needs no key
    replayed, _ = _run(project, "--evals-cache", "replay")
    replayed.assert_outcomes(passed=3, failed=1)
    project.makefile(
        ".eval.yaml",
        **{"evals/capitals": SPEC + "  - {id: chile, country: Chile, expected: Santiago}\n"},
    )
    missed, _ = _run(project, "--evals-cache", "replay")
    missed.assert_outcomes(passed=3, failed=1, errors=1)
    missed.stdout.fnmatch_lines(["*not in the response cache*replay makes no calls*"])
    assert_no_plugin_traceback(missed.stdout.str())


def test_refresh_calls_again_and_off_neither_reads_nor_writes(
    project: pytest.Pytester, server: FakeOpenAI
) -> None:
    _run(project)
    _run(project, "--evals-cache", "refresh")
    assert server.request_count == 8
    _, report = _run(project)
    assert server.request_count == 8
    _run(project, "--evals-cache", "off", "--evals-cache-dir", "elsewhere")
    assert server.request_count == 12
    assert not (project.path / "elsewhere").exists()
    run = report["runs"][0]  # type: ignore[index]
    assert all(r["cached"] for r in run["result_items"])


def test_a_corrupt_entry_is_a_warning_and_a_fresh_call(
    project: pytest.Pytester, server: FakeOpenAI, mode: list[str]
) -> None:
    _run(project)
    entries = sorted((project.path / "cache").rglob("*.json"))
    entries[0].write_text("{ not json")
    result, report = _run(project, *mode)
    result.assert_outcomes(passed=3, failed=1)
    assert server.request_count == 5
    assert "is corrupt" in result.stdout.str()
    assert_no_plugin_traceback(result.stdout.str().replace("EvalsCacheWarning", ""))
    hits = sum(1 for r in report["runs"][0]["result_items"] if r["cached"])  # type: ignore[index]
    assert hits == 3


def test_the_default_cache_lives_outside_pytests_cache_and_survives_cache_clear(
    project: pytest.Pytester, server: FakeOpenAI
) -> None:
    project.runpytest("--evals", "evals")
    project.runpytest("--evals", "evals", "--cache-clear")
    assert server.request_count == 4
    assert list(Path(project.path / ".pytest-evals" / "cache").rglob("*.json"))

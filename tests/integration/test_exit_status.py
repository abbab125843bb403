"""The exit status a CI user relies on: collection errors and runs that could not produce a
single scored sample are never green, serially or under xdist."""

from __future__ import annotations

import pytest

from .conftest import load_json

GOOD = "cases:\n  - {id: a, output: Paris, expected: Paris}\n"
BROKEN = "cases:\n  - {id: a, output: Paris, expected: Paris}\nscorers: [exact_mach]\n"


@pytest.mark.distributed
def test_a_broken_spec_fails_the_session_even_when_the_others_hold(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    pytester.makefile(".eval.yaml", **{"evals/good": GOOD, "evals/broken": BROKEN})
    result = pytester.runpytest("--evals", "evals", "--continue-on-collection-errors", *mode)
    result.assert_outcomes(passed=1, errors=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*1 collection error: the session fails*"])


def test_under_xdist_without_the_flag_too(pytester: pytest.Pytester) -> None:
    pytester.makefile(".eval.yaml", **{"evals/good": GOOD, "evals/broken": BROKEN})
    result = pytester.runpytest("--evals", "evals", "-n", "2")
    assert result.ret != pytest.ExitCode.OK


def test_a_broken_test_module_beside_holding_evals_fails_under_xdist(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".eval.yaml", **{"evals/good": GOOD})
    pytester.makepyfile(test_broken="import no_such_module_anywhere\n")
    result = pytester.runpytest("test_broken.py", "--evals", "evals", "-n", "2")
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_a_missing_api_key_fails_under_xdist(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    pytester.makefile(
        ".eval.yaml",
        **{
            "evals/good": GOOD,
            "evals/called": "model: openai/gpt-4o-mini\ncases:\n  - {id: a, input: hi}\n",
        },
    )
    result = pytester.runpytest("--evals", "evals", "-n", "2")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*needs an API key*OPENAI_API_KEY*"])


@pytest.mark.distributed
def test_a_run_whose_every_datapoint_errored_fails_whatever_its_pass_rate(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    pytester.makepyfile(**{"evals/app": "def answer(item):\n    raise ConnectionError('down')\n"})
    cases = "".join(f"  - {{id: d{i}, input: x, expected: y}}\n" for i in range(3))
    spec = f"target: app:answer\npass_rate: 0\ncases:\n{cases}"
    pytester.makefile(".eval.yaml", **{"evals/dead": spec, "evals/good": GOOD})
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json", *mode)
    result.assert_outcomes(passed=1, errors=3)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*GATE FAILED dead: every datapoint errored, the run failed*"])
    runs = {r["name"]: r for r in load_json(pytester.path / "out.json")["runs"]}
    assert runs["dead"]["status"] == "failed"
    assert runs["dead"]["summary"]["gate"]["holds"] is False
    assert runs["good"]["summary"]["gate"]["holds"] is True


MISSES_FIRST = "cases:\n  - {id: a, output: x, expected: y}\n  - {id: b, output: x, expected: x}\n"


def test_an_eval_stopped_before_it_started_is_a_cancelled_run_in_the_report(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".eval.yaml", **{"evals/first": MISSES_FIRST, "evals/second": GOOD})
    result = pytester.runpytest("--evals", "evals", "-x", "--evals-json", "out.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    runs = {r["name"]: r for r in load_json(pytester.path / "out.json")["runs"]}
    assert (runs["first"]["status"], runs["first"]["progress"]) == ("cancelled", 1)
    second = runs["second"]
    assert (second["status"], second["progress"], second["total"]) == ("cancelled", 0, 1)
    assert second["result_items"] == [] and second["summary"]["gate"]["holds"] is False
    result.stdout.fnmatch_lines(
        ["second  (cancelled at 0/1)*gate FAIL (not run)", "*GATE FAILED second: the run is "
         "cancelled, no datapoint ran"]
    )  # fmt: skip


def test_evals_of_a_session_a_collection_error_interrupted_are_pending_runs(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".eval.yaml", **{"evals/good": GOOD, "evals/broken": BROKEN})
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    (run,) = load_json(pytester.path / "out.json")["runs"]
    assert (run["name"], run["status"], run["progress"], run["total"]) == ("good", "pending", 0, 1)


def test_a_datapoint_whose_worker_crashed_is_an_error_and_its_run_failed(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        **{
            "evals/app": "import os\n\ndef answer(item):\n"
            "    if item['id'] == 'boom':\n        os._exit(3)\n    return item['expected']\n"
        }
    )
    cases = "".join(f"  - {{id: {i}, input: x, expected: x}}\n" for i in ("a", "boom", "c", "d"))
    pytester.makefile(
        ".eval.yaml",
        **{
            "evals/crashy": f"target: app:answer\npass_rate: 0.5\ncases:\n{cases}",
            "evals/good": GOOD,
        },
    )
    result = pytester.runpytest("--evals", "evals", "-n", "2", "--evals-json", "out.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*GATE FAILED crashy: a worker crashed while running a datapoint, the run failed*"]
    )
    runs = {r["name"]: r for r in load_json(pytester.path / "out.json")["runs"]}
    crashy = runs["crashy"]
    assert (crashy["status"], crashy["progress"], crashy["crashed"]) == ("failed", 4, 1)
    boom = {r["datapoint_id"]: r for r in crashy["result_items"]}["boom"]
    assert boom["status"] == "error"
    assert "crashed while running 'evals/crashy.eval.yaml::crashy[boom]'" in boom["error"]
    assert runs["good"]["status"] == "completed"


def test_evals_a_crashed_worker_left_unrun_are_cancelled_not_completed(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(**{"evals/app": "import os\n\ndef answer(item):\n    os._exit(3)\n"})
    cases = "".join(f"  - {{id: c{i}, input: x, expected: x}}\n" for i in range(6))
    pytester.makefile(
        ".eval.yaml",
        **{"evals/crashy": f"target: app:answer\ncases:\n{cases}", "evals/later": GOOD},
    )
    result = pytester.runpytest(
        "--evals", "evals", "-n", "2", "--max-worker-restart", "0", "--evals-json", "out.json"
    )
    assert result.ret != pytest.ExitCode.OK
    runs = {r["name"]: r for r in load_json(pytester.path / "out.json")["runs"]}
    assert runs["crashy"]["status"] == "failed"
    # Both workers die on their first item, before any reaches `later`.
    later = runs["later"]
    assert (later["status"], later["progress"]) == ("cancelled", 0)
    assert later["summary"]["gate"]["holds"] is False


@pytest.mark.distributed
def test_the_markdown_summary_says_what_fails_the_session_beside_green_gates(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    pytester.makefile(".eval.yaml", **{"evals/good": GOOD})
    pytester.makepyfile(
        test_broken="import no_such_module_anywhere\n", test_plain="def test_x():\n    assert 0\n"
    )
    result = pytester.runpytest(
        "test_broken.py", "test_plain.py", "--evals", "evals", "--continue-on-collection-errors",
        "--evals-summary-md", "summary.md", "--evals-json", "out.json", *mode,
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    markdown = (pytester.path / "summary.md").read_text()
    for note in (
        "1 collection error: the session fails, whatever the gates say",
        "1 test that is not an eval failed: the session fails, whatever the gates say",
    ):
        assert note in markdown
        result.stdout.fnmatch_lines([note])
    session = load_json(pytester.path / "out.json")["session"]
    assert (session["collection_errors"], session["non_eval_failures"]) == (1, 1)


def test_collect_only_prints_no_evals_summary(pytester: pytest.Pytester) -> None:
    pytester.makefile(".eval.yaml", **{"evals/good": GOOD})
    result = pytester.runpytest("--evals", "evals", "--collect-only", "-q")
    assert result.ret == pytest.ExitCode.OK
    assert "evals summary" not in result.stdout.str()
    assert "gate" not in result.stdout.str()

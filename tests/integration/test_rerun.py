"""pytest's re-run flags on eval items: ``--lf``, ``--ff`` and ``--sw`` select datapoints by
their node ids (pytest 8 and 9), and each eval's gate is measured on its last complete
results with the re-run datapoints replaced, not on the re-run ones alone."""

from __future__ import annotations

import pytest

from .conftest import load_json

# b misses; a pass rate of 50% tolerates it.
SPEC = """name: triage
pass_rate: 0.5
cases:
  - {id: a, output: x, expected: x}
  - {id: b, output: x, expected: y}
  - {id: c, output: x, expected: x}
"""


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("--evals", "evals", "--evals-json", "out.json", *args)


def _triage(pytester: pytest.Pytester) -> dict[str, object]:
    (run,) = load_json(pytester.path / "out.json")["runs"]
    assert isinstance(run, dict)
    return run


@pytest.mark.distributed
def test_lf_reruns_the_failed_datapoint_and_gates_on_every_datapoint(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    pytester.makefile(".eval.yaml", **{"evals/triage": SPEC})
    first = _run(pytester, *mode)
    first.assert_outcomes(passed=2, failed=1)
    assert first.ret == pytest.ExitCode.OK

    again = _run(pytester, "--lf", *mode)
    # Only b ran, and it still misses: 2/3 is still a holding gate (not 0/1).
    again.assert_outcomes(failed=1)
    assert again.ret == pytest.ExitCode.OK
    again.stdout.fnmatch_lines(
        [
            "triage  (2 kept from earlier sessions)*gate PASS*",
            "--lf: gates count each eval's last results: 1 datapoint re-run, 2 kept from "
            "earlier sessions",
        ]
    )
    run = _triage(pytester)
    assert (run["status"], run["progress"], run["total"], run["kept"]) == ("completed", 3, 3, 2)
    records = run["result_items"]
    assert isinstance(records, list)
    assert [r["datapoint_id"] for r in records] == ["a", "b", "c"]
    assert [r.get("kept", False) for r in records] == [True, False, True]
    summary = run["summary"]
    assert isinstance(summary, dict)
    assert (summary["passed"], summary["failed"]) == (2, 1)


def test_lf_turns_the_gate_green_when_the_fix_passes(pytester: pytest.Pytester) -> None:
    strict = SPEC.replace("pass_rate: 0.5", "pass_rate: 1.0")
    pytester.makefile(".eval.yaml", **{"evals/triage": strict})
    assert _run(pytester).ret == pytest.ExitCode.TESTS_FAILED
    pytester.makefile(
        ".eval.yaml", **{"evals/triage": strict.replace("expected: y", "expected: x")}
    )
    again = _run(pytester, "--lf")
    again.assert_outcomes(passed=1)
    assert again.ret == pytest.ExitCode.OK
    gate = _triage(pytester)["summary"]["gate"]
    assert gate["measured"] == 1.0 and gate["holds"] is True


def test_a_changed_datapoint_keeps_no_stale_result(pytester: pytest.Pytester) -> None:
    pytester.makefile(".eval.yaml", **{"evals/triage": SPEC})
    _run(pytester)
    # a's data changed since its result was stored: that result no longer says anything.
    changed = SPEC.replace("{id: a, output: x, expected: x}", "{id: a, output: z, expected: x}")
    pytester.makefile(".eval.yaml", **{"evals/triage": changed})
    again = _run(pytester, "--lf")
    again.assert_outcomes(failed=1)
    again.stdout.fnmatch_lines(
        ["--lf: *1 datapoint re-run, 1 kept from earlier sessions; 1 datapoint with no "
         "earlier result left out"]
    )  # fmt: skip
    run = _triage(pytester)
    assert [r["datapoint_id"] for r in run["result_items"]] == ["b", "c"]
    assert (run["total"], run["kept"]) == (2, 1)


def test_a_changed_eval_configuration_keeps_nothing(pytester: pytest.Pytester) -> None:
    pytester.makefile(".eval.yaml", **{"evals/triage": SPEC})
    _run(pytester)
    pytester.makefile(".eval.yaml", **{"evals/triage": SPEC + "scorers: [contains]\n"})
    again = _run(pytester, "--lf")
    again.assert_outcomes(failed=1)
    again.stdout.fnmatch_lines(["*; 2 datapoints with no earlier result left out"])
    run = _triage(pytester)
    assert (run["total"], run["kept"]) == (1, 0)


def test_ff_runs_the_failed_datapoint_first(pytester: pytest.Pytester) -> None:
    pytester.makefile(".eval.yaml", **{"evals/triage": SPEC})
    _run(pytester)
    again = _run(pytester, "--ff", "-v")
    again.assert_outcomes(passed=2, failed=1)
    again.stdout.fnmatch_lines(
        ["*triage?b? FAILED*", "*triage?a? PASSED*", "*triage?c? PASSED*"], consecutive=False
    )
    assert _triage(pytester)["kept"] == 0


def test_sw_resumes_at_the_last_failure_and_keeps_what_passed_before(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".eval.yaml", **{"evals/triage": SPEC})
    first = _run(pytester, "--sw")
    first.assert_outcomes(passed=1, failed=1)  # stops at b
    assert _triage(pytester)["status"] == "cancelled"
    pytester.makefile(".eval.yaml", **{"evals/triage": SPEC.replace("expected: y", "expected: x")})
    again = _run(pytester, "--sw")
    again.assert_outcomes(passed=2)  # b and c; a passed before
    assert again.ret == pytest.ExitCode.OK
    run = _triage(pytester)
    assert (run["status"], run["progress"], run["total"], run["kept"]) == ("completed", 3, 3, 1)


def test_without_pytest_cache_lf_is_not_there_and_nothing_breaks(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".eval.yaml", **{"evals/triage": SPEC})
    result = _run(pytester, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    assert result.ret == pytest.ExitCode.OK


def test_namesake_runs_keep_their_ids_under_lf(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".eval.yaml",
        **{
            "evals/en/qa": SPEC.replace("name: triage", "name: qa"),
            "evals/fr/qa": "cases:\n  - {id: a, output: x, expected: x}\n",
        },
    )
    _run(pytester)
    again = _run(pytester, "--lf")
    again.assert_outcomes(failed=1)  # fr passed: nothing of it re-runs
    en, fr = load_json(pytester.path / "out.json")["runs"]
    assert (en["id"], en["total"], en["kept"]) == ("qa (evals/en/qa.eval.yaml)", 3, 2)
    assert (fr["id"], fr["total"], fr["kept"]) == ("qa (evals/fr/qa.eval.yaml)", 1, 1)


@pytest.mark.distributed
def test_an_eval_lf_reruns_nothing_of_is_still_reported_with_its_last_results(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    pytester.makefile(
        ".eval.yaml",
        **{"evals/triage": SPEC, "evals/steady": "cases:\n  - {id: a, output: x, expected: x}\n"},
    )
    _run(pytester, *mode)
    again = _run(pytester, "--lf", *mode)
    again.assert_outcomes(failed=1)
    assert again.ret == pytest.ExitCode.OK
    runs = {r["name"]: r for r in load_json(pytester.path / "out.json")["runs"]}
    steady = runs["steady"]
    assert (steady["status"], steady["total"], steady["kept"]) == ("completed", 1, 1)
    assert steady["summary"]["gate"]["holds"] is True
    again.stdout.fnmatch_lines(["steady  (1 kept from earlier sessions)*gate PASS*"])


def test_lf_does_not_hide_a_spec_broken_since_the_last_run(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".eval.yaml",
        **{"evals/triage": SPEC, "evals/steady": "cases:\n  - {id: a, output: x, expected: x}\n"},
    )
    _run(pytester)
    pytester.makefile(".eval.yaml", **{"evals/steady": "cases: [\n"})
    again = _run(pytester, "--lf")
    assert again.ret == pytest.ExitCode.INTERRUPTED
    again.stdout.fnmatch_lines(["*evals/steady.eval.yaml*invalid YAML*"])


def test_lf_with_k_reports_only_what_was_chosen(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".eval.yaml",
        **{"evals/triage": SPEC, "evals/steady": "cases:\n  - {id: a, output: x, expected: x}\n"},
    )
    _run(pytester)
    again = _run(pytester, "--lf", "-k", "triage")
    again.assert_outcomes(failed=1)
    assert [r["name"] for r in load_json(pytester.path / "out.json")["runs"]] == ["triage"]


def test_a_session_cut_short_keeps_the_stored_results_of_what_it_did_not_reach(
    pytester: pytest.Pytester,
) -> None:
    spec = SPEC.replace("  - {id: a, output: x, expected: x}\n", "").replace(
        "cases:\n",
        "cases:\n  - {id: a, output: x, expected: y}\n  - {id: z, output: x, expected: x}\n",
    )
    pytester.makefile(".eval.yaml", **{"evals/triage": spec})
    _run(pytester)  # a and b miss, c and z pass: 2/4 holds at 50%
    _run(pytester, "-x")  # stops at a
    again = _run(pytester, "--lf")
    again.assert_outcomes(failed=2)
    run = _triage(pytester)
    assert (run["total"], run["kept"]) == (4, 2)
    assert run["summary"]["gate"]["holds"] is True


def test_a_changed_model_parameter_or_repeat_keeps_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"evals/app": "def answer(item):\n    return 'x'\n"})
    base = "target: app:answer\npass_rate: 0.5\ncases:\n"
    cases = "  - {id: a, input: q, expected: x}\n  - {id: b, input: q, expected: y}\n"
    pytester.makefile(".eval.yaml", **{"evals/triage": base + cases})
    _run(pytester)
    again = _run(pytester, "--lf", "--evals-repeat", "2")
    again.assert_outcomes(failed=1)
    assert _triage(pytester)["kept"] == 0

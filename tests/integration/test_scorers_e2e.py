"""Scorers through the plugin: custom types from a conftest hook, crashing scorers,
thresholds and weights, repeats."""

from __future__ import annotations

import pytest

from .conftest import assert_no_plugin_traceback, load_json

CONFTEST = """
from pytest_evals.scorers import ScorerConfigError, Verdict


def shorter_than(*, words=None):
    if not isinstance(words, int):
        raise ScorerConfigError("'words' must be a whole number", key="words")

    def score(ctx):
        count = len(ctx.output.split())
        return Verdict(1.0 if count < words else 0.0, reason=f"{count} words")

    return score


def pytest_evals_register_scorers(registry):
    registry.register("shorter_than", shorter_than)
"""


def test_custom_scorer_from_a_conftest(pytester: pytest.Pytester, mode: list[str]) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makefile(
        ".eval.yaml",
        **{
            "evals/brief": """
scorers:
  - {type: shorter_than, words: 4}
pass_rate: 0.5
cases:
  - {id: short, output: two words}
  - {id: long, output: this one has far too many words}
"""
        },
    )
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json", *mode)
    result.assert_outcomes(passed=1, failed=1)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*shorter_than: score 0.000 — 7 words*"])
    records = {
        r["datapoint_id"]: r
        for r in load_json(pytester.path / "out.json")["runs"][0]["result_items"]
    }
    assert records["long"]["scores"][0] == {
        "name": "shorter_than",
        "score": 0.0,
        "passed": False,
        "reason": "7 words",
        "weight": 1.0,
    }


def test_custom_scorer_bad_option_is_a_collection_error(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makefile(
        ".eval.yaml",
        **{
            "evals/brief": (
                "scorers:\n  - {type: shorter_than, words: many}\ncases:\n  - {output: x}\n"
            )
        },
    )
    result = pytester.runpytest("--evals", "evals")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["*evals/brief.eval.yaml:2*key 'scorers[[]0[]].words'*whole number*"]
    )
    assert_no_plugin_traceback(result.stdout.str())


def test_a_scorer_that_raises_errors_its_datapoint_and_the_run_goes_on(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    pytester.makefile(
        ".eval.yaml",
        **{
            "evals/fragile": """
scorers:
  - type: python
    name: picky
    source: |
      def score(item, output, expected):
          if output == "boom":
              raise RuntimeError("cannot score " + output)
          return output == expected
cases:
  - {id: ok, output: a, expected: a}
  - {id: boom, output: boom, expected: a}
  - {id: miss, output: b, expected: a}
"""
        },
    )
    result = pytester.runpytest(
        "--evals", "evals", "--evals-json", "out.json", "--junitxml", "junit.xml", *mode
    )
    # The item fails in its call phase with the scorer's traceback; its record is an error.
    result.assert_outcomes(passed=1, failed=2)
    assert result.ret == 1
    out = result.stdout.str()
    assert "RuntimeError: cannot score boom" in out
    assert "pytest_evals/" not in out  # the user's frames only
    run = load_json(pytester.path / "out.json")["runs"][0]
    records = {r["datapoint_id"]: r for r in run["result_items"]}
    assert records["boom"]["status"] == "error"
    assert "scorer 'picky' raised" in records["boom"]["error"]
    assert records["boom"]["output"] == "boom"
    assert records["miss"]["status"] == "completed"
    assert run["summary"]["errored"] == 1 and run["summary"]["failed"] == 1
    junit = (pytester.path / "junit.xml").read_text()
    assert junit.count("<failure") == 2


def test_weighted_threshold_decides(pytester: pytest.Pytester, mode: list[str]) -> None:
    pytester.makefile(
        ".eval.yaml",
        **{
            "evals/weighted": """
threshold: 0.7
scorers:
  - {type: exact_match, weight: 3}
  - {type: regex, pattern: '!$', weight: 1}
cases:
  - {id: exact-no-bang, output: sure, expected: sure}
  - {id: bang-only, output: nope!, expected: sure}
"""
        },
    )
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json", *mode)
    result.assert_outcomes(passed=1, failed=1)
    records = {
        r["datapoint_id"]: r
        for r in load_json(pytester.path / "out.json")["runs"][0]["result_items"]
    }
    assert records["exact-no-bang"]["score"] == pytest.approx(0.75)
    assert records["bang-only"]["score"] == pytest.approx(0.25)
    result.stdout.fnmatch_lines(["*needs a weighted score of at least 0.7*"])


def test_repeat_runs_each_datapoint_n_times(pytester: pytest.Pytester, mode: list[str]) -> None:
    pytester.makepyfile(
        **{
            "evals/flaky": """
import itertools
_counter = itertools.count()

def answer(item):
    return "yes" if next(_counter) % 2 == 0 else "no"
"""
        }
    )
    pytester.makefile(
        ".eval.yaml",
        **{
            "evals/repeat": """
target: flaky:answer
repeat: 4
repeat_pass: majority
cases:
  - {id: coin, input: q, expected: "yes"}
"""
        },
    )
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json", *mode)
    result.assert_outcomes(failed=1)
    run = load_json(pytester.path / "out.json")["runs"][0]
    record = run["result_items"][0]
    assert record["score"] == pytest.approx(0.5)
    assert [r["passed"] for r in record["repeats"]] == [True, False, True, False]
    # Repeats that disagree make the datapoint flaky, and the summary says which.
    assert (run["summary"]["flaky"], run["summary"]["flaky_datapoints"]) == (1, ["coin"])
    assert run["summary"]["pass_rate_ci"] == [0.0, pytest.approx(0.7935, abs=1e-4)]
    result.stdout.fnmatch_lines(["*95% CI*0-79%*flaky 1"])
    result = pytester.runpytest(
        "--evals", "evals", "--evals-json", "out.json", "--evals-repeat", "1", *mode
    )
    result.assert_outcomes(passed=1)
    assert "repeats" not in load_json(pytester.path / "out.json")["runs"][0]["result_items"][0]


@pytest.mark.parametrize(("at_least", "passes"), [(2, True), (3, False)])
def test_repeat_pass_at_least_k(pytester: pytest.Pytester, at_least: int, passes: bool) -> None:
    pytester.makepyfile(
        **{
            "evals/flaky": """
import itertools
_counter = itertools.count()

def answer(item):
    return "yes" if next(_counter) % 2 == 0 else "no"
"""
        }
    )
    spec = f"""
target: flaky:answer
repeat: 4
repeat_pass: {{at_least: {at_least}}}
cases:
  - {{id: coin, input: q, expected: "yes"}}
"""
    pytester.makefile(".eval.yaml", **{"evals/repeat": spec})
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json")
    result.assert_outcomes(passed=1 if passes else 0, failed=0 if passes else 1)
    run = load_json(pytester.path / "out.json")["runs"][0]
    assert run["config"]["repeat_pass"] == {"at_least": at_least}
    record = run["result_items"][0]
    assert record["passed"] is passes and record["flaky"] is True
    result = pytester.runpytest("--evals", "evals", "--evals-repeat", "1")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([f"*at_least {at_least} of 1 repeat(s) can never pass*"])


@pytest.mark.parametrize("written", ["{at_least: 0}", "{at_least: 5}", "{at_most: 2}", "mostly"])
def test_a_bad_repeat_pass_is_a_collection_error(pytester: pytest.Pytester, written: str) -> None:
    spec = f"repeat: 4\nrepeat_pass: {written}\ncases:\n  - {{id: a, output: x, expected: x}}\n"
    pytester.makefile(".eval.yaml", **{"evals/bad": spec})
    result = pytester.runpytest("--evals", "evals")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*bad.eval.yaml:2*repeat_pass*"])


def test_a_template_reading_what_the_output_lacks_is_a_miss_not_an_error(
    pytester: pytest.Pytester,
) -> None:
    spec = """
scorers:
  - json
  - {type: string_check, operation: eq, input: "{{ sample.output_json.name }}", reference: Ada}
cases:
  - {id: prose, output: "Her name was Ada."}
  - {id: right, output: '{"name": "Ada"}'}
"""
    pytester.makefile(".eval.yaml", **{"evals/names": spec})
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json")
    result.assert_outcomes(passed=1, failed=1)
    records = {
        r["datapoint_id"]: r
        for r in load_json(pytester.path / "out.json")["runs"][0]["result_items"]
    }
    prose = records["prose"]
    assert prose["status"] == "completed" and prose["passed"] is False
    reasons = {s["name"]: s["reason"] for s in prose["scores"]}
    assert reasons["json"].startswith("output is not valid JSON")
    assert "no value for 'sample.output_json.name'" in reasons["string_check"]


@pytest.mark.distributed
def test_a_scorer_returning_what_no_report_can_hold_errors_its_datapoint(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    pytester.makepyfile(
        **{
            "evals/checks": "import datetime\n\n"
            "def when(item, output, expected):\n"
            "    return {'score': 1.0, 'details': {'at': datetime.date(2026, 1, 1)}}\n\n"
            "def vague(item, output, expected):\n"
            "    return {'passed': 'no'}\n"
        }
    )
    spec = (
        "scorers:\n  - {type: python, name: when, function: 'checks:when'}\n"
        "  - {type: python, name: vague, function: 'checks:vague'}\n"
        "cases:\n  - {id: a, output: x, expected: x}\n"
    )
    pytester.makefile(".eval.yaml", **{"evals/odd": spec})
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json", *mode)
    result.assert_outcomes(failed=1)  # a scorer's error shows in the item's call phase
    result.stdout.fnmatch_lines(["*'details' must be a mapping of JSON data*"])
    assert_no_plugin_traceback(result.stdout.str())
    (record,) = load_json(pytester.path / "out.json")["runs"][0]["result_items"]
    assert record["status"] == "error"


def test_text_similarity_and_similarity_end_to_end(pytester: pytest.Pytester) -> None:
    pytest.importorskip("rapidfuzz")
    pytest.importorskip("rouge_score")
    spec = """
scorers:
  - type: text_similarity
    name: close
    input: "{{ sample.output_text }}"
    reference: "{{ item.reference_answer }}"
    evaluation_metric: fuzzy_match
    pass_threshold: 0.8
  - {type: similarity, metric: rouge_l, reference: "{{ item.reference_answer }}"}
cases:
  - {id: near, reference_answer: The capital is Paris., output: The capital is Paris}
  - {id: far, reference_answer: The capital is Paris., output: Lyon}
"""
    pytester.makefile(".eval.yaml", **{"evals/sim": spec})
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json")
    result.assert_outcomes(passed=1, failed=1)
    records = {
        r["datapoint_id"]: {s["name"]: s for s in r["scores"]}
        for r in load_json(pytester.path / "out.json")["runs"][0]["result_items"]
    }
    assert records["near"]["close"]["passed"] and records["near"]["close"]["score"] > 0.9
    assert records["near"]["similarity"]["score"] == pytest.approx(1.0)
    assert not records["far"]["close"]["passed"]

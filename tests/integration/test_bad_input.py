"""SPEC §8: every malformed input is one clear collection error naming the file and key,
with no plugin traceback; with --continue-on-collection-errors the valid specs still run."""

from __future__ import annotations

import pytest

from .conftest import assert_no_plugin_traceback

GOOD = """
cases:
  - {id: ok, input: a, expected: x, output: x}
"""

PYPROJECT = """
[tool.pytest-evals.connections.local]
provider = "openai"
base_url = "http://127.0.0.1:9/v1"
"""

CASES = {
    "unknown_key": (
        "name: typo\nscorer: [exact_match]\ncases:\n  - {input: a, expected: x, output: x}\n",
        ["*evals/bad.eval.yaml:2*unknown key 'scorer'*did you mean 'scorers'*"],
    ),
    "broken_yaml": (
        "name: broken\ncases:\n  - {input: a, expected: x\n  - oops: [\n",
        ["*evals/bad.eval.yaml:*invalid YAML*"],
    ),
    "missing_dataset": (
        "dataset: data/missing.jsonl\n",
        ["*evals/bad.eval.yaml*key 'dataset'*missing.jsonl*"],
    ),
    "template_field_missing": (
        "model: local/m\nprompt: 'Capital of {{ item.country }}?'\ncases:\n"
        "  - {id: fr, country: France, expected: Paris}\n"
        "  - {id: es, expected: Madrid}\n",
        ["*evals/bad.eval.yaml*datapoint 'es'*key 'prompt'*item.country*"],
    ),
    "temperature_out_of_range": (
        "model: {connection: local, name: m, temperature: 3.5}\ncases:\n"
        "  - {input: a, expected: x}\n",
        ["*evals/bad.eval.yaml*temperature*3.5*"],
    ),
    "unknown_scorer": (
        "scorers: [exact_macth]\ncases:\n  - {input: a, expected: x, output: x}\n",
        ["*evals/bad.eval.yaml*unknown scorer type 'exact_macth'*did you mean 'exact_match'*"],
    ),
    "schema_violation": (
        "schema:\n  type: object\n  required: [input, expected]\ncases:\n"
        "  - {id: good, input: a, expected: x, output: x}\n"
        "  - {id: bad, input: b, output: y}\n",
        ["*evals/bad.eval.yaml*datapoint 'bad'*'expected' is a required property*"],
    ),
    "unknown_connection": (
        "model: locl/m\ncases:\n  - {input: a, expected: x}\n",
        ["*evals/bad.eval.yaml*unknown connection 'locl'*did you mean 'local'*"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_one_clear_message(pytester: pytest.Pytester, case: str) -> None:
    body, expected_lines = CASES[case]
    pytester.makepyprojecttoml(PYPROJECT)
    pytester.makefile(".eval.yaml", **{"evals/bad": body})
    result = pytester.runpytest("--evals", "evals")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ERROR collecting evals/bad.eval.yaml*", *expected_lines])
    assert_no_plugin_traceback(result.stdout.str() + result.stderr.str())


@pytest.mark.distributed
def test_valid_specs_still_run_with_continue_on_collection_errors(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    pytester.makefile(".eval.yaml", **{"evals/bad": CASES["unknown_key"][0], "evals/good": GOOD})
    result = pytester.runpytest("--evals", "evals", "--continue-on-collection-errors", *mode)
    result.assert_outcomes(passed=1, errors=1)
    assert_no_plugin_traceback(result.stdout.str())


def test_bad_connection_config_names_the_pyproject_key(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(PYPROJECT + "max_concurency = 4\n")
    pytester.makefile(".eval.yaml", **{"evals/bad": GOOD})
    result = pytester.runpytest("--evals", "evals")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*pyproject.toml*max_concurency*did you mean 'max_concurrency'*"])
    assert_no_plugin_traceback(result.stdout.str())


def test_bad_flag_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--evals", "evals", "--evals-fail-under", "1.7")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--evals-fail-under*between 0 and 1*"])


@pytest.mark.distributed
def test_a_nan_or_infinity_in_a_datapoint_is_a_collection_error(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    pytester.makefile(
        ".eval.yaml", **{"evals/nan": "cases:\n  - {id: a, output: x, expected: .nan}\n"}
    )
    pytester.makefile(".eval.yaml", **{"evals/inf": "dataset: inf.jsonl\n"})
    (pytester.path / "evals" / "inf.jsonl").write_text(
        '{"id": "b", "output": "x", "expected": {"v": [1, Infinity]}}\n'
    )
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json", *mode)
    assert result.ret != pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*evals/inf.jsonl:1: datapoint 'b': key 'expected.v?1?': inf has no JSON form*",
            "*evals/nan.eval.yaml:2: datapoint 'a': key 'expected': nan has no JSON form*",
        ],
        consecutive=False,
    )
    assert_no_plugin_traceback(result.stdout.str())

"""Which files become items, and when: the plugin is inert unless asked."""

from __future__ import annotations

import pytest

SPEC = """
tags: [smoke]
cases:
  - {id: one, input: a, expected: x, output: x}
  - {id: two, input: b, expected: y, output: y}
"""

TEST_FILE = """
def test_ordinary():
    assert True
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".eval.yaml", **{"evals/basic": SPEC})
    pytester.makepyfile(**{"tests/test_plain": TEST_FILE})
    pytester.makeini("[pytest]\ntestpaths = tests evals\nevals_paths = evals\n")
    return pytester


def test_plain_pytest_collects_no_eval_file(project: pytest.Pytester) -> None:
    result = project.runpytest()
    result.assert_outcomes(passed=1)
    assert "basic" not in result.stdout.str()
    assert "evals summary" not in result.stdout.str()


def test_evals_alone_runs_only_the_evals(project: pytest.Pytester, mode: list[str]) -> None:
    result = project.runpytest("--evals", "evals", "-v", *mode)
    result.assert_outcomes(passed=2)
    assert "test_ordinary" not in result.stdout.str()


@pytest.mark.distributed
def test_tests_and_evals_in_one_session(project: pytest.Pytester, mode: list[str]) -> None:
    result = project.runpytest("tests", "--evals", "evals", *mode)
    result.assert_outcomes(passed=3)


def test_bare_evals_uses_the_ini_paths(project: pytest.Pytester, mode: list[str]) -> None:
    result = project.runpytest("--evals", *mode)
    result.assert_outcomes(passed=2)


def test_an_explicit_spec_file_runs_without_the_flag(project: pytest.Pytester) -> None:
    result = project.runpytest("evals/basic.eval.yaml")
    result.assert_outcomes(passed=2)
    result = project.runpytest("evals/basic.eval.yaml::basic[one]")
    result.assert_outcomes(passed=1)


def test_tags_become_markers(project: pytest.Pytester, mode: list[str]) -> None:
    # Under xdist the workers deselect, and the controller's line does not count them.
    deselected = 0 if mode else 1
    result = project.runpytest("tests", "--evals", "evals", "-m", "smoke", *mode)
    result.assert_outcomes(passed=2, deselected=deselected)
    result = project.runpytest(
        "tests", "--evals", "evals", "-m", "smoke", "--strict-markers", *mode
    )
    result.assert_outcomes(passed=2, deselected=deselected)


def test_a_single_spec_file_path(project: pytest.Pytester) -> None:
    result = project.runpytest("--evals", "evals/basic.eval.yaml")
    result.assert_outcomes(passed=2)


def test_yml_suffix_and_nested_folders(pytester: pytest.Pytester) -> None:
    pytester.makefile(".eval.yml", **{"evals/deep/er/nested": SPEC})
    result = pytester.runpytest("--evals", "evals", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["evals/deep/er/nested.eval.yml::nested[[]one[]]", "*2 tests*"])


def test_model_matrix_appends_the_model_to_ids(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".eval.yaml",
        **{
            "evals/matrix": """
models: [local/small-model, local/big-model]
cases:
  - {id: one, input: a, expected: x}
"""
        },
    )
    pytester.makepyprojecttoml(
        """
[tool.pytest-evals.connections.local]
provider = "openai"
base_url = "http://127.0.0.1:9/v1"
"""
    )
    result = pytester.runpytest("--evals", "evals", "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "evals/matrix.eval.yaml::matrix[[]one-small-model[]]",
            "evals/matrix.eval.yaml::matrix[[]one-big-model[]]",
        ]
    )


def test_works_without_xdist_loaded(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess(
        "-p", "no:xdist", "-p", "no:xdist.looponfail", "--evals", "evals", "-v"
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*evals summary*"])
    assert "xdist" not in result.stdout.str().split("plugins:")[-1].splitlines()[0]


def test_a_skip_tag_is_a_collection_error_not_a_silent_skip(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".eval.yaml",
        **{"evals/tagged": "tags: [skip]\ncases:\n  - {id: a, output: x, expected: y}\n"},
    )
    result = pytester.runpytest("--evals", "evals")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["*tagged.eval.yaml:1: key 'tags?0?': 'skip' is one of pytest's own markers*"]
    )


def test_ids_that_collide_once_made_test_ids_are_a_collection_error(
    pytester: pytest.Pytester,
) -> None:
    spec = "cases:\n  - {id: a b, output: x}\n  - {id: a_b, output: y}\n"
    pytester.makefile(".eval.yaml", **{"evals/ids": spec})
    result = pytester.runpytest("--evals", "evals")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["*ids.eval.yaml:3: datapoint 'a_b': key 'id': datapoints 'a b' and 'a_b' get the same*"]
    )

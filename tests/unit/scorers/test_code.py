from __future__ import annotations

import asyncio
import itertools
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pytest_evals.records import Sample
from pytest_evals.scorers import ScorerConfigError
from pytest_evals.scorers.base import ScoringContext
from pytest_evals.scorers.code import python
from pytest_evals.spec.references import is_async

from .helpers import verdict

_counter = itertools.count()


@pytest.fixture
def make_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Write a module with a fresh name (sys.modules caches by name) and return that name."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(code: str) -> str:
        name = f"user_scorers_{next(_counter)}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(code))
        return name

    return make


# -- function: -----------------------------------------------------------------------------


def test_function_gets_item_output_and_expected(make_module: Any) -> None:
    module = make_module(
        """
        seen = []
        def check(item, output, expected):
            seen.append((dict(item), output, expected))
            return output == expected
        """
    )
    scorer = python(function=f"{module}:check")
    assert verdict(scorer, "Paris", "Paris", question="capital?").passed is True
    assert verdict(scorer, "Lyon", "Paris").passed is False
    seen = __import__(module).seen
    assert seen[0] == ({"expected": "Paris", "question": "capital?"}, "Paris", "Paris")


def test_function_receives_structured_output_as_is(make_module: Any) -> None:
    module = make_module("def check(item, output, expected):\n    return output['n'] / 10\n")
    scorer = python(function=f"{module}:check")
    result = verdict(scorer, {"n": 7}, threshold=0.5)
    assert (result.score, result.passed) == (0.7, True)


def test_function_may_return_a_mapping(make_module: Any) -> None:
    module = make_module(
        "def check(item, output, expected):\n"
        "    return {'score': 0.25, 'passed': False, 'reason': 'too short'}\n"
    )
    result = verdict(python(function=f"{module}:check"), "hi")
    assert (result.score, result.passed, result.reason) == (0.25, False, "too short")


def test_function_may_be_nested_attribute(make_module: Any) -> None:
    module = make_module(
        """
        class Checks:
            @staticmethod
            def length(item, output, expected):
                return len(output) < 5
        """
    )
    assert verdict(python(function=f"{module}:Checks.length"), "abc").passed is True


def test_an_async_function_makes_an_async_scorer(make_module: Any) -> None:
    module = make_module("async def check(item, output, expected):\n    return output == 'ok'\n")
    scorer = python(function=f"{module}:check")
    assert is_async(scorer)
    ctx = ScoringContext(item={}, sample=Sample(output="ok"))
    assert asyncio.run(scorer(ctx)) is True  # type: ignore[arg-type]


def test_function_exceptions_propagate(make_module: Any) -> None:
    module = make_module("def check(item, output, expected):\n    raise KeyError('boom')\n")
    scorer = python(function=f"{module}:check")
    with pytest.raises(KeyError, match="boom"):
        scorer(ScoringContext(item={}, sample=Sample(output="x")))


@pytest.mark.parametrize("reference", ["no_colon", "mod:", ":fn", "a:b:c", 42])
def test_function_reference_format(reference: Any) -> None:
    with pytest.raises(ScorerConfigError, match=r"package\.module:function") as info:
        python(function=reference)
    assert info.value.key == "function"


def test_function_module_not_found() -> None:
    with pytest.raises(ScorerConfigError, match="cannot import module 'no_such_mod_xyz'") as info:
        python(function="no_such_mod_xyz:fn")
    assert info.value.key == "function"


def test_function_module_that_fails_to_import(make_module: Any) -> None:
    module = make_module("raise RuntimeError('bad module')\n")
    with pytest.raises(ScorerConfigError, match="RuntimeError: bad module") as info:
        python(function=f"{module}:fn")
    assert info.value.key == "function"


def test_function_missing_attribute_suggests_one(make_module: Any) -> None:
    module = make_module("def check_answer(item, output, expected):\n    return True\n")
    with pytest.raises(ScorerConfigError, match="did you mean 'check_answer'") as info:
        python(function=f"{module}:check_answr")
    assert info.value.key == "function"


def test_function_not_callable(make_module: Any) -> None:
    module = make_module("check = 3\n")
    with pytest.raises(ScorerConfigError, match="not callable") as info:
        python(function=f"{module}:check")
    assert info.value.key == "function"


def test_function_with_wrong_signature(make_module: Any) -> None:
    module = make_module("def check(output):\n    return True\n")
    with pytest.raises(ScorerConfigError, match=r"must accept \(item, output, expected\)") as info:
        python(function=f"{module}:check")
    assert info.value.key == "function"


# -- source: -------------------------------------------------------------------------------


def test_source_defines_score() -> None:
    scorer = python(
        source=textwrap.dedent(
            """
            import re

            def score(item, output, expected):
                return bool(re.search(expected, output))
            """
        )
    )
    assert verdict(scorer, "year 1969", r"\d{4}").passed is True
    assert verdict(scorer, "year ?", r"\d{4}").passed is False


def test_source_runs_in_a_fresh_namespace() -> None:
    first = python(
        source="count = []\ndef score(i, o, e):\n    count.append(1)\n    return len(count) / 10\n"
    )
    second = python(
        source="count = []\ndef score(i, o, e):\n    count.append(1)\n    return len(count) / 10\n"
    )
    verdict(first, "x", threshold=0.0)
    assert verdict(second, "x", threshold=0.0).score == 0.1


def test_source_syntax_error_names_the_line() -> None:
    with pytest.raises(ScorerConfigError, match="syntax error in source line 2") as info:
        python(source="def score(item, output, expected):\n    return (\n")
    assert info.value.key == "source"


def test_source_without_score_function() -> None:
    with pytest.raises(ScorerConfigError, match=r"must define a function score") as info:
        python(source="def check(item, output, expected):\n    return True\n")
    assert info.value.key == "source"
    assert "or OpenAI's grade(sample, item)" in str(info.value)


def test_a_grade_function_takes_openais_two_arguments() -> None:
    with pytest.raises(ScorerConfigError, match=r"grade in source must accept \(sample, item\)"):
        python(source="def grade(item, output, expected):\n    return True\n")


def test_source_that_fails_when_run() -> None:
    with pytest.raises(ScorerConfigError, match="NameError") as info:
        python(source="undefined_name\ndef score(i, o, e):\n    return True\n")
    assert info.value.key == "source"


def test_source_score_with_wrong_signature() -> None:
    with pytest.raises(ScorerConfigError, match="must accept") as info:
        python(source="def score(output):\n    return True\n")
    assert info.value.key == "source"


def test_source_exceptions_propagate() -> None:
    scorer = python(source="def score(item, output, expected):\n    return 1 / 0\n")
    with pytest.raises(ZeroDivisionError):
        scorer(ScoringContext(item={}, sample=Sample(output="x")))


# -- one of the two ------------------------------------------------------------------------


def test_needs_function_or_source() -> None:
    with pytest.raises(ScorerConfigError, match="needs 'function") as info:
        python()
    assert info.value.key == "function"


def test_not_both_function_and_source() -> None:
    with pytest.raises(ScorerConfigError, match="not both") as info:
        python(function="m:f", source="def score(i, o, e):\n    return True\n")
    assert info.value.key == "source"

from __future__ import annotations

from typing import Any

import pytest

from pytest_evals.scorers import ScorerConfigError
from pytest_evals.scorers.structured import json, numeric, parse_number

from .helpers import verdict

PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0},
        "email": {"type": "string", "format": "email"},
    },
    "required": ["name", "age"],
}

# -- json ----------------------------------------------------------------------------------


def test_json_passes_on_valid_json_text() -> None:
    assert verdict(json(), '{"a": [1, 2]}').passed is True


def test_json_fails_on_invalid_json_with_parser_message() -> None:
    result = verdict(json(), "{'a': 1}")
    assert (result.score, result.passed) == (0.0, False)
    assert result.reason.startswith("output is not valid JSON: Expecting property name")


def test_json_points_out_a_code_fence() -> None:
    result = verdict(json(), '```json\n{"a": 1}\n```')
    assert result.passed is False
    assert "code fence" in result.reason


def test_json_accepts_structured_output_as_parsed() -> None:
    assert verdict(json(schema=PERSON), {"name": "Ada", "age": 36}).passed is True


def test_json_schema_pass() -> None:
    assert verdict(json(schema=PERSON), '{"name": "Ada", "age": 36}').passed is True


def test_json_schema_violation_names_the_path() -> None:
    result = verdict(json(schema=PERSON), '{"name": "Ada", "age": "old"}')
    assert result.passed is False
    assert result.reason == "schema violation at $.age: 'old' is not of type 'integer'"
    assert result.details == {"errors": ["$.age: 'old' is not of type 'integer'"]}


def test_json_schema_counts_further_errors() -> None:
    result = verdict(json(schema=PERSON), '{"age": -1}')
    assert result.passed is False
    assert "(and 1 more schema errors)" in result.reason
    assert len(result.details["errors"]) == 2  # type: ignore[index]


def test_json_schema_checks_formats() -> None:
    result = verdict(json(schema=PERSON), '{"name": "Ada", "age": 36, "email": "nope"}')
    assert result.passed is False
    assert "$.email" in result.reason


def test_json_invalid_schema_is_a_config_error() -> None:
    with pytest.raises(ScorerConfigError, match="invalid JSON Schema") as info:
        json(schema={"type": "strnig"})
    assert info.value.key == "schema"


def test_json_schema_must_be_a_mapping() -> None:
    with pytest.raises(ScorerConfigError, match="mapping") as info:
        json(schema="object")  # type: ignore[arg-type]
    assert info.value.key == "schema"


# -- numeric -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("The answer is 42.", 42.0),
        ("1,234.5", 1234.5),
        ("about -3.5 degrees", -3.5),
        ("roughly .5", 0.5),
        ("6.02e23 atoms", 6.02e23),
        ("gpt4 says 7", 7.0),
        ("costs $1,000,000", 1_000_000.0),
        ("1,2,3", 1.0),
        ("no digits here", None),
    ],
)
def test_parse_number(text: str, number: float | None) -> None:
    assert parse_number(text) == number


def test_numeric_exact_by_default() -> None:
    result = verdict(numeric(), "The answer is 42.", 42)
    assert (result.score, result.passed) == (1.0, True)
    assert result.reason == "parsed 42 vs expected 42"
    miss = verdict(numeric(), "The answer is 41.", 42)
    assert (miss.score, miss.passed) == (0.0, False)
    assert miss.reason.startswith("parsed 41 vs expected 42 (off by 1")


def test_numeric_expected_may_be_a_numeric_string() -> None:
    assert verdict(numeric(), "1,234.5", "1234.5").passed is True
    assert verdict(numeric(), "1234.5", "1,234.5").passed is True


def test_numeric_absolute_tolerance() -> None:
    assert verdict(numeric(tolerance=0.01), "3.14", 3.14159).passed is True
    assert verdict(numeric(tolerance=0.001), "3.14", 3.14159).passed is False


def test_numeric_relative_tolerance() -> None:
    assert verdict(numeric(rel_tolerance=0.05), "1040", 1000).passed is True
    result = verdict(numeric(rel_tolerance=0.05), "1060", 1000)
    assert result.passed is False
    assert "allowed 50" in result.reason


def test_numeric_no_number_in_output() -> None:
    result = verdict(numeric(), "I don't know", 42)
    assert result.passed is False
    assert result.reason == 'no number in output "I don\'t know"'


def test_numeric_structured_output_number() -> None:
    assert verdict(numeric(), 42, 42.0).passed is True


def test_numeric_list_expected_means_any_of() -> None:
    assert verdict(numeric(), "7", [6, 7]).passed is True
    assert verdict(numeric(rel_tolerance=0.1), "105", [1, 100]).passed is True
    assert verdict(numeric(), "8", [6, 7]).reason.startswith("parsed 8 vs expected 7")


@pytest.mark.parametrize("expected", ["many", None, True, {"n": 1}, []])
def test_numeric_non_numeric_expected_raises(expected: Any) -> None:
    with pytest.raises(ValueError, match="expected"):
        verdict(numeric(), "42", expected)


@pytest.mark.parametrize("key", ["tolerance", "rel_tolerance"])
@pytest.mark.parametrize("value", [-1, "0.1", True, float("inf")])
def test_numeric_bad_tolerance(key: str, value: Any) -> None:
    with pytest.raises(ScorerConfigError) as info:
        numeric(**{key: value})
    assert info.value.key == key

"""The rules every layer applies to plain values: numbers in bounds, text of a value, and how
a message names a value that should have been text."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from pytest_evals.values import as_text, is_number, json_value, not_text, number_problem


@pytest.mark.parametrize("value", [0, 1, -3, 0.5, 1e300])
def test_numbers(value: Any) -> None:
    assert is_number(value)


@pytest.mark.parametrize("value", [True, False, None, "1", float("nan"), float("inf"), [1]])
def test_not_numbers(value: Any) -> None:
    assert not is_number(value)


def test_whole_numbers_exclude_floats() -> None:
    assert is_number(3, whole=True)
    assert not is_number(3.0, whole=True)
    assert not is_number(True, whole=True)


@pytest.mark.parametrize(
    ("value", "bounds", "problem"),
    [
        (0.5, {"minimum": 0, "maximum": 1}, None),
        (1, {"minimum": 0, "maximum": 1}, None),
        (1.5, {"minimum": 0, "maximum": 1}, "must be between 0 and 1, got 1.5"),
        (0, {"minimum": 1}, "must be at least 1, got 0"),
        (3, {"maximum": 2}, "must be at most 2, got 3"),
        (0, {"above": 0}, "must be above 0, got 0"),
        (2.5, {"whole": True}, "must be a whole number, got 2.5"),
        ("x", {}, "must be a number, got 'x'"),
        (True, {"minimum": 0}, "must be a number, got True"),
    ],
)
def test_number_problem(value: Any, bounds: dict[str, Any], problem: str | None) -> None:
    assert number_problem(value, **bounds) == problem


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("Paris", "Paris"),
        (None, ""),
        (True, "true"),
        (False, "false"),
        (3, "3"),
        (2.5, "2.5"),
        ({"b": 1, "a": [1, "x"]}, '{"a": [1, "x"], "b": 1}'),
        (["é"], '["é"]'),
    ],
)
def test_text_of_a_value_reads_as_json_writes_it(value: Any, text: str) -> None:
    assert as_text(value) == text


def test_json_value_makes_what_yaml_adds_plain() -> None:
    value = {
        "day": datetime.date(1998, 9, 4),
        "at": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        1: (b"\x00\x01", {"b", "a"}),
        "kept": [1, 2.5, True, None, "x"],
    }
    assert json_value(value) == {
        "day": "1998-09-04",
        "at": "2024-01-02T03:04:05+00:00",
        "1": ["AAE=", ["a", "b"]],
        "kept": [1, 2.5, True, None, "x"],
    }


def test_json_value_refuses_what_json_cannot_hold() -> None:
    from pytest_evals.values import NotJSONData, json_value

    for value, path in (
        (float("nan"), ()),
        ({"expected": {"v": [1, float("inf")]}}, ("expected", "v", 1)),
        ([-float("inf")], (0,)),
    ):
        with pytest.raises(NotJSONData) as caught:
            json_value(value)
        assert caught.value.path == path
        assert "no JSON form" in caught.value.message


def test_json_value_stops_an_alias_bomb() -> None:
    from pytest_evals.values import NotJSONData, json_value

    level: list[object] = list(range(9))
    for _ in range(9):
        level = [level] * 9  # what YAML builds from `&a1 [*a0, *a0, ...]`: shared, not copied
    with pytest.raises(NotJSONData, match="over 1,000 values") as caught:
        json_value({"blob": level}, limit=1000)
    assert caught.value.path == ("blob",)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (True, "True (YAML reads yes/no/on/off/true/false as booleans): quote it, e.g. 'yes'"),
        (False, "False (YAML reads yes/no/on/off/true/false as booleans): quote it, e.g. 'no'"),
        (None, "nothing (YAML reads ~, null and an empty value as nothing): quote it, e.g. 'null'"),
        (3, "the number 3: quote it, e.g. '3'"),
        (1.5, "the number 1.5: quote it, e.g. '1.5'"),
        ([1], "a list"),
        ({"a": 1}, "a mapping"),
    ],
)
def test_not_text_names_what_yaml_read(value: Any, shown: str) -> None:
    assert not_text(value, quote=True) == shown
    assert not_text(value) == shown.split(": quote it")[0]

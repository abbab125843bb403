"""The chat messages sent for one datapoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_evals.spec.model import Datapoint, EvalSpec
from pytest_evals.spec.prompts import build_messages


def _datapoint(**data: Any) -> Datapoint:
    return Datapoint("d", data, Path("e.eval.yaml"))


def _spec(**keys: Any) -> EvalSpec:
    return EvalSpec(path=Path("e.eval.yaml"), name="e", datapoints=(), **keys)


def test_the_default_prompt_is_the_input() -> None:
    assert build_messages(_spec(), _datapoint(input="Hi")) == [{"role": "user", "content": "Hi"}]


def test_a_prompt_template_with_a_system_prompt() -> None:
    spec = _spec(
        prompt="Capital of {{ item.country }}?", system_prompt="Answer in {{ item.lang }}."
    )
    assert build_messages(spec, _datapoint(country="Peru", lang="Spanish")) == [
        {"role": "system", "content": "Answer in Spanish."},
        {"role": "user", "content": "Capital of Peru?"},
    ]


def test_message_templates() -> None:
    spec = _spec(
        messages=(
            {"role": "user", "content": "{{ input }}"},
            {"role": "assistant", "content": "ok"},
        )
    )
    assert build_messages(spec, _datapoint(input="go")) == [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": "ok"},
    ]


def test_a_datapoints_own_chat_wins_and_keeps_its_system_message() -> None:
    chat = [{"role": "system", "content": "own"}, {"role": "user", "content": "hello"}]
    spec = _spec(prompt="ignored {{ input }}", system_prompt="not added")
    assert build_messages(spec, _datapoint(messages=chat)) == chat


def test_the_system_prompt_goes_first_in_a_datapoints_chat_without_one() -> None:
    chat = [{"role": "user", "content": "hello"}]
    assert build_messages(_spec(system_prompt="sys"), _datapoint(messages=chat)) == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "hello"},
    ]

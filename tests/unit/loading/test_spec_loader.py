"""Spec files into EvalSpec: defaults, every key, and one located error per bad input."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from pytest_evals.connections_loader import load_connections, parse_model_ref
from pytest_evals.errors import EvalInputError
from pytest_evals.scorers import builtin_registry
from pytest_evals.spec import EvalSpec, ModelRef
from pytest_evals.spec_loader import load_spec

CONNECTIONS = load_connections(
    {"local": {"base_url": "http://127.0.0.1:9/v1"}}, source=None, environ={}
)


def _load(tmp_path: Path, text: str, name: str = "geo.eval.yaml") -> EvalSpec:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_spec(
        path,
        registry=builtin_registry(),
        parse_model=functools.partial(parse_model_ref, connections=CONNECTIONS),
    )


def _error(tmp_path: Path, text: str) -> EvalInputError:
    with pytest.raises(EvalInputError) as caught:
        _load(tmp_path, text)
    return caught.value


def test_defaults(tmp_path: Path) -> None:
    spec = _load(
        tmp_path,
        "cases:\n  - {input: a, expected: x, output: x}\n  - {id: 7, output: y, expected: y}\n",
    )
    assert spec.name == "geo"
    assert [d.id for d in spec.datapoints] == ["0", "7"]
    assert [d.line for d in spec.datapoints] == [2, 3]
    assert spec.grades_given_outputs and spec.pass_rate == 1.0 and spec.repeat == 1
    assert [s.type for s in spec.scorers] == ["exact_match"]


def test_no_expected_anywhere_defaults_to_none_scorer(tmp_path: Path) -> None:
    spec = _load(tmp_path, "cases:\n  - {input: a, output: x}\n")
    assert [s.type for s in spec.scorers] == ["none"]


def test_every_key_round_trips(tmp_path: Path) -> None:
    (tmp_path / "data.jsonl").write_text('{"id": "d1", "country": "Peru", "expected": "Lima"}\n')
    spec = _load(
        tmp_path,
        """
name: capitals
description: Capital cities.
metadata: {owner: geo-team}
tags: [smoke, geo]
cases:
  - {id: fr, country: France, expected: Paris}
dataset: {path: data.jsonl, limit: 5}
schema: {type: object, required: [country]}
models:
  - local/small
  - {connection: local, name: big, temperature: 0.2, max_tokens: 64, seed: 1, params: {top_p: 1}}
system_prompt: Answer with a city.
prompt: "Capital of {{ item.country }}?"
scorers:
  - exact_match
  - {type: regex, name: short, pattern: '^\\w+$', weight: 2, threshold: 1.0}
threshold: 0.5
pass_rate: 0.9
repeat: 3
repeat_pass: majority
concurrency: 4
timeout_s: 12.5
retries: 2
""",
    )
    assert spec.name == "capitals" and spec.description == "Capital cities."
    assert spec.metadata == {"owner": "geo-team"} and spec.tags == ("smoke", "geo")
    assert [d.id for d in spec.datapoints] == ["fr", "d1"]
    assert spec.datapoints[1].source == tmp_path / "data.jsonl"
    assert spec.models == (
        ModelRef("local", "small"),
        ModelRef("local", "big", 0.2, 64, 1, {"top_p": 1}),
    )
    assert spec.model_matrix
    assert [(s.name, s.weight) for s in spec.scorers] == [("exact_match", 1.0), ("short", 2)]
    assert spec.scorers[1].options == {"pattern": "^\\w+$"}
    assert (spec.threshold, spec.pass_rate, spec.repeat, spec.repeat_pass) == (
        0.5,
        0.9,
        3,
        "majority",
    )
    assert (spec.concurrency, spec.timeout_s, spec.retries) == (4, 12.5, 2)


def test_error_shape_names_file_line_datapoint_and_key(tmp_path: Path) -> None:
    error = _error(
        tmp_path,
        "model: local/m\nprompt: 'Capital of {{ item.country }}?'\ncases:\n"
        "  - {id: fr, country: France, expected: Paris}\n  - {id: es, expected: Madrid}\n",
    )
    assert str(error) == (
        f"{tmp_path / 'geo.eval.yaml'}:2: datapoint 'es': key 'prompt': "
        "template field 'item.country' is missing from this datapoint"
    )


@pytest.mark.parametrize(
    ("text", "line", "key", "message"),
    [
        (
            "name: x\nscorer: [exact_match]\ncases: [{output: a}]\n",
            2,
            "scorer",
            "did you mean 'scorers'",
        ),
        ("cases: [{output: a}]\ndataset: nope.jsonl\n", 2, "dataset", "'nope.jsonl' not found"),
        (
            "cases: [{output: a}]\ndataset: {path: d.jsonl, limt: 3}\n",
            2,
            "dataset.limt",
            "did you mean 'limit'",
        ),
        (
            "model: {connection: local, name: m, temperature: 3.5}\ncases: [{input: a}]\n",
            1,
            "model.temperature",
            "between 0.0 and 2.0",
        ),
        ("model: locl/m\ncases: [{input: a}]\n", 1, "model", "did you mean 'local'"),
        (
            "scorers: [exact_macth]\ncases: [{output: a, expected: a}]\n",
            1,
            "scorers[0].type",
            "did you mean 'exact_match'",
        ),
        ("scorers: [{type: regex}]\ncases: [{output: a}]\n", 1, "scorers[0].pattern", "required"),
        ("tags: [has space]\ncases: [{output: a}]\n", 1, "tags[0]", "not a marker name"),
        ("pass_rate: 1.5\ncases: [{output: a}]\n", 1, "pass_rate", "between 0 and 1"),
        ("repeat: 0\ncases: [{output: a}]\n", 1, "repeat", "at least 1"),
        ("repeat_pass: most\ncases: [{output: a}]\n", 1, "repeat_pass", "one of all, any"),
        ("model: local/m\nmodels: [local/n]\ncases: [{input: a}]\n", 2, "models", "not both"),
        ("model: local/m\ntarget: app:run\ncases: [{input: a}]\n", 2, "target", "not both"),
        (
            "prompt: a\nmessages: [{role: user, content: b}]\ncases: [{output: a}]\n",
            2,
            "messages",
            "not both",
        ),
        (
            "model: local/m\nmessages: [{role: usr, content: b}]\ncases: [{input: a}]\n",
            2,
            "messages[0].role",
            "did you mean 'user'",
        ),
        ("name: x\n", 1, None, "no datapoints"),
        ("schema: {type: objekt}\ncases: [{output: a}]\n", 1, "schema", "not a valid JSON Schema"),
        (
            "scorers: [none, none]\ncases: [{output: a}]\n",
            1,
            "scorers[1].name",
            "two scorers are named 'none'",
        ),
    ],
)
def test_bad_spec_keys(tmp_path: Path, text: str, line: int, key: str | None, message: str) -> None:
    error = _error(tmp_path, text)
    assert (error.line, error.key) == (line, key), str(error)
    assert message in error.message


def test_metadata_limits(tmp_path: Path) -> None:
    many = ", ".join(f"k{i}: v" for i in range(17))
    assert (
        "at most 16 pairs"
        in _error(tmp_path, f"metadata: {{{many}}}\ncases: [{{output: a}}]\n").message
    )
    long_value = "x" * 513
    error = _error(tmp_path, f"metadata: {{k: {long_value}}}\ncases: [{{output: a}}]\n")
    assert error.key == "metadata.k" and "512" in error.message


@pytest.mark.parametrize(
    ("cases", "datapoint", "key", "message"),
    [
        ("[{id: a, output: x}, {id: a, output: y}]", "a", "id", "duplicate id"),
        ("[{id: a, input: q}]", "a", "output", "needs its 'output'"),
        (
            "[{id: a, output: x}, {id: b, output: y, expected: 1}, {id: c, output: z}]",
            "a",
            "expected",
            "compares the output with 'expected'",
        ),
        ("[{id: a, output: x, messages: [{role: user}]}]", "a", "messages[0]", "exactly 'role'"),
    ],
)
def test_bad_datapoints_name_the_datapoint(
    tmp_path: Path, cases: str, datapoint: str, key: str, message: str
) -> None:
    scorers = "scorers: [exact_match]\n" if "expected: 1" in cases else ""
    error = _error(tmp_path, f"{scorers}cases: {cases}\n")
    assert (error.datapoint_id, error.key) == (datapoint, key), str(error)
    assert message in error.message


def test_schema_violation_names_the_datapoint_and_its_line(tmp_path: Path) -> None:
    error = _error(
        tmp_path,
        "schema: {type: object, required: [input, expected]}\ncases:\n"
        "  - {id: good, input: a, expected: x, output: x}\n  - {id: bad, input: b, output: y}\n",
    )
    assert (error.datapoint_id, error.key, error.line) == ("bad", "schema", 4)
    assert "'expected' is a required property" in error.message


def test_dataset_datapoint_template_error_points_at_the_dataset_row(tmp_path: Path) -> None:
    (tmp_path / "rows.jsonl").write_text('{"id": "ok", "q": 1}\n{"id": "nope"}\n')
    error = _error(tmp_path, "model: local/m\nprompt: '{{ item.q }}'\ndataset: rows.jsonl\n")
    assert (error.datapoint_id, error.key, error.line) == ("nope", "prompt", 2)
    assert "(the datapoint is at rows.jsonl:2)" in error.message


def test_scorer_templates_and_sample_references(tmp_path: Path) -> None:
    error = _error(
        tmp_path,
        "scorers:\n  - {type: string_check, operation: eq, reference: '{{ item.gold }}'}\n"
        "cases: [{id: a, output: x, gold: x}, {id: b, output: y}]\n",
    )
    assert (error.datapoint_id, error.key) == ("b", "scorers[0].reference")
    error = _error(tmp_path, "model: local/m\nprompt: '{{ output }}'\ncases: [{input: a}]\n")
    assert error.key == "prompt" and "only scorer templates" in error.message


def test_a_datapoint_with_its_own_chat_skips_the_prompt_template(tmp_path: Path) -> None:
    spec = _load(
        tmp_path,
        "model: local/m\nprompt: '{{ item.q }}'\n"
        "cases: [{id: chat, messages: [{role: user, content: hi}]}, {id: q, q: hello}]\n",
    )
    assert [d.id for d in spec.datapoints] == ["chat", "q"]


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    error = _error(tmp_path, "name: x\ncases:\n  - {input: a\n  - b: [\n")
    assert error.line is not None and error.line >= 3
    assert error.message.startswith("invalid YAML")


def test_duplicate_yaml_keys_are_refused(tmp_path: Path) -> None:
    error = _error(tmp_path, "name: x\nname: y\ncases: [{output: a}]\n")
    assert (error.line, error.key) == (2, "name") and "first on line 1" in error.message

"""One spec file into a validated EvalSpec (SPEC §2), and one located error per bad input (§8)."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_evals.errors import EvalInputError
from pytest_evals.load import SPEC_KEYS, default_name, load_spec
from pytest_evals.scorers import builtin_registry
from pytest_evals.spec.connections_loader import load_connections, parse_model_ref
from pytest_evals.spec.datasets import Selection, read_dataset
from pytest_evals.spec.model import EvalSpec, ModelRef, ScorerConfig

CONNECTIONS = load_connections(
    {"local": {"base_url": "http://h/v1"}}, source=None, environ={}, providers=["openai"]
)
SPEC = "geo.eval.yaml"


@pytest.fixture(autouse=True)
def _keep_sys_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # load_spec makes modules next to the spec importable: keep tmp dirs off sys.path.
    monkeypatch.setattr(sys, "path", list(sys.path))


def _load(tmp_path: Path, text: str, name: str = SPEC, **files: str) -> EvalSpec:
    for file_name, content in files.items():
        (tmp_path / file_name.replace("__", ".")).write_text(content, encoding="utf-8")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_spec(
        path,
        registry=builtin_registry(),
        parse_model=functools.partial(parse_model_ref, connections=CONNECTIONS),
    ).spec


def _error(tmp_path: Path, text: str, **files: str) -> EvalInputError:
    with pytest.raises(EvalInputError) as caught:
        _load(tmp_path, text, **files)
    return caught.value


def _where(error: EvalInputError) -> tuple[str | None, int | None, str | None, str | None]:
    """(file name, line, datapoint id, key)."""
    name = None if error.path is None else Path(error.path).name
    return name, error.line, error.datapoint_id, error.key


GRADED = "cases:\n  - {input: a, output: x}\n"


# --- names and defaults ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "name"),
    [
        ("capitals.eval.yaml", "capitals"),
        ("capitals.eval.yml", "capitals"),
        ("my.capitals.eval.yaml", "my.capitals"),
        ("capitals.yaml", "capitals"),
    ],
)
def test_default_name_from_the_file_name(tmp_path: Path, file_name: str, name: str) -> None:
    assert default_name(Path(file_name)) == name
    assert _load(tmp_path, GRADED, name=file_name).name == name


def test_explicit_name_is_stripped(tmp_path: Path) -> None:
    assert _load(tmp_path, "name: '  capitals '\n" + GRADED).name == "capitals"


def test_defaults_of_a_grade_only_spec(tmp_path: Path) -> None:
    spec = _load(tmp_path, "cases:\n  - {input: a, output: x}\n  - {id: 7, output: y}\n")
    assert spec.path == tmp_path / SPEC
    assert [(d.id, d.line, d.source) for d in spec.datapoints] == [
        ("0", 2, tmp_path / SPEC),
        ("7", 3, tmp_path / SPEC),
    ]
    assert spec.grades_given_outputs
    assert (spec.models, spec.model_matrix, spec.target) == ((), False, None)
    assert (spec.description, dict(spec.metadata), spec.tags, spec.schema) == (None, {}, (), None)
    assert (spec.system_prompt, spec.prompt, spec.messages) == (None, None, None)
    assert (spec.threshold, spec.pass_rate, spec.repeat, spec.repeat_pass) == (None, 1.0, 1, "all")
    assert (spec.concurrency, spec.timeout_s, spec.retries) == (None, None, None)
    assert spec.scorers == (ScorerConfig(type="none", name="none"),)


# --- every key of SPEC §2 -------------------------------------------------------------


def test_every_key_round_trips(tmp_path: Path) -> None:
    spec = _load(
        tmp_path,
        """\
name: capitals
description: Capital cities.
metadata: {owner: geo-team, ticket: GEO-1}
tags: [smoke, geo, smoke]
cases:
  - id: france
    country: France
    input: France
    expected: Paris
    metadata: {difficulty: easy}
dataset: {path: more.jsonl, limit: 5, sample: 10, seed: 3}
schema:
  type: object
  required: [country]
models:
  - local/small
  - {connection: openai, name: gpt-4o-mini, temperature: 0.2, max_tokens: 64, seed: 1,
     params: {top_p: 0.9}}
system_prompt: Answer with one word about {{ item.country }}.
prompt: "Capital of {{ item.country }}?"
scorers:
  - exact_match
  - {type: icontains, name: loose, weight: 0.5, threshold: 1.0}
threshold: 0.75
pass_rate: 0.9
repeat: 3
repeat_pass: majority
concurrency: 4
timeout_s: 20
retries: 1
""",
        more__jsonl='{"id": "peru", "country": "Peru", "expected": "Lima"}\n',
    )
    assert spec.name == "capitals"
    assert spec.description == "Capital cities."
    assert dict(spec.metadata) == {"owner": "geo-team", "ticket": "GEO-1"}
    assert spec.tags == ("smoke", "geo")
    assert [(d.id, d.source.name, d.line) for d in spec.datapoints] == [
        ("france", SPEC, 6),
        ("peru", "more.jsonl", 1),
    ]
    assert spec.datapoints[0].data["metadata"] == {"difficulty": "easy"}
    assert spec.schema == {"type": "object", "required": ["country"]}
    assert spec.models == (
        ModelRef("local", "small"),
        ModelRef("openai", "gpt-4o-mini", 0.2, 64, 1, {"top_p": 0.9}),
    )
    assert spec.model_matrix and not spec.grades_given_outputs
    assert spec.system_prompt == "Answer with one word about {{ item.country }}."
    assert spec.prompt == "Capital of {{ item.country }}?"
    assert spec.scorers == (
        ScorerConfig("exact_match", "exact_match", line=22),
        ScorerConfig("icontains", "loose", weight=0.5, threshold=1.0, line=23),
    )
    assert (spec.threshold, spec.pass_rate, spec.repeat, spec.repeat_pass) == (
        0.75,
        0.9,
        3,
        "majority",
    )
    assert (spec.concurrency, spec.timeout_s, spec.retries) == (4, 20.0, 1)
    assert isinstance(spec.timeout_s, float) and isinstance(spec.threshold, float)


def test_single_model_target_and_messages(tmp_path: Path) -> None:
    spec = _load(
        tmp_path,
        """\
model: {connection: local, name: m, temperature: 0}
messages:
  - {role: system, content: "Be brief."}
  - {role: user, content: "{{ input }}"}
cases: [{input: hi}]
""",
    )
    assert spec.models == (ModelRef("local", "m", 0.0),) and not spec.model_matrix
    assert spec.messages == (
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "{{ input }}"},
    )
    target = _load(tmp_path, "target: my_agent.run:answer\ncases: [{input: hi}]\n")
    assert (target.target, target.models, target.grades_given_outputs) == (
        "my_agent.run:answer",
        (),
        False,
    )


def test_every_spec_key_is_known() -> None:
    documented = {
        "name", "description", "metadata", "tags", "cases", "dataset", "schema", "model",
        "models", "target", "system_prompt", "prompt", "messages", "scorers", "threshold",
        "pass_rate", "repeat", "repeat_pass", "concurrency", "timeout_s", "retries",
        "documents",
    }  # fmt: skip
    assert set(SPEC_KEYS) == documented


# --- the file and its top level --------------------------------------------------------


def test_unknown_top_level_key_with_did_you_mean_and_line(tmp_path: Path) -> None:
    error = _error(tmp_path, "name: geo\ncases:\n  - {output: x}\nthreshhold: 0.5\n")
    assert _where(error) == (SPEC, 4, None, "threshhold")
    assert error.message == "unknown key 'threshhold'; did you mean 'threshold'?"


def test_unknown_top_level_key_without_a_close_match(tmp_path: Path) -> None:
    error = _error(tmp_path, GRADED + "flavour: vanilla\n")
    assert error.message == "unknown key 'flavour'" and error.line == 3


def test_an_empty_file(tmp_path: Path) -> None:
    error = _error(tmp_path, "# nothing yet\n")
    assert _where(error) == (SPEC, None, None, None)
    assert error.message == "the file is empty: an eval spec needs datapoints ('cases:')"


def test_a_list_is_not_a_spec(tmp_path: Path) -> None:
    error = _error(tmp_path, "- {output: x}\n")
    assert error.message == "an eval spec is a mapping of keys, got a list" and error.line == 1


@pytest.mark.parametrize("text", ["cases: []\n", "name: x\n"])
def test_no_datapoints(tmp_path: Path, text: str) -> None:
    assert _error(tmp_path, text).message == "the eval has no datapoints: give 'cases' or 'dataset'"


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("cases: {a: 1}\n", "cases", "must be a list of datapoints"),
        ("cases:\n  - {output: x}\n  - just text\n", "cases[1]", "each datapoint is a mapping"),
    ],
)
def test_bad_cases(tmp_path: Path, text: str, key: str, message: str) -> None:
    error = _error(tmp_path, text)
    assert error.key == key and error.message.startswith(message)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("name", "'a[b]'", "must be a non-empty name without '[', ']', '::' or newlines"),
        ("name", "'a::b'", "must be a non-empty name without"),
        ("name", "'  '", "must be a non-empty name without"),
        ("name", "3", "must be a string, got int"),
        ("description", "[x]", "must be a string, got a list"),
        ("system_prompt", "{a: 1}", "must be a string, got a mapping"),
        ("prompt", "3", "must be a string, got int"),
        ("target", "nocolon", "expected 'package.module:function', got 'nocolon'"),
        ("target", "':fn'", "expected 'package.module:function', got ':fn'"),
    ],
)
def test_bad_strings(tmp_path: Path, key: str, value: str, message: str) -> None:
    error = _error(tmp_path, f"{GRADED}{key}: {value}\n")
    assert _where(error) == (SPEC, 3, None, key)
    assert error.message.startswith(message)


# --- datasets ---------------------------------------------------------------------------


def test_inline_cases_then_dataset_rows(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.jsonl").write_text(
        '{"output": "a"}\n\n{"id": "last", "output": "b"}\n', encoding="utf-8"
    )
    spec = _load(
        tmp_path, "cases:\n  - {id: first, output: x}\n  - {output: y}\ndataset: data/rows.jsonl\n"
    )
    # Default ids count on from the inline cases, so they never collide with them.
    assert [(d.id, d.source, d.line) for d in spec.datapoints] == [
        ("first", tmp_path / SPEC, 2),
        ("1", tmp_path / SPEC, 3),
        ("2", tmp_path / "data" / "rows.jsonl", 1),
        ("last", tmp_path / "data" / "rows.jsonl", 3),
    ]


@pytest.mark.parametrize(
    ("name", "content", "rows"),
    [
        ("rows.jsonl", '{"output": "a"}\n\n{"id": "z", "output": "b"}\n', [("0", 1), ("z", 3)]),
        (
            "rows.json",
            '[\n  {"output": "a"},\n\n  {"id": "z", "output": "b"}\n]',
            [("0", 2), ("z", 4)],
        ),
        ("rows.yaml", "- output: a\n\n- id: z\n  output: b\n", [("0", 1), ("z", 3)]),
        ("rows.yml", "cases:\n  - output: a\n  - {id: z, output: b}\n", [("0", 2), ("z", 3)]),
        ("rows.csv", "output\na\n\nb\n", [("0", 2), ("1", 4)]),
    ],
)
def test_dataset_formats_keep_ids_and_lines(
    tmp_path: Path, name: str, content: str, rows: list[tuple[str, int]]
) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    spec = _load(tmp_path, f"dataset: {name}\n")
    assert [(d.id, d.source.name, d.line, d.data["output"]) for d in spec.datapoints] == [
        (rows[0][0], name, rows[0][1], "a"),
        (rows[1][0], name, rows[1][1], "b"),
    ]


def test_an_empty_csv_id_cell_is_refused_at_its_line(tmp_path: Path) -> None:
    error = _error(tmp_path, "dataset: rows.csv\n", rows__csv="id,output\nq1,a\n,b\n")
    assert _where(error) == ("rows.csv", 3, None, "id")
    assert error.message == "'id' must be a string or a whole number, got ''"


def test_dataset_mapping_with_limit_sample_and_seed(tmp_path: Path) -> None:
    rows = "".join(json.dumps({"id": f"r{i}", "output": str(i)}) + "\n" for i in range(30))
    text = "dataset: {path: rows.jsonl, sample: 10, limit: 4, seed: 11}\n"
    spec = _load(tmp_path, text, rows__jsonl=rows)
    expected = Selection(limit=4, sample=10, seed=11).apply(read_dataset(tmp_path / "rows.jsonl"))
    assert [d.id for d in spec.datapoints] == [r.data["id"] for r in expected]
    assert [d.line for d in spec.datapoints] == [r.line for r in expected]
    assert len(spec.datapoints) == 4
    assert [d.id for d in _load(tmp_path, text, rows__jsonl=rows).datapoints] == [
        d.id for d in spec.datapoints
    ]
    unlimited = _load(tmp_path, "dataset: {path: rows.jsonl, sample: 10, seed: 11}\n")
    assert [d.id for d in unlimited.datapoints][:4] == [d.id for d in spec.datapoints]


def test_sampled_default_ids_are_file_positions(tmp_path: Path) -> None:
    rows = "".join(json.dumps({"output": str(i)}) + "\n" for i in range(10))
    spec = _load(tmp_path, "dataset: {path: rows.jsonl, sample: 3, seed: 5}\n", rows__jsonl=rows)
    # The id of a drawn row is its position in the file, so it is the same in every run.
    assert [d.id for d in spec.datapoints] == [d.data["output"] for d in spec.datapoints]


def test_missing_dataset_file_names_key_dataset(tmp_path: Path) -> None:
    error = _error(tmp_path, "name: geo\ndataset: data/missing.jsonl\n")
    assert _where(error) == (SPEC, 2, None, "dataset")
    assert error.message == (
        "dataset file 'data/missing.jsonl' not found "
        f"(looked for {tmp_path / 'data' / 'missing.jsonl'})"
    )


def test_missing_dataset_file_in_a_mapping(tmp_path: Path) -> None:
    error = _error(tmp_path, "dataset:\n  path: gone.csv\n  limit: 2\n")
    assert error.key == "dataset" and "dataset file 'gone.csv' not found" in error.message


@pytest.mark.parametrize(
    ("value", "key", "message"),
    [
        (
            "{path: rows.jsonl, limt: 2}",
            "dataset.limt",
            "unknown key 'limt'; did you mean 'limit'?",
        ),
        ("{path: rows.jsonl, limit: 0}", "dataset.limit", "must be at least 1, got 0"),
        ("{path: rows.jsonl, limit: 2.5}", "dataset.limit", "must be a whole number, got 2.5"),
        ("{path: rows.jsonl, sample: true}", "dataset.sample", "must be a whole number, got True"),
        ("{path: rows.jsonl, seed: x}", "dataset.seed", "must be a whole number"),
        ("{limit: 2}", "dataset", "must be a file path (relative to the spec) or {path, "),
        ("3", "dataset", "must be a file path"),
        ("''", "dataset", "must be a file path"),
    ],
)
def test_bad_dataset_values(tmp_path: Path, value: str, key: str, message: str) -> None:
    error = _error(tmp_path, f"{GRADED}dataset: {value}\n", rows__jsonl='{"output": "a"}\n')
    assert _where(error) == (SPEC, 3, None, key)
    assert error.message.startswith(message)


def test_a_broken_dataset_names_the_dataset_file_and_line(tmp_path: Path) -> None:
    error = _error(tmp_path, "dataset: rows.jsonl\n", rows__jsonl='{"output": "a"}\n{oops}\n')
    assert _where(error) == ("rows.jsonl", 2, None, None)
    assert error.message.startswith("invalid JSON: ")


def test_a_non_mapping_dataset_row(tmp_path: Path) -> None:
    error = _error(tmp_path, "dataset: rows.yaml\n", rows__yaml="- {output: a}\n- [1, 2]\n")
    assert _where(error) == ("rows.yaml", 2, None, None)
    assert error.message == "datapoint 1 must be a mapping of fields, got list"


# --- schema -----------------------------------------------------------------------------


def test_schema_violation_names_the_datapoint(tmp_path: Path) -> None:
    text = """\
schema:
  type: object
  required: [input]
  properties: {input: {type: string}}
cases:
  - {id: ok, input: x, output: y}
  - {id: bad, input: 3, output: y}
"""
    error = _error(tmp_path, text)
    assert _where(error) == (SPEC, 7, "bad", "schema")
    assert error.message == "violates the schema at 'input': 3 is not of type 'string'"


def test_schema_violation_in_a_dataset_row(tmp_path: Path) -> None:
    error = _error(
        tmp_path,
        "schema: {required: [question]}\ndataset: rows.jsonl\n",
        rows__jsonl='{"id": "q1", "question": "?", "output": "a"}\n{"id": "q2", "output": "b"}\n',
    )
    assert _where(error) == ("rows.jsonl", 2, "q2", "schema")
    assert error.message == "violates the schema: 'question' is a required property"


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ("{type: objekt}", "not a valid JSON Schema: "),
        ("{type: object, required: input}", "not a valid JSON Schema: "),
        ("[1]", "must be a JSON Schema (a mapping)"),
    ],
)
def test_invalid_schema(tmp_path: Path, schema: str, message: str) -> None:
    error = _error(tmp_path, f"{GRADED}schema: {schema}\n")
    assert _where(error) == (SPEC, 3, None, "schema")
    assert error.message.startswith(message)


# --- templates --------------------------------------------------------------------------

MODEL_CASES = """\
model: local/m
cases:
  - {id: a, country: France}
  - {id: b, input: Peru}
  - {id: c, country: Chile}
"""


def test_a_template_field_missing_in_one_datapoint(tmp_path: Path) -> None:
    error = _error(tmp_path, MODEL_CASES + "prompt: 'Capital of {{ item.country }}?'\n")
    assert _where(error) == (SPEC, 6, "b", "prompt")
    assert error.message == "template field 'item.country' is missing from this datapoint"
    assert str(error) == (
        f"{tmp_path / SPEC}:6: datapoint 'b': key 'prompt': "
        "template field 'item.country' is missing from this datapoint"
    )


def test_a_missing_field_of_a_dataset_datapoint_names_the_dataset(tmp_path: Path) -> None:
    error = _error(
        tmp_path,
        "model: local/m\nprompt: 'Q: {{ item.question }}'\ndataset: rows.jsonl\n",
        rows__jsonl='{"id": "q1", "question": "?"}\n\n{"id": "q2"}\n',
    )
    assert _where(error) == (SPEC, 2, "q2", "prompt")
    assert error.message == (
        "template field 'item.question' is missing from this datapoint "
        "(the datapoint is at rows.jsonl:3)"
    )


def test_dotted_template_paths_are_checked_per_datapoint(tmp_path: Path) -> None:
    text = (
        "model: local/m\nprompt: '{{ item.ctx.doc }} {{ item.docs.1 }}'\ncases:\n"
        "  - {id: a, ctx: {doc: x}, docs: [p, q]}\n  - {id: b, ctx: {doc: x}, docs: [p]}\n"
    )
    error = _error(tmp_path, text)
    assert (error.datapoint_id, error.message) == (
        "b",
        "template field 'item.docs.1' is missing from this datapoint",
    )


def test_message_templates_are_checked(tmp_path: Path) -> None:
    text = MODEL_CASES.replace("  - {id: b, input: Peru}\n", "") + (
        "messages:\n  - {role: system, content: Be brief.}\n"
        "  - {role: user, content: 'About {{ item.country }}, {{ item.year }}'}\n"
    )
    error = _error(tmp_path, text)
    assert _where(error) == (SPEC, 7, "a", "messages[1].content")
    assert error.message == "template field 'item.year' is missing from this datapoint"


def test_system_prompt_templates_are_checked(tmp_path: Path) -> None:
    text = MODEL_CASES + "prompt: hi\nsystem_prompt: 'You know {{ item.country }}.'\n"
    error = _error(tmp_path, text)
    assert _where(error) == (SPEC, 7, "b", "system_prompt")


@pytest.mark.parametrize("placeholder", ["sample.output_text", "output", "sample.output_json.a"])
@pytest.mark.parametrize("key", ["prompt", "system_prompt"])
def test_the_sample_is_refused_in_prompts(tmp_path: Path, key: str, placeholder: str) -> None:
    error = _error(
        tmp_path,
        f"model: local/m\n{key}: 'Was {{{{ {placeholder} }}}} right?'\n"
        "cases: [{id: a, input: x}]\n",
    )
    assert _where(error) == (SPEC, 2, "a", key)
    assert error.message == (
        f"'{{{{ {placeholder} }}}}' refers to the sample, which only scorer templates can use"
    )


def test_a_malformed_template_is_refused_before_any_datapoint(tmp_path: Path) -> None:
    error = _error(tmp_path, "model: local/m\nprompt: '{{ item.a + 1 }}'\ncases: [{input: x}]\n")
    assert _where(error) == (SPEC, 2, None, "prompt")
    assert error.message.startswith("'{{ item.a + 1 }}' is not a field reference")


def test_a_template_root_other_than_item_or_sample(tmp_path: Path) -> None:
    error = _error(tmp_path, "model: local/m\nprompt: '{{ os.environ }}'\ncases: [{input: x}]\n")
    assert error.key == "prompt" and "must start with 'item.' or 'sample.'" in error.message


def test_the_default_prompt_needs_input_on_the_datapoint(tmp_path: Path) -> None:
    error = _error(tmp_path, MODEL_CASES)
    # Points at the datapoint to fix, not at the top of the spec.
    assert _where(error) == (SPEC, 3, "a", "input")
    assert error.message == (
        "the datapoint has no 'input' (the default prompt is {{ input }}): "
        "give it an 'input', or give the spec a 'prompt' or 'messages'"
    )


def test_the_default_prompt_in_a_dataset_names_the_dataset(tmp_path: Path) -> None:
    error = _error(
        tmp_path, "model: local/m\ndataset: rows.csv\n", rows__csv="id,question\nq1,Why?\n"
    )
    assert _where(error) == ("rows.csv", 2, "q1", "input")


def test_datapoints_with_output_or_own_messages_skip_prompt_templates(tmp_path: Path) -> None:
    spec = _load(
        tmp_path,
        """\
model: local/m
prompt: "Capital of {{ item.country }}?"
cases:
  - {id: given, output: Paris}
  - id: chat
    messages: [{role: user, content: Capital of Peru?}]
  - {id: templ, country: Chile}
""",
    )
    assert [d.id for d in spec.datapoints] == ["given", "chat", "templ"]


def test_prompts_are_not_checked_when_nothing_calls_a_model(tmp_path: Path) -> None:
    spec = _load(tmp_path, "prompt: '{{ item.nowhere }}'\ncases: [{output: x}]\n")
    assert spec.prompt == "{{ item.nowhere }}"


# --- messages -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("messages", "key", "message"),
    [
        (
            "[{role: usr, content: hi}]",
            "messages[0].role",
            "unknown role 'usr'; did you mean 'user'?",
        ),
        ("[{role: user, content: 3}]", "messages[0].content", "must be a string"),
        ("[{role: user}]", "messages[0]", "each message is a mapping with exactly 'role' and"),
        ("[{role: user, content: a, name: b}]", "messages[0]", "each message is a mapping"),
        ("[]", "messages", "must be a non-empty list of {role, content}"),
    ],
)
def test_bad_spec_messages(tmp_path: Path, messages: str, key: str, message: str) -> None:
    error = _error(tmp_path, f"model: local/m\nmessages: {messages}\ncases: [{{input: x}}]\n")
    assert _where(error) == (SPEC, 2, None, key)
    assert error.message.startswith(message)


def test_prompt_and_messages_together(tmp_path: Path) -> None:
    text = "prompt: a\nmessages: [{role: user, content: b}]\n" + GRADED
    error = _error(tmp_path, text)
    assert (error.key, error.message) == (
        "messages",
        "give either 'prompt' or 'messages', not both",
    )


def test_bad_messages_on_a_datapoint(tmp_path: Path) -> None:
    text = (
        "model: local/m\ncases:\n  - {input: x}\n"
        "  - id: chat\n    messages: [{role: bot, content: hi}]\n"
    )
    error = _error(tmp_path, text)
    assert _where(error) == (SPEC, 4, "chat", "messages[0].role")
    assert error.message.startswith("unknown role 'bot'")


def test_datapoint_metadata_must_be_a_mapping(tmp_path: Path) -> None:
    error = _error(tmp_path, "cases:\n  - {id: a, output: x, metadata: [1]}\n")
    assert _where(error) == (SPEC, 2, "a", "metadata")


# --- ids ------------------------------------------------------------------------------


def test_duplicate_ids(tmp_path: Path) -> None:
    error = _error(
        tmp_path, "cases:\n  - {id: x, output: a}\n  - {id: y, output: b}\n  - {id: x, output: c}\n"
    )
    assert _where(error) == (SPEC, 4, "x", "id")
    assert error.message == "duplicate id (first on line 2): ids must be unique"


def test_a_number_and_its_string_are_the_same_id(tmp_path: Path) -> None:
    error = _error(tmp_path, "cases:\n  - {id: 1, output: a}\n  - {id: '1', output: b}\n")
    assert (error.datapoint_id, error.line) == ("1", 3)


def test_an_explicit_id_can_collide_with_a_default_one(tmp_path: Path) -> None:
    error = _error(tmp_path, "cases:\n  - {output: a}\n  - {id: 0, output: b}\n")
    assert (error.datapoint_id, error.key) == ("0", "id")


def test_duplicate_id_across_cases_and_dataset(tmp_path: Path) -> None:
    error = _error(
        tmp_path,
        "cases:\n  - {id: q, output: a}\ndataset: rows.jsonl\n",
        rows__jsonl='{"id": "q", "output": "b"}\n',
    )
    assert _where(error) == ("rows.jsonl", 1, "q", "id")
    assert error.message == "duplicate id (first on line 2): ids must be unique"


def test_int_ids_become_strings(tmp_path: Path) -> None:
    spec = _load(tmp_path, "cases:\n  - {id: 10, output: a}\n  - {id: -3, output: b}\n")
    assert [d.id for d in spec.datapoints] == ["10", "-3"]


@pytest.mark.parametrize("value", ["1.5", "true", "''", "[a]", "{a: 1}", "null"])
def test_bad_ids(tmp_path: Path, value: str) -> None:
    error = _error(tmp_path, f"cases:\n  - {{output: a}}\n  - {{id: {value}, output: b}}\n")
    assert _where(error) == (SPEC, 3, None, "id")
    assert error.message.startswith("'id' must be a string or a whole number, got ")


# --- model, models, target, and grade-only evals -------------------------------------


def test_grade_only_eval_needs_output_on_every_datapoint(tmp_path: Path) -> None:
    error = _error(tmp_path, "cases:\n  - {id: a, output: x}\n  - {id: b, input: y}\n")
    assert _where(error) == (SPEC, 3, "b", "output")
    assert error.message == (
        "the eval has no model and no target, so every datapoint needs its 'output' "
        "(the sample to grade)"
    )


def test_grade_only_dataset_row_without_output(tmp_path: Path) -> None:
    error = _error(tmp_path, "dataset: rows.csv\n", rows__csv="id,input\nq1,x\n")
    assert _where(error) == ("rows.csv", 2, "q1", "output")


@pytest.mark.parametrize("producer", ["model: local/m", "target: pkg.mod:fn"])
def test_a_model_or_target_needs_no_output(tmp_path: Path, producer: str) -> None:
    spec = _load(tmp_path, f"{producer}\ncases:\n  - {{id: a, input: y}}\n")
    assert not spec.grades_given_outputs


@pytest.mark.parametrize(
    ("keys", "key", "message"),
    [
        (
            "model: local/m\nmodels: [local/n]",
            "models",
            "give either 'model' or 'models', not both",
        ),
        ("model: local/m\ntarget: a.b:c", "target", "give either a model or a target, not both"),
        ("models: [local/m]\ntarget: a.b:c", "target", "give either a model or a target, not both"),
    ],
)
def test_conflicting_producers(tmp_path: Path, keys: str, key: str, message: str) -> None:
    error = _error(tmp_path, f"{keys}\n{GRADED}")
    assert _where(error) == (SPEC, 2, None, key)
    assert error.message == message


def test_a_bad_model_entry_is_located(tmp_path: Path) -> None:
    text = "models:\n  - local/m\n  - {connection: local, name: n,\n     temperature: 3}\n" + GRADED
    error = _error(tmp_path, text)
    assert _where(error) == (SPEC, 3, None, "models[1].temperature")
    assert error.message == "temperature must be between 0 and 2, got 3"


def test_an_unknown_connection_in_model(tmp_path: Path) -> None:
    error = _error(tmp_path, "name: x\nmodel: lokal/m\n" + GRADED)
    assert _where(error) == (SPEC, 2, None, "model")
    assert error.message.startswith("unknown connection 'lokal'; did you mean 'local'?")


@pytest.mark.parametrize(
    ("models", "line", "key", "message"),
    [
        ("[local/m, local/m]", 1, "models[1]", "'local/m' is listed twice"),
        ("[]", 1, "models", "must be a non-empty list of models"),
        ("local/m", 1, "models", "must be a non-empty list of models"),
    ],
)
def test_bad_models_lists(tmp_path: Path, models: str, line: int, key: str, message: str) -> None:
    error = _error(tmp_path, f"models: {models}\n{GRADED}")
    assert _where(error) == (SPEC, line, None, key)
    assert error.message == message


# --- scorers ----------------------------------------------------------------------------


def test_default_scorer_is_exact_match_when_a_datapoint_has_expected(tmp_path: Path) -> None:
    spec = _load(tmp_path, "cases:\n  - {output: x, expected: x}\n")
    assert spec.scorers == (ScorerConfig(type="exact_match", name="exact_match"),)


def test_default_exact_match_needs_expected_everywhere(tmp_path: Path) -> None:
    text = "cases:\n  - {id: a, output: x, expected: x}\n  - {id: b, output: y}\n"
    error = _error(tmp_path, text)
    assert _where(error) == (SPEC, 3, "b", "expected")
    assert error.message == (
        "scorer 'exact_match' compares the output with 'expected', which this datapoint lacks"
    )


def test_default_scorer_is_none_without_expected(tmp_path: Path) -> None:
    assert [s.type for s in _load(tmp_path, GRADED).scorers] == ["none"]


def test_scorers_as_strings_and_mappings(tmp_path: Path) -> None:
    spec = _load(
        tmp_path,
        """\
cases: [{output: '{"a": 1}', expected: x}]
scorers:
  - json
  - type: regex
    pattern: '"a"'
    flags: [IGNORECASE]
    weight: 2
  - {type: regex, name: digits, pattern: '\\d', threshold: 0.5}
""",
    )
    assert spec.scorers == (
        ScorerConfig("json", "json", line=3),
        ScorerConfig("regex", "regex", 2, None, {"pattern": '"a"', "flags": ["IGNORECASE"]}, 4),
        ScorerConfig("regex", "digits", 1.0, 0.5, {"pattern": "\\d"}, 8),
    )


def test_unknown_scorer_type_with_did_you_mean(tmp_path: Path) -> None:
    error = _error(tmp_path, GRADED + "scorers:\n  - none\n  - exact_mach\n")
    assert _where(error) == (SPEC, 5, None, "scorers[1].type")
    assert error.message.startswith("unknown scorer type 'exact_mach'; did you mean 'exact_match'?")
    assert "(known: closedqa, contains, " in error.message


@pytest.mark.parametrize(
    "scorers",
    ["[regex, {type: regex, pattern: x}]", "[{type: none, name: same}, {type: regex, name: same}]"],
)
def test_duplicate_scorer_names(tmp_path: Path, scorers: str) -> None:
    error = _error(tmp_path, f"{GRADED}scorers: {scorers}\n")
    assert error.key == "scorers[1].name"
    assert error.message.endswith("give one of them a 'name'")
    assert error.message.startswith("two scorers are named ")


def test_naming_one_of_two_same_type_scorers_is_enough(tmp_path: Path) -> None:
    text = (
        f"{GRADED}scorers:\n  - {{type: regex, pattern: a}}\n"
        "  - {type: regex, name: b, pattern: b}\n"
    )
    assert [s.name for s in _load(tmp_path, text).scorers] == ["regex", "b"]


@pytest.mark.parametrize("scorer", ["exact_match", "contains", "icontains", "numeric"])
def test_scorers_needing_expected_name_the_datapoint_without_it(
    tmp_path: Path, scorer: str
) -> None:
    text = (
        "cases:\n  - {id: a, output: '1', expected: '1'}\n  - {id: b, output: '2'}\n"
        f"scorers: [{scorer}]\n"
    )
    error = _error(tmp_path, text)
    assert _where(error) == (SPEC, 3, "b", "expected")
    assert error.message.startswith(f"scorer '{scorer}' compares the output with 'expected'")


def test_string_check_templates_are_checked_at_collection(tmp_path: Path) -> None:
    text = """\
cases:
  - {id: a, output: x, ref: x}
  - {id: b, output: y}
scorers:
  - type: string_check
    operation: eq
    input: "{{ output }}"
    reference: "{{ item.ref }}"
"""
    error = _error(tmp_path, text)
    assert _where(error) == (SPEC, 8, "b", "scorers[0].reference")
    assert error.message == "template field 'item.ref' is missing from this datapoint"


def test_string_check_default_reference_is_expected(tmp_path: Path) -> None:
    text = "cases:\n  - {id: a, output: x}\nscorers: [{type: string_check, operation: like}]\n"
    error = _error(tmp_path, text)
    assert (error.datapoint_id, error.key) == ("a", "scorers[0].reference")
    assert error.message == "template field 'expected' is missing from this datapoint"


def test_scorer_templates_may_use_the_sample(tmp_path: Path) -> None:
    text = (
        "cases: [{output: x, ref: x}]\nscorers:\n  - {type: string_check, operation: eq,"
        " input: '{{ sample.output_json.answer }}', reference: '{{ item.ref }}'}\n"
    )
    assert _load(tmp_path, text).scorers[0].options["input"] == "{{ sample.output_json.answer }}"


def test_scorer_templates_know_only_the_sample_outputs(tmp_path: Path) -> None:
    text = (
        "cases: [{output: x}]\nscorers: [{type: string_check, operation: eq, "
        "input: '{{ sample.latency }}', reference: a}]\n"
    )
    error = _error(tmp_path, text)
    assert error.key == "scorers[0].input"
    assert "the sample has output_text and output_json" in error.message


@pytest.mark.parametrize(
    ("scorer", "key", "message"),
    [
        ("{type: regex}", "scorers[0].pattern", "'pattern' is required"),
        (
            "{type: regex, pattern: a, threshold: 2}",
            "scorers[0].threshold",
            "must be between 0 and 1",
        ),
        (
            "{type: regex, pattern: a, weight: -1}",
            "scorers[0].weight",
            "'weight' must be at least 0, got -1",
        ),
        (
            "{type: regex, pattern: a, weight: heavy}",
            "scorers[0].weight",
            "'weight' must be a number",
        ),
        ("{type: string_check, operation: equals}", "scorers[0].operation", "unknown operation"),
        ("{pattern: a}", "scorers[0]", "each scorer is a type name or a mapping with 'type'"),
        ("3", "scorers[0]", "each scorer is a type name or a mapping with 'type'"),
        ("{type: none, name: ''}", "scorers[0].name", "must be a non-empty string"),
    ],
)
def test_bad_scorer_entries(tmp_path: Path, scorer: str, key: str, message: str) -> None:
    error = _error(tmp_path, f"{GRADED}scorers:\n  - {scorer}\n")
    assert _where(error) == (SPEC, 4, None, key)
    assert message in error.message


@pytest.mark.parametrize("scorers", ["[]", "exact_match", "{type: none}"])
def test_scorers_must_be_a_non_empty_list(tmp_path: Path, scorers: str) -> None:
    error = _error(tmp_path, f"{GRADED}scorers: {scorers}\n")
    assert (error.key, error.message) == ("scorers", "must be a non-empty list of scorers")


# --- numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("threshold", "1.5", "must be between 0 and 1, got 1.5"),
        ("threshold", "-0.1", "must be between 0 and 1, got -0.1"),
        ("threshold", "high", "must be a number"),
        ("pass_rate", "1.01", "must be between 0 and 1, got 1.01"),
        ("pass_rate", ".nan", "must be a number"),
        ("pass_rate", "true", "must be a number"),
        ("repeat", "0", "must be at least 1, got 0"),
        ("repeat", "2.0", "must be a whole number"),
        ("repeat", "'3'", "must be a whole number"),
        ("repeat_pass", "most", "must be one of all, any, majority"),
        (
            "repeat_pass",
            "majorty",
            "must be one of all, any, majority or {at_least: K}; did you mean 'majority'?",
        ),
        ("concurrency", "0", "must be at least 1, got 0"),
        ("concurrency", "1.5", "must be a whole number"),
        ("timeout_s", "0", "must be at least 0.001, got 0"),
        ("timeout_s", "-5", "must be at least 0.001, got -5"),
        ("timeout_s", ".inf", "must be a number"),
        ("retries", "-1", "must be at least 0, got -1"),
        ("retries", "1.5", "must be a whole number"),
    ],
)
def test_bad_numbers(tmp_path: Path, key: str, value: str, message: str) -> None:
    error = _error(tmp_path, f"{GRADED}{key}: {value}\n")
    assert _where(error) == (SPEC, 3, None, key)
    assert error.message.startswith(message)


@pytest.mark.parametrize(
    ("keys", "values"),
    [
        ("threshold: 0\npass_rate: 0\nrepeat: 1\nretries: 0", (0.0, 0.0, 1, 0)),
        ("threshold: 1\npass_rate: 1\nrepeat: 50\nretries: 9", (1.0, 1.0, 50, 9)),
    ],
)
def test_number_edges_are_accepted(tmp_path: Path, keys: str, values: tuple[Any, ...]) -> None:
    spec = _load(tmp_path, f"{GRADED}{keys}\n")
    assert (spec.threshold, spec.pass_rate, spec.repeat, spec.retries) == values


@pytest.mark.parametrize("rule", ["all", "any", "majority"])
def test_repeat_pass_rules(tmp_path: Path, rule: str) -> None:
    assert _load(tmp_path, f"{GRADED}repeat_pass: {rule}\n").repeat_pass == rule


# --- tags and metadata ------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["2fast", "smoke-test", "with space", "3", "''"])
def test_tags_must_be_marker_names(tmp_path: Path, tag: str) -> None:
    error = _error(tmp_path, f"{GRADED}tags:\n  - smoke\n  - {tag}\n")
    assert _where(error) == (SPEC, 5, None, "tags[1]")
    assert error.message.endswith(
        "is not a marker name (letters, digits and _, not starting with a digit)"
    )


def test_tags_must_be_a_list(tmp_path: Path) -> None:
    error = _error(tmp_path, f"{GRADED}tags: smoke\n")
    assert (error.key, error.message) == ("tags", "must be a list of marker names")


def test_tags_keep_their_order_without_repeats(tmp_path: Path) -> None:
    assert _load(tmp_path, f"{GRADED}tags: [slow, _geo, slow, Smoke2]\n").tags == (
        "slow",
        "_geo",
        "Smoke2",
    )


def _metadata(pairs: dict[str, str]) -> str:
    return "metadata:\n" + "".join(
        f"  {json.dumps(k)}: {json.dumps(v)}\n" for k, v in pairs.items()
    )


def test_metadata_at_its_limits_is_accepted(tmp_path: Path) -> None:
    pairs = {f"k{i:02d}": "v" for i in range(15)} | {"k" * 64: "v" * 512}
    spec = _load(tmp_path, GRADED + _metadata(pairs))
    assert dict(spec.metadata) == pairs


def test_metadata_with_too_many_pairs(tmp_path: Path) -> None:
    error = _error(tmp_path, GRADED + _metadata({f"k{i}": "v" for i in range(17)}))
    assert _where(error) == (SPEC, 3, None, "metadata")
    assert error.message == "at most 16 pairs, got 17"


def test_metadata_key_too_long(tmp_path: Path) -> None:
    error = _error(tmp_path, GRADED + _metadata({"k" * 65: "v"}))
    assert (error.key, error.message) == (
        "metadata",
        "keys must be strings of at most 64 characters",
    )


@pytest.mark.parametrize("value", ["'" + "v" * 513 + "'", "3", "[a]", "null"])
def test_metadata_values_must_be_short_strings(tmp_path: Path, value: str) -> None:
    error = _error(tmp_path, f"{GRADED}metadata:\n  owner: a\n  note: {value}\n")
    assert _where(error) == (SPEC, 5, None, "metadata.note")
    assert error.message == "values must be strings of at most 512 characters"


def test_metadata_must_be_a_mapping(tmp_path: Path) -> None:
    error = _error(tmp_path, f"{GRADED}metadata: [a, b]\n")
    assert (error.key, error.message) == ("metadata", "must be a mapping of short strings")


# --- the rendered error ---------------------------------------------------------------


def test_error_text_shape(tmp_path: Path) -> None:
    error = _error(
        tmp_path,
        "model: local/m\nsystem_prompt: 'Hi {{ item.user.name }}'\n"
        "cases:\n  - {id: 42, input: x, user: {nick: z}}\n",
    )
    assert str(error) == (
        f"{tmp_path / SPEC}:2: datapoint '42': key 'system_prompt': "
        "template field 'item.user.name' is missing from this datapoint"
    )


@pytest.mark.parametrize(
    "tag", ["skip", "skipif", "xfail", "usefixtures", "filterwarnings", "parametrize"]
)
def test_a_tag_naming_one_of_pytests_own_markers_is_refused(tmp_path: Path, tag: str) -> None:
    error = _error(tmp_path, f"{GRADED}tags: [smoke, {tag}]\n")
    assert error.key == "tags[1]"
    assert "one of pytest's own markers" in error.message

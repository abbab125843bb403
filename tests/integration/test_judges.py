"""Judge scorers end to end, against a deterministic judge server on 127.0.0.1 whose verdicts
each datapoint chooses (tests/judgeserver.py): llm_judge (choices, range), the presets, the
OpenAI grader shapes, rubric points, unreadable verdicts, structured output forms, the
default judge, spend apart from samples, and caching."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from ..fakeserver import FakeOpenAI
from ..judgeserver import judge_answer, judge_requests, with_samples
from .conftest import assert_no_plugin_traceback, load_json, records_by_id

PRICES = "prices = { input_per_mtok = 1000.0, output_per_mtok = 2000.0 }"


@pytest.fixture
def judge() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(answer=judge_answer) as server:
        yield server


def _pyproject(url: str, extra: str = "", project: str = "") -> str:
    return (
        f"[tool.pytest-evals]\n{project}\n"
        f'[tool.pytest-evals.connections.judge]\nprovider = "openai"\nbase_url = "{url}"\n'
        f"retries = 0\n{PRICES}\n{extra}\n"
    )


def _run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, Any]]:
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json", *args)
    out = pytester.path / "out.json"
    return result, load_json(out) if out.exists() else {}


CHOICES = """
pass_rate: 0.6
scorers:
  - type: llm_judge
    name: helpful
    model: judge/grader-1
    prompt: "Is this answer helpful? {{ sample.output_text }}"
    choices: [A, B, C]
    choice_scores: {A: 1, B: 0.5, C: 0}
cases:
  - {id: good, output: 'JUDGE{"choice": "A"}'}
  - {id: middling, output: 'JUDGE{"choice": "B"}'}
  - {id: bad, output: 'JUDGE{"choice": "C"}'}
"""


@pytest.mark.distributed
def test_llm_judge_choices_are_scored_and_the_judge_asked_for_a_schema(
    pytester: pytest.Pytester, judge: FakeOpenAI, mode: list[str]
) -> None:
    pytester.makepyprojecttoml(_pyproject(judge.base_url))
    pytester.makefile(".eval.yaml", **{"evals/judged": CHOICES})
    result, report = _run(pytester, "--evals-summary-md", "summary.md", *mode)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    records = records_by_id(report)
    entries = {k.rsplit("/", 1)[1]: r["scores"][0] for k, r in records.items()}
    assert {k: (e["score"], e["passed"]) for k, e in entries.items()} == {
        "good": (1.0, True),
        "middling": (0.5, True),  # graded: passes at 0.5 by default
        "bad": (0.0, False),
    }
    good = entries["good"]
    assert good["reasoning"] == "as directed"
    assert '"choice": "A"' in good["raw"]
    assert good["reason"].startswith("the judge chose A (1)")
    assert good["cached"] is False and good["tokens"]["total"] > 0 and good["cost"] > 0
    record = next(r for k, r in records.items() if k.endswith("/good"))
    assert record["judge_tokens"] == good["tokens"] and record["judge_cost"] == good["cost"]
    assert record["cost"] is None  # the sample was given: only the judge spent
    summary = report["runs"][0]["summary"]
    judge_costs = [r["judge_cost"] for r in records.values()]
    assert summary["judge_cost"] == pytest.approx(sum(judge_costs))
    assert summary["total_cost"] == pytest.approx(sum(judge_costs))
    assert summary["judge_tokens"]["total"] == sum(
        r["judge_tokens"]["total"] for r in records.values()
    )
    [body, *_] = judge_requests(judge.requests)
    assert len(judge_requests(judge.requests)) == 3
    assert body["model"] == "grader-1"
    assert body["temperature"] == 0 and body["seed"] == 0
    schema = body["response_format"]["json_schema"]["schema"]
    assert body["response_format"]["type"] == "json_schema"
    assert schema["properties"]["choice"]["enum"] == ["A", "B", "C"]
    assert schema["required"] == ["reasoning", "choice"]
    shown = [m["content"] for m in body["messages"] if m["role"] == "user"]
    assert any("Is this answer helpful? JUDGE{" in text for text in shown)
    text = result.stdout.str()
    assert re.search(r"judge cost +\$0\.\d{4}", text), text
    assert re.search(r"total cost +\$0\.\d{4}", text), text
    if not mode:
        markdown = (pytester.path / "summary.md").read_text()
        assert re.search(r"n/a \+ judges \$0\.\d{4}", markdown), markdown


RANGE = """
scorers:
  - type: llm_judge
    model: {connection: judge, name: grader-1, temperature: 0.3, seed: 7}
    messages:
      - {role: system, content: "You grade answers from 1 to 5."}
      - {role: user, content: "Q: {{ item.input }} A: {{ sample.output_text }}"}
    range: [1, 5]
    threshold: 0.7
cases:
  - {id: four, input: q, output: 'JUDGE{"score": 4}'}
  - {id: two, input: q, output: 'JUDGE{"score": 2}'}
"""


def test_a_numeric_range_is_scaled_to_0_1_and_the_models_own_settings_kept(
    pytester: pytest.Pytester, judge: FakeOpenAI
) -> None:
    pytester.makepyprojecttoml(_pyproject(judge.base_url))
    pytester.makefile(".eval.yaml", **{"evals/ranged": RANGE})
    result, report = _run(pytester)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    records = {r["datapoint_id"]: r for r in report["runs"][0]["result_items"]}
    assert records["four"]["score"] == pytest.approx(0.75) and records["four"]["passed"]
    assert records["two"]["score"] == pytest.approx(0.25) and not records["two"]["passed"]
    assert records["four"]["scores"][0]["details"] == {"judge_score": 4}
    body = judge_requests(judge.requests)[0]
    assert body["temperature"] == 0.3 and body["seed"] == 7
    properties = body["response_format"]["json_schema"]["schema"]["properties"]
    assert properties["score"] == {"type": "number", "minimum": 1, "maximum": 5}
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "system", "user"]


UNREADABLE = """
pass_rate: 0
scorers:
  - type: llm_judge
    model: judge/grader-1
    prompt: "{{ sample.output_text }}"
    choices: [A, B]
    choice_scores: {A: 1, B: 0}
cases:
  - {id: prose, output: "RAW:I think the answer is fine."}
  - {id: stray, output: 'JUDGE{"choice": "Maybe"}'}
  - {id: missing, output: 'JUDGE{"verdict": "A"}'}
  - {id: unreasoned, output: 'RAW:{"choice": "A"}'}
  - {id: numbered, output: 'JUDGE{"choice": "A", "reasoning": 7}'}
  - {id: fine, output: 'JUDGE{"choice": "A"}'}
"""


@pytest.mark.distributed
def test_a_verdict_that_cant_be_read_is_an_error_with_the_judges_text(
    pytester: pytest.Pytester, judge: FakeOpenAI, mode: list[str]
) -> None:
    pytester.makepyprojecttoml(_pyproject(judge.base_url))
    pytester.makefile(".eval.yaml", **{"evals/unreadable": UNREADABLE})
    result, report = _run(pytester, *mode)
    # Errors count as not passed but a holding gate tolerates them: the gate decides.
    text = result.stdout.str()
    assert_no_plugin_traceback(text)
    records = {r["datapoint_id"]: r for r in report["runs"][0]["result_items"]}
    unreadable = ("prose", "stray", "missing", "unreasoned", "numbered")
    for name in unreadable:
        assert records[name]["status"] == "error", records[name]
        assert records[name]["passed"] is False
        assert "the judge's verdict can't be read" in records[name]["error"]
    assert "I think the answer is fine." in records["prose"]["error"]
    assert "'Maybe' is not one of the allowed labels (A, B)" in records["stray"]["error"]
    assert "no 'choice' text" in records["missing"]["error"]
    # `reasoning` is required by the schema: a verdict without it, or with a number, is as
    # unreadable as one without its label.
    for name, answered in (("unreasoned", '{"choice": "A"}'), ("numbered", '"reasoning": 7')):
        assert "it has no 'reasoning' text; the judge answered" in records[name]["error"]
        assert answered in records[name]["error"]
    assert records["fine"]["passed"] is True
    assert report["runs"][0]["summary"]["errored"] == 5
    # The unreadable verdicts were paid for: their spend stays in the records and summary.
    for name in unreadable:
        assert records[name]["judge_cost"] > 0 and records[name]["judge_tokens"]["total"] > 0
    assert report["runs"][0]["summary"]["judge_cost"] == pytest.approx(
        sum(r["judge_cost"] for r in records.values())
    )
    # A scorer that could not score fails its item (its record says error, and why).
    result.assert_outcomes(passed=1, failed=5)


def test_a_second_run_asks_the_judge_nothing(pytester: pytest.Pytester, judge: FakeOpenAI) -> None:
    pytester.makepyprojecttoml(_pyproject(judge.base_url))
    pytester.makefile(".eval.yaml", **{"evals/judged": CHOICES})
    first, before = _run(pytester)
    assert first.ret == pytest.ExitCode.OK
    paid = before["runs"][0]["summary"]
    assert paid["judge_cost_incurred"] == pytest.approx(paid["judge_cost"]) and paid["judge_cost"]
    asked = len(judge.requests)
    second, report = _run(pytester)
    assert second.ret == pytest.ExitCode.OK
    assert len(judge.requests) == asked == 3
    entries = [r["scores"][0] for r in report["runs"][0]["result_items"]]
    assert all(e["cached"] for e in entries)
    assert [e["score"] for e in entries] == [1.0, 0.5, 0.0]
    # The recorded cost stays in judge_cost; nothing of it was paid by this run.
    summary = report["runs"][0]["summary"]
    assert summary["judge_cost"] == pytest.approx(paid["judge_cost"])
    assert summary["judge_cost_incurred"] == 0 and summary["total_cost_incurred"] == 0
    assert all(
        r["judge_cost_replayed"] == r["judge_cost"] for r in report["runs"][0]["result_items"]
    )
    # Paid now, and beside it what the cached answers had cost.
    second.stdout.fnmatch_lines(["*judge cost  $0.0000 ($0.2100 replayed)  total cost $0.0000*"])
    assert summary["judge_cost_replayed"] == pytest.approx(paid["judge_cost"])


MODEL_AND_JUDGE = """
model: judge/answerer
prompt: "{{ item.input }}"
scorers:
  - type: closedqa
    criteria: names the capital
cases:
  - {id: fr, input: capital of France?}
"""


@pytest.mark.distributed
def test_the_default_judge_and_a_sample_spend_apart(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    answers = {"capital of France?": 'Paris. JUDGE{"choice": "Y"}'}
    with FakeOpenAI(answer=with_samples(answers)) as server:
        pytester.makepyprojecttoml(
            _pyproject(server.base_url, project='judge_model = "judge/default-judge"')
        )
        pytester.makefile(".eval.yaml", **{"evals/qa": MODEL_AND_JUDGE})
        result, report = _run(pytester, "--evals-model", "judge/other-answerer", *mode)
        assert result.ret == pytest.ExitCode.OK, result.stdout.str()
        models = [r["body"]["model"] for r in server.requests]
    # --evals-model changes the model that answers, never the judge.
    assert sorted(models) == ["default-judge", "other-answerer"]
    [record] = report["runs"][0]["result_items"]
    assert record["cost"] > 0 and record["judge_cost"] > 0
    assert record["cost"] != record["judge_cost"]
    assert record["tokens"] != record["judge_tokens"]
    summary = report["runs"][0]["summary"]
    assert summary["total_cost"] == pytest.approx(record["cost"] + record["judge_cost"])


def test_the_judge_flag_overrides_the_projects_judge(pytester: pytest.Pytester) -> None:
    answers = {"capital of France?": 'Paris. JUDGE{"choice": "N"}'}
    with FakeOpenAI(answer=with_samples(answers)) as server:
        pytester.makepyprojecttoml(
            _pyproject(server.base_url, project='judge_model = "judge/default-judge"')
        )
        pytester.makefile(".eval.yaml", **{"evals/qa": MODEL_AND_JUDGE})
        result, report = _run(pytester, "--evals-judge-model", "judge/flag-judge")
        models = [r["body"]["model"] for r in server.requests]
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert sorted(models) == ["answerer", "flag-judge"]
    [record] = report["runs"][0]["result_items"]
    assert record["scores"][0]["score"] == 0.0
    assert "the judge chose N" in record["scores"][0]["reason"]


def test_a_judge_that_names_no_model_without_a_default_is_a_collection_error(
    pytester: pytest.Pytester, judge: FakeOpenAI
) -> None:
    pytester.makepyprojecttoml(_pyproject(judge.base_url))
    pytester.makefile(".eval.yaml", **{"evals/qa": MODEL_AND_JUDGE})
    result, _ = _run(pytester)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    text = result.stdout.str()
    assert "scorer 'closedqa' names no judge" in text
    assert "judge_model in [tool.pytest-evals]" in text and "--evals-judge-model" in text
    assert_no_plugin_traceback(text)
    assert judge.requests == []


@pytest.mark.parametrize("judge_model", ['"nowhere/x"', '"nowhere"', "{connection = 3}"])
def test_a_bad_default_judge_names_where_it_was_written(
    pytester: pytest.Pytester, judge: FakeOpenAI, judge_model: str
) -> None:
    # CHOICES names its judge: the project's default is checked all the same.
    pytester.makepyprojecttoml(_pyproject(judge.base_url, project=f"judge_model = {judge_model}"))
    pytester.makefile(".eval.yaml", **{"evals/judged": CHOICES})
    result, _ = _run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    result.stderr.fnmatch_lines(["ERROR: pyproject.toml: key 'tool.pytest-evals.judge_model*"])
    assert judge.requests == []


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--evals-judge-model", "nope/x", "unknown connection 'nope'"),
        ("--evals-judge-model", "jugde/x", "unknown connection 'jugde'; did you mean 'judge'?"),
        ("--evals-judge-model", "judge", "expected CONNECTION/MODEL"),
        ("--evals-model", "jugde/x", "unknown connection 'jugde'; did you mean 'judge'?"),
    ],
)
def test_a_bad_model_flag_is_a_usage_error_whether_or_not_a_spec_uses_it(
    pytester: pytest.Pytester, judge: FakeOpenAI, flag: str, value: str, message: str
) -> None:
    # CHOICES names its judge and grades given outputs: neither flag would change it.
    pytester.makepyprojecttoml(_pyproject(judge.base_url))
    pytester.makefile(".eval.yaml", **{"evals/judged": CHOICES})
    result, _ = _run(pytester, flag, value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    result.stderr.fnmatch_lines([f"*{flag}*{message}*"])
    assert_no_plugin_traceback(result.stderr.str())
    assert judge.requests == []


def test_a_judge_connections_missing_key_is_one_collection_error(
    pytester: pytest.Pytester, judge: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JUDGE_KEY", raising=False)
    pytester.makepyprojecttoml(_pyproject(judge.base_url, extra='api_key_env = "JUDGE_KEY"'))
    pytester.makefile(".eval.yaml", **{"evals/judged": CHOICES})
    result, _ = _run(pytester)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    text = result.stdout.str()
    assert text.count("needs an API key: set the environment variable JUDGE_KEY") == 1
    assert judge.requests == []


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("json_object", {"type": "json_object"}),
        ("none", None),
    ],
)
def test_structured_output_forms_of_a_connection(
    pytester: pytest.Pytester, judge: FakeOpenAI, form: str, expected: dict[str, str] | None
) -> None:
    pytester.makepyprojecttoml(_pyproject(judge.base_url, extra=f'structured_output = "{form}"'))
    pytester.makefile(".eval.yaml", **{"evals/judged": CHOICES})
    result, _ = _run(pytester)
    assert result.ret == pytest.ExitCode.OK
    body = judge.requests[0]["body"]
    if expected is None:
        assert "response_format" not in body
    else:
        assert body["response_format"]["type"] == expected["type"]
        assert body["response_format"]["schema"]["properties"]["choice"]["enum"] == ["A", "B", "C"]
    system = body["messages"][0]["content"]
    assert '"choice": <one of "A", "B", "C">' in system  # the prompt asks in every form


def test_a_server_refusing_the_schema_form_is_an_error_naming_structured_output(
    pytester: pytest.Pytester, judge: FakeOpenAI
) -> None:
    judge.fail_next(3, "500")
    pytester.makepyprojecttoml(_pyproject(judge.base_url))
    pytester.makefile(".eval.yaml", **{"evals/judged": CHOICES})
    result, report = _run(pytester, "-p", "no:randomly")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    errors = [r["error"] for r in report["runs"][0]["result_items"] if r["status"] == "error"]
    assert len(errors) == 3
    assert all('structured_output = "json_object" or "none"' in e for e in errors)
    assert all("connection 'judge'" in e for e in errors)
    assert_no_plugin_traceback(result.stdout.str())


def test_a_bad_structured_output_value_is_a_collection_error(
    pytester: pytest.Pytester, judge: FakeOpenAI
) -> None:
    pytester.makepyprojecttoml(_pyproject(judge.base_url, extra='structured_output = "schema"'))
    pytester.makefile(".eval.yaml", **{"evals/judged": CHOICES})
    result, _ = _run(pytester)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    text = result.stdout.str()
    assert "structured_output" in text and "did you mean 'json_schema'" in text


GRADERS = """
pass_rate: 0
# A testing_criteria list written for the OpenAI Evals API, unchanged.
scorers:
  - type: label_model
    name: sentiment
    model: judge/grader-1
    input:
      - {role: developer, content: "Classify the sentiment of the text."}
      - {type: message, role: user, content: "{{ sample.output_text }}"}
    labels: [positive, neutral, negative]
    passing_labels: [positive, neutral]
  - type: score_model
    name: quality
    model: judge/grader-1
    input:
      - {role: user, content: "Rate {{ item.topic }}: {{ sample.output_text }}"}
    range: [0, 10]
    pass_threshold: 7
    sampling_params: {temperature: 0.2, seed: 3, max_completions_tokens: 64, top_p: 0.9}
threshold: 0.0
cases:
  - {id: happy, topic: x, output: 'JUDGE{"label": "positive", "score": 8}'}
  - {id: sad, topic: x, output: 'JUDGE{"label": "negative", "score": 6}'}
"""


def test_openai_label_model_and_score_model_graders_run_unchanged(
    pytester: pytest.Pytester, judge: FakeOpenAI
) -> None:
    pytester.makepyprojecttoml(_pyproject(judge.base_url))
    pytester.makefile(".eval.yaml", **{"evals/graders": GRADERS})
    result, report = _run(pytester)
    assert_no_plugin_traceback(result.stdout.str())
    records = {r["datapoint_id"]: r for r in report["runs"][0]["result_items"]}
    happy = {s["name"]: s for s in records["happy"]["scores"]}
    sad = {s["name"]: s for s in records["sad"]["scores"]}
    assert (happy["sentiment"]["score"], happy["sentiment"]["passed"]) == (1.0, True)
    assert (sad["sentiment"]["score"], sad["sentiment"]["passed"]) == (0.0, False)
    assert happy["quality"]["score"] == pytest.approx(0.8) and happy["quality"]["passed"]
    assert sad["quality"]["score"] == pytest.approx(0.6) and not sad["quality"]["passed"]
    bodies = judge_requests(judge.requests)
    label_body = next(b for b in bodies if "label" in str(b["response_format"]))
    assert label_body["response_format"]["json_schema"]["schema"]["properties"]["label"][
        "enum"
    ] == ["positive", "neutral", "negative"]
    assert [m["role"] for m in label_body["messages"]] == ["system", "developer", "user"]
    # The calls come in any order: each datapoint's two judges run at once.
    score_body = next(b for b in bodies if "label" not in str(b["response_format"]))
    assert score_body["temperature"] == 0.2 and score_body["seed"] == 3
    assert score_body["max_tokens"] == 64 and score_body["top_p"] == 0.9
    assert "Rate x: JUDGE" in score_body["messages"][-1]["content"]


FACTUALITY = """
pass_rate: 0
scorers:
  - type: factuality
    model: judge/grader-1
cases:
  - {id: same, input: where is Paris?, expected: France, output: 'JUDGE{"choice": "C"}'}
  - {id: subset, input: where is Paris?, expected: France, output: 'JUDGE{"choice": "A"}'}
  - {id: wrong, input: where is Paris?, expected: France, output: 'JUDGE{"choice": "D"}'}
"""

CLOSEDQA = """
pass_rate: 0
scorers:
  - type: closedqa
    model: judge/grader-1
    criteria: mentions the Seine
cases:
  - {id: met, input: where is Paris?, output: 'JUDGE{"choice": "Y"}'}
  - {id: unmet, input: where is Paris?, output: 'JUDGE{"choice": "N"}'}
  - {id: lettered, input: where is Paris?, output: 'JUDGE{"choice": "C"}'}
"""


def test_factuality_and_closedqa_presets(pytester: pytest.Pytester, judge: FakeOpenAI) -> None:
    pytester.makepyprojecttoml(_pyproject(judge.base_url))
    pytester.makefile(".eval.yaml", **{"evals/factual": FACTUALITY, "evals/closed": CLOSEDQA})
    result, report = _run(pytester)
    assert_no_plugin_traceback(result.stdout.str())
    records = records_by_id(report)
    scores = {k.split("/")[0] + "/" + k.rsplit("/", 1)[1]: r["score"] for k, r in records.items()}
    assert scores["factual/same"] == 1.0
    assert scores["factual/subset"] == 0.4
    assert scores["factual/wrong"] == 0.0
    assert scores["closed/met"] == 1.0 and scores["closed/unmet"] == 0.0
    lettered = next(r for k, r in records.items() if k.endswith("/lettered"))
    # A Y/N judge that answers with a letter gave no verdict: an error, never a 0.
    assert lettered["status"] == "error"
    assert "'C' is not one of the allowed labels (Y, N)" in lettered["error"]
    bodies = judge_requests(judge.requests)
    factual = next(b for b in bodies if "expert answer" in b["messages"][-1]["content"])
    prompt = factual["messages"][-1]["content"]
    assert "[Question]: where is Paris?" in prompt and "[Expert answer]: France" in prompt
    closed = next(b for b in bodies if "[Criterion]" in b["messages"][-1]["content"])
    assert "[Criterion]: mentions the Seine" in closed["messages"][-1]["content"]


def test_factuality_needs_expected_on_every_datapoint(
    pytester: pytest.Pytester, judge: FakeOpenAI
) -> None:
    pytester.makepyprojecttoml(_pyproject(judge.base_url))
    spec = (
        "scorers: [{type: factuality, model: judge/g}]\ncases:\n  - {id: a, input: q, output: x}\n"
    )
    pytester.makefile(".eval.yaml", **{"evals/f": spec})
    result, _ = _run(pytester)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    text = result.stdout.str()
    assert "datapoint 'a'" in text and "expected" in text


RUBRIC = """
pass_rate: 0
scorers:
  - type: rubric
    model: judge/grader-1
    criteria:
      - {name: accuracy, points: 3, description: the facts are right}
      - {name: brevity, points: 1, description: one sentence}
cases:
  - id: full
    input: q
    output: >-
      JUDGE{"criteria": {"accuracy": {"points": 3, "reason": "right"},
      "brevity": {"points": 1, "reason": "short"}}}
  - id: half
    input: q
    output: >-
      JUDGE{"criteria": {"accuracy": {"points": 1, "reason": "partly"},
      "brevity": {"points": 1, "reason": "short"}}}
  - id: over
    input: q
    output: >-
      JUDGE{"criteria": {"accuracy": {"points": 5, "reason": "generous"},
      "brevity": {"points": 1, "reason": "x"}}}
"""


def test_rubric_points_per_criterion_and_in_the_summary(
    pytester: pytest.Pytester, judge: FakeOpenAI
) -> None:
    pytester.makepyprojecttoml(_pyproject(judge.base_url))
    pytester.makefile(".eval.yaml", **{"evals/rubric": RUBRIC})
    result, report = _run(pytester)
    assert_no_plugin_traceback(result.stdout.str())
    run = report["runs"][0]
    records = {r["datapoint_id"]: r for r in run["result_items"]}
    full = records["full"]["scores"][0]
    assert full["score"] == 1.0
    assert full["details"]["earned_points"] == 4 and full["details"]["possible_points"] == 4
    assert full["details"]["percentage"] == 100.0
    assert full["details"]["criteria"][0] == {
        "name": "accuracy",
        "points": 3.0,
        "possible_points": 3.0,
        "reason": "right",
    }
    half = records["half"]["scores"][0]
    assert half["score"] == 0.5 and half["passed"] is True
    assert records["over"]["status"] == "error"
    assert "criterion 'accuracy' is awarded 5 points of 3" in records["over"]["error"]
    summary = run["summary"]
    assert summary["total_earned_points"] == 6 and summary["total_possible_points"] == 8
    assert summary["overall_percentage"] == 75.0
    schema = judge_requests(judge.requests)[0]["response_format"]["json_schema"]["schema"]
    accuracy = schema["properties"]["criteria"]["properties"]["accuracy"]
    assert accuracy["properties"]["points"] == {"type": "number", "minimum": 0, "maximum": 3.0}


def test_rubric_points_of_repeats_count_each_datapoint_once(pytester: pytest.Pytester) -> None:
    # The model answers each repeat with the datapoint's verdict directive.
    def directive(accuracy: int) -> str:
        awards = {"accuracy": accuracy, "brevity": 1}
        criteria = {k: {"points": v, "reason": "r"} for k, v in awards.items()}
        return "JUDGE" + json.dumps({"criteria": criteria})

    answers = {"full": directive(3), "half": directive(1)}
    spec = (
        RUBRIC.split("cases:")[0].replace("pass_rate: 0\n", "pass_rate: 0\nrepeat: 3\n")
        + 'model: judge/answerer\nprompt: "{{ item.input }}"\n'
        + "cases:\n  - {id: full, input: full}\n  - {id: half, input: half}\n"
    )
    server = FakeOpenAI(answer=with_samples(answers))
    with server:
        pytester.makepyprojecttoml(_pyproject(server.base_url))
        pytester.makefile(".eval.yaml", **{"evals/rubric": spec})
        result, report = _run(pytester, "--evals-cache", "off")
    assert_no_plugin_traceback(result.stdout.str())
    run = report["runs"][0]
    records = {r["datapoint_id"]: r for r in run["result_items"]}
    half = records["half"]
    assert half["scores"][0]["details"] == {
        "earned_points": 2.0,
        "possible_points": 4.0,
        "percentage": 50.0,
    }
    assert [r["scores"][0]["details"]["earned_points"] for r in half["repeats"]] == [2, 2, 2]
    summary = run["summary"]
    assert summary["total_earned_points"] == 6 and summary["total_possible_points"] == 8
    assert summary["overall_percentage"] == 75.0
    assert len(judge_requests(server.requests)) == 6


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{type: llm_judge, model: judge/g, prompt: x}", "needs 'choices'"),
        ("{type: llm_judge, model: judge/g, choices: [A]}", "needs 'prompt'"),
        (
            "{type: llm_judge, model: judge/g, prompt: x, choices: [A, B], choice_scores: {A: 1}}",
            "missing: B",
        ),
        ("{type: llm_judge, model: judge/g, prompt: x, range: [5, 1]}", "low < high"),
        (
            "{type: label_model, model: judge/g, input: [{role: user, content: x}], "
            "labels: [a], passing_labels: [b]}",
            "'passing_labels' names b",
        ),
        (
            "{type: score_model, model: judge/g, input: [{role: user, content: x}], "
            "pass_threshold: 3}",
            "outside the range [0, 1]",
        ),
        (
            "{type: rubric, model: judge/g, criteria: [{name: a, points: 0, description: d}]}",
            "points",
        ),
        ("{type: llm_judge, model: nowhere/g, prompt: x, range: [0, 1]}", "unknown connection"),
        (
            "{type: llm_judge, model: judge/g, prompt: x, choice_scores: {~: 1, A: 0}}",
            "labels must be text, got nothing (YAML reads ~, null and an empty value as "
            "nothing): quote it, e.g. 'null'",
        ),
        (
            "{type: llm_judge, model: judge/g, prompt: '{{ item.missing }}', range: [0, 1]}",
            "missing",
        ),
    ],
)
def test_bad_judge_options_are_collection_errors(
    pytester: pytest.Pytester, judge: FakeOpenAI, entry: str, message: str
) -> None:
    pytester.makepyprojecttoml(_pyproject(judge.base_url))
    spec = f"scorers:\n  - {entry}\ncases:\n  - {{id: a, input: q, output: x}}\n"
    pytester.makefile(".eval.yaml", **{"evals/bad": spec})
    result, _ = _run(pytester)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    text = result.stdout.str()
    assert message in text, text
    assert "bad.eval.yaml" in text
    assert_no_plugin_traceback(text)
    assert judge.requests == []


FAITHFUL = """
pass_rate: 0
documents: [handbook.md]
scorers:
  - type: faithfulness
    model: judge/grader-1
  - type: relevance
    model: judge/grader-1
cases:
  - id: inline
    input: What does the refund policy say?
    context: [Refunds take 14 days., Only unopened items.]
    output: 'Refunds take 14 days. JUDGE{"choice": ["supported", "relevant"]}'
  - id: files
    input: What does the refund policy say?
    context_files: [notes/refunds.txt]
    output: 'It is 30 days. JUDGE{"choice": ["partly"]}'
"""


def test_faithfulness_is_judged_against_the_datapoints_context_and_documents(
    pytester: pytest.Pytester, judge: FakeOpenAI
) -> None:
    pytester.makepyprojecttoml(_pyproject(judge.base_url))
    pytester.makefile(".eval.yaml", **{"evals/faithful": FAITHFUL})
    (pytester.path / "evals" / "handbook.md").write_text("# Handbook\nShipping is free.\n")
    (pytester.path / "evals" / "notes").mkdir()
    (pytester.path / "evals" / "notes" / "refunds.txt").write_text("Refunds: 14 days {{ x }}.\n")
    result, report = _run(pytester)
    assert_no_plugin_traceback(result.stdout.str())
    records = {r["datapoint_id"]: r for r in report["runs"][0]["result_items"]}
    inline = {s["name"]: s for s in records["inline"]["scores"]}
    assert inline["faithfulness"]["score"] == 1.0 and inline["faithfulness"]["passed"]
    files = {s["name"]: s for s in records["files"]["scores"]}
    # "partly": half the score, and a miss for a binary judge.
    assert files["faithfulness"]["score"] == 0.5 and not files["faithfulness"]["passed"]
    bodies = judge_requests(judge.requests)
    shown = [
        b["messages"][-1]["content"] for b in bodies if "[Context]" in b["messages"][-1]["content"]
    ]
    inline_prompt = next(p for p in shown if "Refunds take 14 days. JUDGE" in p)
    assert "Refunds take 14 days.\n\nOnly unopened items.\n\n# Handbook" in inline_prompt
    files_prompt = next(p for p in shown if "It is 30 days" in p)
    # A file's text is context, never a template: its braces reach the judge as written.
    assert "Refunds: 14 days {{ x }}." in files_prompt and "Shipping is free." in files_prompt
    relevance_prompts = [
        b["messages"][-1]["content"]
        for b in bodies
        if "addresses the question" in b["messages"][-1]["content"]
    ]
    assert len(relevance_prompts) == 2
    assert all("[Context]" not in p for p in relevance_prompts)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "scorers: [{type: faithfulness, model: judge/g}]\n"
            "cases:\n  - {id: bare, input: q, output: x}\n",
            "datapoint 'bare'",
        ),
        (
            "scorers: [{type: faithfulness, model: judge/g}]\n"
            "cases:\n  - {id: gone, input: q, output: x, context_files: [missing.txt]}\n",
            "no such file",
        ),
        (
            "documents: [absent.md]\nscorers: [{type: faithfulness, model: judge/g}]\n"
            "cases:\n  - {id: a, input: q, output: x}\n",
            "absent.md",
        ),
        (
            "scorers: [{type: faithfulness, model: judge/g}]\n"
            "cases:\n  - {id: num, input: q, output: x, context: 12}\n",
            "must be text or a list of texts",
        ),
    ],
)
def test_a_missing_or_bad_context_is_a_collection_error(
    pytester: pytest.Pytester, judge: FakeOpenAI, spec: str, message: str
) -> None:
    pytester.makepyprojecttoml(_pyproject(judge.base_url))
    pytester.makefile(".eval.yaml", **{"evals/ctx": spec})
    result, _ = _run(pytester)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    text = result.stdout.str()
    assert message in text, text
    assert "ctx.eval.yaml" in text
    assert_no_plugin_traceback(text)


MINIMAL_PDF_TEXT = "Refunds take 14 days"


def _minimal_pdf() -> bytes:
    """A one-page PDF whose text is MINIMAL_PDF_TEXT, written by hand (no PDF writer
    needed in the tests)."""
    stream = f"BT /F1 12 Tf 72 712 Td ({MINIMAL_PDF_TEXT}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_a_pdf_document_is_read_with_the_pdf_extra(
    pytester: pytest.Pytester, judge: FakeOpenAI
) -> None:
    pytest.importorskip("pypdf")
    pytester.makepyprojecttoml(_pyproject(judge.base_url))
    spec = (
        "documents: [policy.pdf]\nscorers: [{type: faithfulness, model: judge/g}]\n"
        'cases:\n  - {id: a, input: q, output: \'JUDGE{"choice": "supported"}\'}\n'
    )
    pytester.makefile(".eval.yaml", **{"evals/pdf": spec})
    (pytester.path / "evals" / "policy.pdf").write_bytes(_minimal_pdf())
    result, _ = _run(pytester)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    [body] = judge_requests(judge.requests)
    assert MINIMAL_PDF_TEXT in body["messages"][-1]["content"]


OPENAI_PYTHON = """
pass_rate: 0
scorers:
  - type: python
    name: length
    pass_threshold: 0.5
    source: |
      def grade(sample, item) -> float:
          wanted = item["reference_answer"]
          return 1.0 if sample["output_text"].strip() == wanted else 0.25
  - type: python
    name: fields
    source: |
      def grade(sample, item):
          city = (sample["output_json"] or {}).get("city")
          return 1.0 if city == item["reference_answer"] else 0.0
cases:
  - {id: right, reference_answer: Paris, output: Paris}
  - {id: json, reference_answer: Paris, output: '{"city": "Paris"}'}
"""


def test_openai_python_graders_run_unchanged(pytester: pytest.Pytester) -> None:
    pytester.makefile(".eval.yaml", **{"evals/py": OPENAI_PYTHON})
    result, report = _run(pytester)
    assert_no_plugin_traceback(result.stdout.str())
    records = {r["datapoint_id"]: r for r in report["runs"][0]["result_items"]}
    right = {s["name"]: s for s in records["right"]["scores"]}
    assert (right["length"]["score"], right["length"]["passed"]) == (1.0, True)
    assert right["fields"]["score"] == 0.0
    as_json = {s["name"]: s for s in records["json"]["scores"]}
    assert (as_json["length"]["score"], as_json["length"]["passed"]) == (0.25, False)
    assert as_json["fields"]["score"] == 1.0


@pytest.mark.distributed
def test_the_budget_counts_judge_calls(
    pytester: pytest.Pytester, judge: FakeOpenAI, mode: list[str]
) -> None:
    # Each judge call costs a few cents at these prices; the samples are given (free).
    cases = "".join(f'  - {{id: d{i}, output: \'JUDGE{{"choice": "A"}}\'}}\n' for i in range(20))
    spec = CHOICES.split("cases:")[0] + "concurrency: 1\ncases:\n" + cases
    pytester.makepyprojecttoml(_pyproject(judge.base_url, extra="max_concurrency = 1"))
    pytester.makefile(".eval.yaml", **{"evals/judged": spec})
    result, report = _run(pytester, "--evals-cache", "off", "--evals-max-cost", "0.1", *mode)
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    result.stdout.fnmatch_lines(["*--evals-max-cost 0.1 reached*"])
    run = report["runs"][0]
    assert run["status"] == "cancelled"
    assert len(judge.requests) < 20
    assert run["summary"]["judge_cost"] >= 0.1


TWO_JUDGES = """
scorers:
  - {type: llm_judge, name: first, model: judge/grader-1, prompt: "1 {{ sample.output_text }}",
     choices: [A, B], choice_scores: {A: 1, B: 0}}
  - {type: llm_judge, name: second, model: judge/grader-1, prompt: "2 {{ sample.output_text }}",
     choices: [A, B], choice_scores: {A: 1, B: 0}}
cases:
"""


def test_a_budget_stop_keeps_the_verdicts_of_judge_calls_already_sent(
    pytester: pytest.Pytester, judge: FakeOpenAI
) -> None:
    # Two judges per datapoint, both in flight together: the one whose answer reaches the
    # budget and its sibling were both sent (and billed); both verdicts are the report's.
    cases = "".join(f'  - {{id: d{i}, output: \'JUDGE{{"choice": "A"}}\'}}\n' for i in range(20))
    pytester.makepyprojecttoml(_pyproject(judge.base_url, extra="max_concurrency = 2"))
    pytester.makefile(".eval.yaml", **{"evals/judged": TWO_JUDGES + cases})
    result, report = _run(pytester, "--evals-cache", "off", "--evals-max-cost", "0.1")
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    run = report["runs"][0]
    completed = [r for r in run["result_items"] if r["status"] == "completed"]
    assert completed and len(completed) < 20
    assert all(len(r["scores"]) == 2 and r["passed"] for r in completed)
    # Every judge call the server answered is in the report, none lost to the stop: a
    # datapoint with one verdict of two is an error that keeps what its judge cost.
    per_call = completed[0]["judge_cost"] / 2  # every call here costs the same
    sent = len(judge_requests(judge.requests))
    assert run["summary"]["judge_cost"] == pytest.approx(per_call * sent)
    for record in run["result_items"]:
        if record["status"] == "error":
            assert record["error"].startswith("not scored: --evals-max-cost 0.1 reached")
            assert record["stopped"] is True
            assert record["judge_cost"] == pytest.approx(per_call)


def test_a_slow_judge_times_out_into_an_error_and_the_run_goes_on(
    pytester: pytest.Pytester,
) -> None:
    with FakeOpenAI(answer=judge_answer, latency_s=1.0) as slow:
        pytester.makepyprojecttoml(_pyproject(slow.base_url, extra="timeout_s = 0.2"))
        pytester.makefile(".eval.yaml", **{"evals/judged": CHOICES})
        result, report = _run(pytester, "--evals-cache", "off")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert_no_plugin_traceback(result.stdout.str())
    run = report["runs"][0]
    assert run["status"] == "failed"  # every datapoint errored
    assert all("timed out" in r["error"] for r in run["result_items"]), run["result_items"]


def test_a_failed_judge_call_is_an_explained_error_without_the_schema_hint(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUDGE_KEY", "sk-wrong-key-0123456789")
    with FakeOpenAI(answer=judge_answer, require_key="sk-right-key-0123456789") as server:
        pytester.makepyprojecttoml(_pyproject(server.base_url, extra='api_key_env = "JUDGE_KEY"'))
        pytester.makefile(".eval.yaml", **{"evals/judged": CHOICES})
        result, report = _run(pytester, "--evals-cache", "off")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    text = result.stdout.str()
    assert_no_plugin_traceback(text)
    assert "sk-wrong-key" not in text
    errors = [r["error"] for r in report["runs"][0]["result_items"]]
    assert all(
        e.startswith(
            "scorer 'helpful': no verdict: the call to judge/grader-1 failed after 1 attempt: "
            "HTTP 401"
        )
        for e in errors
    ), errors
    assert not any("structured_output" in e for e in errors)


def test_lf_keeps_judged_results_only_while_the_judge_is_the_same(
    pytester: pytest.Pytester, judge: FakeOpenAI
) -> None:
    spec = CHOICES.replace("    model: judge/grader-1\n", "")
    pytester.makepyprojecttoml(_pyproject(judge.base_url, project='judge_model = "judge/one"'))
    pytester.makefile(".eval.yaml", **{"evals/judged": spec})
    first = pytester.runpytest("--evals", "evals")
    assert first.ret == pytest.ExitCode.OK  # bad fails, inside a 60% gate
    _, report = _run(pytester, "--lf")
    assert report["runs"][0]["kept"] == 2
    _, report = _run(pytester, "--lf", "--evals-judge-model", "judge/two")
    # Another judge: the earlier verdicts are not this judge's, so none are kept.
    assert report["runs"][0]["kept"] == 0


def test_options_with_keys_yaml_reads_as_other_kinds_collect_and_run(
    pytester: pytest.Pytester, judge: FakeOpenAI
) -> None:
    # `1:` and `~:` are a number and nothing to YAML: digests of the options must not fail.
    spec = CHOICES.replace(
        "    model: judge/grader-1\n",
        "    model: {connection: judge, name: grader-1, params: {1: one, ~: none, b: 2}}\n",
    )
    pytester.makepyprojecttoml(_pyproject(judge.base_url))
    pytester.makefile(".eval.yaml", **{"evals/judged": spec})
    result, report = _run(pytester, "--evals-cache", "on")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert_no_plugin_traceback(result.stdout.str())
    assert report["runs"][0]["summary"]["passed"] == 2


@pytest.mark.distributed
def test_a_budget_stop_reports_every_call_the_server_answered(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    # Samples of the datapoints ahead are in flight when the budget is reached (the
    # prefetch window): they were answered and billed, so their datapoints are reported
    # (unscored, stopped) before the session stops, and the totals are what the server billed.
    cases = "".join(f"  - {{id: d{i}, q: question {i} here}}\n" for i in range(40))
    spec = (
        'model: judge/m\nprompt: "{{ item.q }}"\npass_rate: 0\nscorers:\n'
        "  - {type: llm_judge, model: judge/grader, choices: [A, B], choice_scores: {A: 1, B: 0},\n"
        '     prompt: \'Rate {{ sample.output_text }} JUDGE{"choice": "A"}\'}\ncases:\n' + cases
    )
    with FakeOpenAI(answer=judge_answer, latency_s=0.05) as server:
        pytester.makepyprojecttoml(_pyproject(server.base_url))
        pytester.makefile(".eval.yaml", **{"evals/spend": spec})
        result, report = _run(pytester, "--evals-cache", "off", "--evals-max-cost", "0.3", *mode)
        bodies = [r["body"] for r in server.requests]
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    words = lambda text: max(1, len(text.split()))  # noqa: E731 - the fake server's count
    prompt = sum(words(str(m["content"])) for b in bodies for m in b["messages"])
    completion = sum(words(judge_answer(b["messages"], b)) for b in bodies)
    billed = (prompt * 1000.0 + completion * 2000.0) / 1e6
    run = report["runs"][0]
    assert run["status"] == "cancelled"
    assert len(bodies) < 80  # the stop held: not every datapoint was judged
    assert run["summary"]["total_cost_incurred"] == pytest.approx(billed)
    assert report["session"]["totals"]["total_cost_incurred"] == pytest.approx(billed)

"""A judge scorer's options are checked at collection, each problem one collection error that
names the file, the scorer (or datapoint) and the key, before any judge is called: a preset's
own prompt keeps its placeholders, every template a judge is shown is checked against every
datapoint, a pass is decided by one key, non-text is named as YAML read it, and every problem
of a model mapping is told at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..fakeserver import FakeOpenAI
from ..judgeserver import judge_answer, judge_requests
from .conftest import assert_no_plugin_traceback


@pytest.fixture
def judge() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(answer=judge_answer) as server:
        yield server


def _collect_error(pytester: pytest.Pytester, judge: FakeOpenAI, spec: str) -> str:
    """The collection error a spec is, with no judge called and no plugin traceback."""
    pytester.makepyprojecttoml(
        f'[tool.pytest-evals.connections.judge]\nprovider = "openai"\n'
        f'base_url = "{judge.base_url}"\nretries = 0\n'
    )
    pytester.makefile(".eval.yaml", **{"evals/bad": spec})
    result = pytester.runpytest("--evals", "evals")
    text = result.stdout.str()
    assert result.ret == pytest.ExitCode.INTERRUPTED, text
    assert "evals/bad.eval.yaml:" in text
    assert_no_plugin_traceback(text)
    assert judge.requests == []
    return text


@pytest.mark.parametrize(
    ("entry", "placeholder"),
    [
        ("{type: faithfulness, model: judge/g, prompt: 'Is {{ output }} supported?'}", "{context}"),
        (
            "{type: closedqa, model: judge/g, criteria: polite, prompt: 'Is {{ output }} good?'}",
            "{criteria}",
        ),
        (
            "{type: rubric, model: judge/g, prompt: 'Grade {{ output }}',"
            " criteria: [{name: a, points: 1, description: d}]}",
            "{criteria}",
        ),
    ],
)
def test_a_presets_own_prompt_must_keep_the_placeholder_it_fills(
    pytester: pytest.Pytester, judge: FakeOpenAI, entry: str, placeholder: str
) -> None:
    # Without it the judge would never be shown the context (or criteria) it judges by.
    spec = f"scorers:\n  - {entry}\ncases:\n  - {{id: a, input: q, output: x, context: c}}\n"
    text = _collect_error(pytester, judge, spec)
    scorer = entry.split("type: ")[1].split(",")[0]
    assert f"key 'scorers[0].prompt': scorer '{scorer}': 'prompt' must contain {placeholder}" in (
        text
    ), text


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        (
            "{type: closedqa, model: judge/g, criteria: 'names {{ item.city }}'}",
            "scorers[0].criteria",
        ),
        (
            "{type: rubric, model: judge/g,"
            " criteria: [{name: a, points: 1, description: 'names {{ item.city }}'}]}",
            "scorers[0].criteria[0].description",
        ),
    ],
)
def test_item_fields_in_a_judges_criteria_are_checked_on_every_datapoint(
    pytester: pytest.Pytester, judge: FakeOpenAI, entry: str, key: str
) -> None:
    # The criteria are written into the judge's prompt and rendered with it: a field a
    # datapoint lacks would be a miss "the output has no value" at run time, no judge asked.
    spec = (
        f"scorers:\n  - {entry}\ncases:\n  - {{id: paris, input: q, output: x, city: Paris}}\n"
        "  - {id: nowhere, input: q, output: x}\n"
    )
    text = _collect_error(pytester, judge, spec)
    assert (
        f"datapoint 'nowhere': key '{key}': template field 'item.city' is missing from this "
        "datapoint"
    ) in text, text


def test_a_closedqa_criteria_template_reaches_the_judge_rendered(
    pytester: pytest.Pytester, judge: FakeOpenAI
) -> None:
    pytester.makepyprojecttoml(
        f'[tool.pytest-evals.connections.judge]\nprovider = "openai"\n'
        f'base_url = "{judge.base_url}"\nretries = 0\n'
    )
    spec = (
        "scorers:\n  - {type: closedqa, model: judge/g, criteria: 'names {{ item.city }}'}\n"
        'cases:\n  - {id: a, input: q, city: Paris, output: \'JUDGE{"choice": "Y"}\'}\n'
    )
    pytester.makefile(".eval.yaml", **{"evals/qa": spec})
    result = pytester.runpytest("--evals", "evals")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    [body] = judge_requests(judge.requests)
    assert "[Criterion]: names Paris" in body["messages"][-1]["content"]


@pytest.mark.parametrize(
    ("entry", "decides"),
    [
        (
            "{type: score_model, model: judge/g, input: [{role: user, content: x}],"
            " pass_threshold: 0.5, threshold: 0.9}",
            "pass_threshold",
        ),
        (
            "{type: label_model, model: judge/g, input: [{role: user, content: x}],"
            " labels: [a, b], passing_labels: [a], threshold: 0.5}",
            "passing_labels",
        ),
        (
            "{type: text_similarity, input: x, reference: x, evaluation_metric: gleu,"
            " pass_threshold: 0.5, threshold: 0.9}",
            "pass_threshold",
        ),
        (
            "{type: python, source: 'def grade(sample, item): return 1.0',"
            " pass_threshold: 0.5, threshold: 0.9}",
            "pass_threshold",
        ),
    ],
)
def test_two_keys_deciding_one_pass_are_a_collection_error(
    pytester: pytest.Pytester, judge: FakeOpenAI, entry: str, decides: str
) -> None:
    spec = f"scorers:\n  - {entry}\ncases:\n  - {{id: a, input: q, output: x}}\n"
    text = _collect_error(pytester, judge, spec)
    assert "key 'scorers[0].threshold': scorer '" in text, text
    assert f"give either '{decides}' or 'threshold', not both" in text, text


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "{type: llm_judge, model: judge/g, prompt: 42, choices: [A], choice_scores: {A: 1}}",
            "key 'scorers[0].prompt': scorer 'llm_judge': 'prompt' must be text (a template "
            "over item.* and sample.*), got the number 42",
        ),
        (
            "{type: factuality, model: judge/g, prompt: [a, b]}",
            "'prompt' must be text (a template over item.* and sample.*), got a list",
        ),
        (
            "{type: closedqa, model: judge/g, criteria: 3}",
            "'criteria' must be text (what a good answer does, e.g. 'names the capital city'), "
            "got the number 3",
        ),
        (
            "{type: llm_judge, model: judge/g, prompt: x, choice_scores: {yes: 1, no: 0}}",
            "'choice_scores' labels must be text, got True (YAML reads yes/no/on/off/true/false "
            "as booleans): quote it, e.g. 'yes'",
        ),
        (
            "{type: label_model, model: judge/g, input: [{role: user, content: x}],"
            " labels: [on, off], passing_labels: [on]}",
            "'labels[0]' must be text, got True (YAML reads yes/no/on/off/true/false as "
            "booleans): quote it, e.g. 'yes'",
        ),
        (
            "{type: llm_judge, model: judge/g, prompt: x, choices: [A, 2], "
            "choice_scores: {A: 1, '2': 0}}",
            "'choices[1]' must be text, got the number 2: quote it, e.g. '2'",
        ),
        (
            "{type: rubric, model: judge/g, criteria: [{name: no, points: 1, description: d}]}",
            "'criteria[0].name' must be text, got False (YAML reads yes/no/on/off/true/false "
            "as booleans): quote it, e.g. 'no'",
        ),
        (
            "{type: rubric, model: judge/g, criteria: [{name: a, points: 1, description: 5}]}",
            "'criteria[0].description' must be text (what earns the points), got the number 5",
        ),
        (
            "{type: score_model, model: judge/g, input: [{role: user, content: 7}]}",
            "'input[0].content' must be text (a template), got the number 7",
        ),
        (
            "{type: text_similarity, reference: 42, evaluation_metric: gleu}",
            "'reference' must be text (a template such as '{{ item.reference_answer }}'), "
            "got the number 42",
        ),
    ],
)
def test_non_text_where_text_is_needed_is_named_as_yaml_read_it(
    pytester: pytest.Pytester, judge: FakeOpenAI, entry: str, message: str
) -> None:
    spec = f"scorers:\n  - {entry}\ncases:\n  - {{id: a, input: q, output: x, expected: x}}\n"
    text = _collect_error(pytester, judge, spec)
    assert message in text, text


@pytest.mark.parametrize("where", ["context_files: [notes]", "documents"])
def test_a_directory_given_as_a_context_file_is_named_a_directory(
    pytester: pytest.Pytester, judge: FakeOpenAI, where: str
) -> None:
    pytester.mkdir("evals")
    (pytester.path / "evals" / "notes").mkdir()
    documents = "documents: [notes]\n" if where == "documents" else ""
    own = f", {where}" if where != "documents" else ""
    spec = (
        f"{documents}scorers: [{{type: faithfulness, model: judge/g}}]\n"
        f"cases:\n  - {{id: a, input: q, output: x{own}}}\n"
    )
    text = _collect_error(pytester, judge, spec)
    assert "evals/notes is a directory, not a file" in text, text
    assert "no such file" not in text


@pytest.mark.parametrize(
    ("model", "key"),
    [
        (
            "scorers:\n  - {type: relevance,"
            " model: {connection: nope, name: 3, temperature: hot}}\n",
            "scorers[0].model",
        ),
        ("model: {connection: nope, name: 3, temperature: hot}\nscorers: [none]\n", "model"),
    ],
)
def test_every_problem_of_a_model_mapping_is_one_message(
    pytester: pytest.Pytester, judge: FakeOpenAI, model: str, key: str
) -> None:
    output = ", output: x" if model.startswith("scorers") else ""
    spec = f"{model}cases:\n  - {{id: a, input: q{output}}}\n"
    text = _collect_error(pytester, judge, spec)
    [line] = [line for line in text.splitlines() if "problems" in line and "bad.eval.yaml" in line]
    assert f"key '{key}': 3 problems: (1) unknown connection 'nope'" in line, line
    assert "(2) 'name' must be the model name as text, got the number 3" in line, line
    assert "(3) temperature must be a number, got 'hot'" in line, line


def test_every_bad_sampling_param_of_a_grader_is_one_message(
    pytester: pytest.Pytester, judge: FakeOpenAI
) -> None:
    spec = (
        "scorers:\n  - {type: score_model, model: judge/g, input: [{role: user, content: x}],"
        " sampling_params: {temperature: -1, seed: 1.5, top_p: 0.9}}\n"
        "cases:\n  - {id: a, input: q, output: x}\n"
    )
    text = _collect_error(pytester, judge, spec)
    assert (
        "key 'scorers[0].sampling_params': scorer 'score_model': 'sampling_params.temperature' "
        "must be at least 0, got -1; 'sampling_params.seed' must be a whole number, got 1.5"
    ) in text, text


@pytest.mark.parametrize(
    "entry",
    [
        "{type: llm_judge, model: judge/g, prompt: 'Given {context}, is {{ sample.output }} ok?',"
        " choices: [Y, N], choice_scores: {Y: 1, N: 0}}",
        "{type: score_model, model: judge/g, range: [0, 1],"
        " input: [{role: user, content: 'Context: {context}'}]}",
    ],
)
def test_a_judge_shown_the_context_needs_it_on_every_datapoint(
    pytester: pytest.Pytester, judge: FakeOpenAI, entry: str
) -> None:
    # An empty context would have the judge grade against nothing, every verdict made up.
    spec = (
        f"scorers:\n  - {entry}\ncases:\n"
        "  - {id: has, input: q, output: x, context: c}\n  - {id: lacks, input: q, output: x}\n"
    )
    text = _collect_error(pytester, judge, spec)
    assert "datapoint 'lacks'" in text and "which this datapoint lacks" in text, text

"""The user's own Python code as the thing under evaluation."""

from __future__ import annotations

import pytest

from .conftest import assert_no_plugin_traceback, load_json

APP = """
import asyncio

def answer(item):
    table = {"France": "Paris", "Spain": "Madrid"}
    if item["input"] == "Atlantis":
        raise LookupError("no such country: Atlantis")
    return table.get(item["input"], "unknown")

async def answer_async(item):
    await asyncio.sleep(0.01)
    return {"output": answer(item), "tokens": {"prompt": 3, "completion": 1}, "cost": 0.5}
"""

SPEC = """
target: app:{function}
cases:
  - {{id: fr, input: France, expected: Paris}}
  - {{id: es, input: Spain, expected: Madrid}}
  - {{id: de, input: Germany, expected: Berlin}}
"""


@pytest.mark.parametrize("function", ["answer", "answer_async"])
def test_target_next_to_the_spec(pytester: pytest.Pytester, mode: list[str], function: str) -> None:
    pytester.makepyfile(**{"evals/app": APP})
    pytester.makefile(
        ".eval.yaml", **{"evals/geo": SPEC.format(function=function) + "pass_rate: 0.6\n"}
    )
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json", *mode)
    result.assert_outcomes(passed=2, failed=1)
    assert result.ret == 0
    run = load_json(pytester.path / "out.json")["runs"][0]
    records = {r["datapoint_id"]: r for r in run["result_items"]}
    assert records["de"]["output"] == "unknown"
    assert records["fr"]["latency_ms"] > 0
    if function == "answer_async":
        assert records["fr"]["tokens"] == {"prompt": 3, "completion": 1, "total": 4}
        assert records["fr"]["cost"] == 0.5


def test_a_target_that_raises_is_an_error_not_a_failure(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    pytester.makepyfile(**{"evals/app": APP})
    spec = SPEC.format(function="answer") + '  - {id: atlantis, input: Atlantis, expected: "?"}\n'
    pytester.makefile(".eval.yaml", **{"evals/geo": spec})
    result = pytester.runpytest(
        "--evals", "evals", "--evals-json", "out.json", "--junitxml", "junit.xml", *mode
    )
    result.assert_outcomes(passed=2, failed=1, errors=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*LookupError: no such country: Atlantis*"])
    run = load_json(pytester.path / "out.json")["runs"][0]
    records = {r["datapoint_id"]: r for r in run["result_items"]}
    assert records["atlantis"]["status"] == "error"
    assert "no such country" in records["atlantis"]["error"]
    assert run["summary"]["errored"] == 1
    junit = (pytester.path / "junit.xml").read_text()
    assert junit.count("<error") == 1 and junit.count("<failure") == 1


def test_unimportable_target_is_a_collection_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".eval.yaml", **{"evals/geo": SPEC.format(function="nothing_here")})
    pytester.makepyfile(**{"evals/app": APP})
    result = pytester.runpytest("--evals", "evals")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["*evals/geo.eval.yaml*key 'target'*has no attribute 'nothing_here'*"]
    )
    assert_no_plugin_traceback(result.stdout.str())


def test_two_spec_folders_with_a_tools_module_each_use_their_own(
    pytester: pytest.Pytester,
) -> None:
    for folder, word in (("en", "hello"), ("fr", "bonjour")):
        pytester.makepyfile(
            **{f"evals/{folder}/tools": f"def answer(item):\n    return '{word}'\n"}
        )
        pytester.makefile(
            ".eval.yaml",
            **{
                f"evals/{folder}/greet": "target: tools:answer\ncases:\n"
                f"  - {{id: a, input: x, expected: {word}}}\n"
            },
        )
    result = pytester.runpytest("--evals", "evals")
    result.assert_outcomes(passed=2)
    assert result.ret == 0


EXITING = """
import asyncio
import sys

def sync_exit(item):
    if item["input"] == "bad":
        sys.exit(3)
    return "ok"

async def async_interrupt(item):
    await asyncio.sleep(0.01)
    if item["input"] == "bad":
        raise KeyboardInterrupt("from the target")
    return "ok"

async def async_exit(item):
    if item["input"] == "bad":
        raise SystemExit(4)
    await asyncio.sleep(0.01)
    return "ok"
"""


@pytest.mark.parametrize(
    ("function", "extra"),
    [
        ("sync_exit", ""),
        ("async_interrupt", "timeout_s: 5\n"),  # in a task of its own: escapes the loop
        ("async_exit", ""),
    ],
)
def test_a_target_raising_systemexit_or_keyboardinterrupt_errors_only_its_datapoint(
    pytester: pytest.Pytester, function: str, extra: str
) -> None:
    pytester.makepyfile(**{"evals/app": EXITING})
    cases = "".join(f"  - {{id: d{i}, input: ok, expected: ok}}\n" for i in range(4))
    spec = (
        f"target: app:{function}\n{extra}cases:\n{cases}  - {{id: bad, input: bad, expected: ok}}\n"
    )
    pytester.makefile(".eval.yaml", **{"evals/exits": spec})
    # In a subprocess with a timeout: a loop that died would leave the session waiting.
    result = pytester.runpytest_subprocess(
        "--evals", "evals", "--evals-json", "out.json", timeout=60
    )
    result.assert_outcomes(passed=4, errors=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    records = {
        r["datapoint_id"]: r
        for r in load_json(pytester.path / "out.json")["runs"][0]["result_items"]
    }
    assert records["bad"]["status"] == "error"
    assert ("SystemExit" in records["bad"]["error"]) or (
        "KeyboardInterrupt" in records["bad"]["error"]
    )


RETURNS = """
import math

class Thing:
    pass

RESULTS = {
    "tokens_str": {"output": "x", "tokens": {"prompt": "3", "completion": 1}},
    "tokens_negative": {"output": "x", "tokens": -2},
    "cost_nan": {"output": "x", "cost": math.nan},
    "cost_negative": {"output": "x", "cost": -0.1},
    "bytes": b"raw",
    "object": Thing(),
    "none": None,
    "ok": {"output": "x", "tokens": {"prompt": 3, "completion": 1}, "cost": 0.001},
}

def answer(item):
    return RESULTS[item["input"]]
"""


@pytest.mark.distributed
def test_what_a_target_returns_is_checked_as_one_error_per_datapoint(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    pytester.makepyfile(**{"evals/returns": RETURNS})
    kinds = [
        "tokens_str",
        "tokens_negative",
        "cost_nan",
        "cost_negative",
        "bytes",
        "object",
        "none",
    ]
    cases = "".join(f"  - {{id: {k}, input: {k}}}\n" for k in [*kinds, "ok"])
    spec = f"target: returns:answer\nscorers: [none]\ncases:\n{cases}"
    pytester.makefile(".eval.yaml", **{"evals/returns": spec})
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json", *mode)
    result.assert_outcomes(passed=1, errors=len(kinds))
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "INTERNALERROR" not in result.stdout.str()
    assert "NaN" not in (pytester.path / "out.json").read_text()  # strict JSON has no NaN
    report = load_json(pytester.path / "out.json")
    records = {r["datapoint_id"]: r for r in report["runs"][0]["result_items"]}
    assert records["ok"]["status"] == "completed"
    for kind in kinds:
        assert records[kind]["status"] == "error"
        assert records[kind]["error"].startswith("the target returned "), kind


BY_NAME = """
def by_prompt(prompt):
    return prompt

def by_messages(messages):
    return " | ".join(m["role"] + ":" + m["content"] for m in messages)

def by_input_and_item(input, item):
    return input + "/" + item["id"]

def wants_nothing_known(question):
    return question
"""


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        ("by_prompt", "Capital of France?"),
        ("by_messages", "system:Be brief. | user:Capital of France?"),
        ("by_input_and_item", "France/fr"),
    ],
)
def test_a_target_gets_what_it_asks_for_by_name(
    pytester: pytest.Pytester, function: str, expected: str
) -> None:
    pytester.makepyfile(**{"evals/byname": BY_NAME})
    spec = (
        f"target: byname:{function}\nsystem_prompt: Be brief.\n"
        'prompt: "Capital of {{ input }}?"\n'
        f"cases:\n  - {{id: fr, input: France, expected: '{expected}'}}\n"
    )
    if function == "by_input_and_item":
        spec = spec.replace("system_prompt: Be brief.\n", "").replace(
            'prompt: "Capital of {{ input }}?"\n', ""
        )
    pytester.makefile(".eval.yaml", **{"evals/named": spec})
    result = pytester.runpytest("--evals", "evals")
    result.assert_outcomes(passed=1)


def test_a_prompt_the_target_would_never_see_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"evals/app": APP})
    spec = SPEC.format(function="answer") + 'prompt: "Capital of {{ input }}?"\n'
    pytester.makefile(".eval.yaml", **{"evals/geo": spec})
    result = pytester.runpytest("--evals", "evals")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["*geo.eval.yaml: key 'prompt': the target takes neither 'prompt' nor 'messages'*"]
    )


def test_a_target_asking_for_what_no_target_gets_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"evals/byname": BY_NAME.replace("(question)", "(question, prompt)")})
    spec = "target: byname:wants_nothing_known\ncases:\n  - {id: a, input: x, expected: x}\n"
    pytester.makefile(".eval.yaml", **{"evals/odd": spec})
    result = pytester.runpytest("--evals", "evals")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*key 'target': the target asks for ?'question'?, which*"])


@pytest.mark.distributed
def test_what_the_target_says_of_its_answer_is_kept_in_the_record(
    pytester: pytest.Pytester, mode: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCAL_KEY", "sk-test-SECRET-1234567890")
    pytester.makepyprojecttoml(
        '[tool.pytest-evals.connections.local]\nbase_url = "http://127.0.0.1:9/v1"\n'
        'api_key_env = "LOCAL_KEY"\n'
    )
    pytester.makepyfile(
        **{
            "evals/app": "import os\n\ndef answer(item):\n    return {'output': 'Paris', "
            "'metadata': {'route': 'cache-miss', 'trace': ['t1', os.environ['LOCAL_KEY']]}}\n"
        }
    )
    pytester.makefile(
        ".eval.yaml",
        **{"evals/geo": "target: app:answer\ncases:\n  - {id: fr, input: x, expected: Paris}\n"},
    )
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json", *mode)
    result.assert_outcomes(passed=1)
    (record,) = load_json(pytester.path / "out.json")["runs"][0]["result_items"]
    assert record["metadata"] == {"route": "cache-miss", "trace": ["t1", "[REDACTED]"]}
    assert record["flaky"] is False and record["judge_cost"] is None

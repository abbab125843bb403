"""Each datapoint is one chain on the call engine: its samples, then its async scorers, on
the engine's loop and inside the prefetch window. Async scorers, async ``python`` scorers,
scorers that call a model through their ``ModelClient`` port, and async targets held to
their eval's ``concurrency`` and ``timeout_s``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..fakeserver import FakeOpenAI
from .conftest import assert_no_plugin_traceback, load_json

SLEEPY_SCORER = """
import asyncio
import threading
import time

def slow_check():
    async def score(ctx):
        started = time.monotonic()
        await asyncio.sleep(0.2)
        return {
            "score": 1.0,
            "passed": True,
            "details": {
                "thread": threading.current_thread().name,
                "started": started,
                "finished": time.monotonic(),
            },
        }
    return score

def pytest_evals_register_scorers(registry):
    registry.register("slow_check", slow_check)
"""


def _graded(count: int, scorer: str) -> str:
    cases = "".join(f"  - {{id: d{i}, output: out{i}}}\n" for i in range(count))
    return f"scorers: [{scorer}]\ncases:\n{cases}"


def _overlap(spans: list[tuple[float, float]]) -> int:
    """The most spans running at one instant."""
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


def test_async_scorers_run_on_the_engine_loop_across_datapoints(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(SLEEPY_SCORER)
    pytester.makefile(".eval.yaml", **{"evals/slow": _graded(20, "slow_check")})
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json")
    result.assert_outcomes(passed=20)
    records = load_json(pytester.path / "out.json")["runs"][0]["result_items"]
    details = [r["scores"][0]["details"] for r in records]
    assert {d["thread"] for d in details} == {"pytest-evals-calls"}
    spans = [(d["started"], d["finished"]) for d in details]
    # One at a time would take 20 x 0.2 s = 4 s; started ahead, they overlap.
    assert _overlap(spans) >= 10
    assert max(e for _, e in spans) - min(s for s, _ in spans) < 2.0


def test_an_async_scorer_that_raises_is_a_datapoint_error_with_the_users_traceback(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        **{
            "evals/checks": """
async def score(item, output, expected):
    raise LookupError("no verdict for " + output)
"""
        }
    )
    spec = "scorers: [{type: python, function: 'checks:score'}]\ncases:\n  - {id: a, output: x}\n"
    pytester.makefile(".eval.yaml", **{"evals/broken": spec})
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json")
    result.assert_outcomes(failed=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*checks.py*", "*LookupError: no verdict for x*"])
    assert "asyncio" not in result.stdout.str()
    [record] = load_json(pytester.path / "out.json")["runs"][0]["result_items"]
    assert record["status"] == "error"
    assert "LookupError" in record["error"]


def test_async_and_sync_scorers_keep_their_order_and_weights(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SLEEPY_SCORER)
    spec = (
        "scorers:\n"
        "  - {type: exact_match, weight: 3}\n"
        "  - slow_check\n"
        '  - {type: python, source: "async def score(item, output, expected):\\n'
        '      return 0.0\\n", name: zero}\n'
        "threshold: 0.7\n"
        "cases:\n  - {id: a, output: yes, expected: yes}\n"
    )
    pytester.makefile(".eval.yaml", **{"evals/mixed": spec})
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json")
    result.assert_outcomes(passed=1)
    [record] = load_json(pytester.path / "out.json")["runs"][0]["result_items"]
    assert [s["name"] for s in record["scores"]] == ["exact_match", "slow_check", "zero"]
    assert record["score"] == pytest.approx(4 / 5)


TARGET = """
import asyncio

state = {"running": 0}

async def answer(item):
    state["running"] += 1
    seen = state["running"]
    await asyncio.sleep(float(item.get("sleep", 0.05)))
    state["running"] -= 1
    return str(seen)
"""


def test_an_async_target_is_held_to_the_evals_concurrency(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"evals/app": TARGET})
    cases = "".join(f"  - {{id: d{i}, input: x}}\n" for i in range(10))
    spec = f"target: app:answer\nconcurrency: 2\nscorers: [none]\ncases:\n{cases}"
    pytester.makefile(".eval.yaml", **{"evals/bounded": spec})
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json")
    result.assert_outcomes(passed=10)
    records = load_json(pytester.path / "out.json")["runs"][0]["result_items"]
    # Each output is how many targets were running when it started.
    assert max(int(r["output"]) for r in records) == 2


def test_an_async_target_past_its_timeout_is_an_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"evals/app": TARGET})
    spec = (
        "target: app:answer\ntimeout_s: 0.1\nscorers: [none]\ncases:\n"
        "  - {id: quick, input: x, sleep: 0.01}\n  - {id: slow, input: x, sleep: 5}\n"
    )
    pytester.makefile(".eval.yaml", **{"evals/slow": spec})
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*the target timed out after 0.1 s*"])
    records = load_json(pytester.path / "out.json")["runs"][0]["result_items"]
    assert [r["status"] for r in records] == ["completed", "error"]


JUDGE = """
def echo_judge(*, model=None):
    async def score(ctx):
        answer = await ctx.models.chat(model, [{"role": "user", "content": "judge " + ctx.output}])
        return {"score": 1.0 if answer.output == "judge " + ctx.output else 0.0,
                "reason": answer.output}
    return score

def pytest_evals_register_scorers(registry):
    registry.register("echo_judge", echo_judge, model_options=("model",))
"""


@pytest.fixture
def echo_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(latency_s=0.01) as server:
        yield server


def _judge_project(pytester: pytest.Pytester, server: FakeOpenAI, model: str) -> None:
    pytester.makepyprojecttoml(
        f"""
[tool.pytest-evals.connections.judge]
provider = "openai"
base_url = "{server.base_url}"
api_key_env = "JUDGE_KEY"
"""
    )
    pytester.makeconftest(JUDGE)
    spec = (
        f"scorers: [{{type: echo_judge, model: {model}}}]\n"
        "cases:\n  - {id: a, output: first}\n  - {id: b, output: second}\n"
    )
    pytester.makefile(".eval.yaml", **{"evals/judged": spec})


@pytest.mark.distributed
def test_a_scorer_calls_a_model_through_the_engine_and_its_cache(
    pytester: pytest.Pytester,
    echo_server: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
    mode: list[str],
) -> None:
    monkeypatch.setenv("JUDGE_KEY", "sk-judge-0123456789abcdef")
    _judge_project(pytester, echo_server, "judge/grader")
    first = pytester.runpytest("--evals", "evals", "--evals-json", "out.json", *mode)
    first.assert_outcomes(passed=2)
    assert echo_server.request_count == 2
    assert {r["body"]["model"] for r in echo_server.requests} == {"grader"}
    records = load_json(pytester.path / "out.json")["runs"][0]["result_items"]
    reasons = {r["datapoint_id"]: r["scores"][0]["reason"] for r in records}
    assert reasons == {"a": "judge first", "b": "judge second"}
    second = pytester.runpytest("--evals", "evals", *mode)
    second.assert_outcomes(passed=2)
    assert echo_server.request_count == 2  # served from the response cache


def test_a_scorers_model_is_resolved_at_collection(
    pytester: pytest.Pytester, echo_server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUDGE_KEY", "sk-judge-0123456789abcdef")
    _judge_project(pytester, echo_server, "jugde/grader")
    result = pytester.runpytest("--evals", "evals")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            "*judged.eval.yaml:1: key 'scorers?0?.model': unknown connection 'jugde';"
            " did you mean 'judge'?*"
        ]
    )
    assert_no_plugin_traceback(result.stdout.str())
    assert echo_server.request_count == 0


def test_a_scorers_model_without_its_key_is_a_collection_error(
    pytester: pytest.Pytester, echo_server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JUDGE_KEY", raising=False)
    _judge_project(pytester, echo_server, "judge/grader")
    result = pytester.runpytest("--evals", "evals")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*connection 'judge' needs an API key*JUDGE_KEY*"])
    assert echo_server.request_count == 0

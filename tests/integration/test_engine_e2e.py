"""The call engine through the plugin: calls in flight ahead of the reporting item, limits,
rate limits across xdist workers, cancellation (-x, SIGINT, SIGTERM) and the budget stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from ..fakeserver import FakeOpenAI
from .conftest import load_json

N = 24
SPEC = """
model: {connection: local, name: m, max_tokens: 8}
pass_rate: 0.5
cases:
""" + "".join(f"  - {{id: q{i}, input: question {i}, expected: question {i}}}\n" for i in range(N))


def pyproject(base_url: str, extra: str = "") -> str:
    return f"""
[tool.pytest-evals.connections.local]
base_url = "{base_url}"
max_concurrency = 4
timeout_s = 10
retries = 0
prices = {{ input_per_mtok = 1000.0, output_per_mtok = 1000.0 }}
{extra}
"""


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(latency_s=0.2) as running:
        yield running


@pytest.fixture
def project(pytester: pytest.Pytester, server: FakeOpenAI) -> pytest.Pytester:
    pytester.makepyprojecttoml(pyproject(server.base_url))
    pytester.makefile(".eval.yaml", **{"evals/echo": SPEC})
    return pytester


@pytest.mark.distributed
def test_calls_in_flight_reach_the_connection_limit(
    project: pytest.Pytester, server: FakeOpenAI, mode: list[str]
) -> None:
    started = time.monotonic()
    result = project.runpytest("--evals", "evals", "--evals-cache", "off", *mode)
    elapsed = time.monotonic() - started
    result.assert_outcomes(passed=N)
    # Per process: 4 in flight serially; each of 2 workers keeps its own 4 under -n 2.
    # Under -n 2 each worker's window is its own queue, which xdist fills a few items at a
    # time for a run this small (docs/options.md, "Concurrency").
    assert server.max_in_flight == 4 if not mode else server.max_in_flight >= 4
    if not mode:
        assert elapsed < N * 0.2 / 4 + 3  # not one call at a time (which would take 4.8 s)


def test_results_match_a_run_with_one_call_at_a_time(
    project: pytest.Pytester, server: FakeOpenAI
) -> None:
    server.latency_s = 0.0
    project.runpytest("--evals", "evals", "--evals-cache", "off", "--evals-json", "a.json")
    project.runpytest(
        "--evals", "evals", "--evals-cache", "off", "--evals-json", "b.json",
        "--evals-concurrency", "1",
    )  # fmt: skip

    def outputs(name: str) -> dict[str, object]:
        run = load_json(project.path / name)["runs"][0]
        return {r["datapoint_id"]: (r["output"], r["passed"]) for r in run["result_items"]}

    assert outputs("a.json") == outputs("b.json")
    assert len(outputs("a.json")) == N


def test_eval_concurrency_bounds_one_eval(project: pytest.Pytester, server: FakeOpenAI) -> None:
    project.makefile(
        ".eval.yaml", **{"evals/echo": SPEC.replace("pass_rate", "concurrency: 2\npass_rate")}
    )
    project.runpytest("--evals", "evals", "--evals-cache", "off").assert_outcomes(passed=N)
    assert server.max_in_flight == 2


def test_requests_per_minute_hold_across_xdist_workers(
    pytester: pytest.Pytester,
) -> None:
    with FakeOpenAI() as server:
        pytester.makepyprojecttoml(pyproject(server.base_url, "requests_per_minute = 600"))
        pytester.makefile(".eval.yaml", **{"evals/echo": SPEC})
        result = pytester.runpytest("--evals", "evals", "--evals-cache", "off", "-n", "2")
        result.assert_outcomes(passed=N)
        times = sorted(r["at"] for r in server.requests)
    # 600 a minute is one every 100 ms, whichever worker sends it: any 11 consecutive
    # requests span about a second (less when a send lags its slot, as on a loaded
    # machine, where a process descheduled for a few hundred ms sends its lagging
    # requests together; without the limit they would span a few milliseconds).
    assert len(times) == N
    spans = [times[i + 10] - times[i] for i in range(len(times) - 10)]
    assert min(spans) >= 0.5, spans
    assert times[-1] - times[0] >= (N - 1) * 0.1 * 0.9


def test_x_stops_and_cancels_calls_ahead(project: pytest.Pytester, server: FakeOpenAI) -> None:
    spec = SPEC.replace("expected: question 2}", "expected: nope}")
    project.makefile(".eval.yaml", **{"evals/echo": spec})
    started = time.monotonic()
    result = project.runpytest(
        "--evals", "evals", "--evals-cache", "off", "-x", "--evals-json", "out.json"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert time.monotonic() - started < 4
    run = load_json(project.path / "out.json")["runs"][0]
    assert run["status"] == "cancelled" and run["progress"] == 3
    time.sleep(0.5)
    assert server.request_count < N  # the window ahead was cancelled, not drained


@pytest.mark.distributed
def test_budget_stop(project: pytest.Pytester, server: FakeOpenAI, mode: list[str]) -> None:
    # 1000 USD per million tokens, ~5 tokens a call: each call costs about $0.005.
    later = "cases:\n" + "".join(f"  - {{id: d{i}, output: x, expected: x}}\n" for i in range(N))
    project.makefile(".eval.yaml", **{"evals/later": later})
    result = project.runpytest(
        "--evals", "evals", "--evals-cache", "off", "--evals-max-cost", "0.02",
        "--evals-json", "out.json", *mode,
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*Interrupted: --evals-max-cost 0.02 reached*"])
    runs = {r["name"]: r for r in load_json(project.path / "out.json")["runs"]}
    run = runs["echo"]
    assert run["status"] == "cancelled"
    completed = [r for r in run["result_items"] if r["status"] == "completed"]
    assert completed and run["progress"] < N
    assert server.request_count < N
    # The eval the stop came before is in the report too, not missing.
    assert runs["later"]["status"] == "cancelled" and runs["later"]["progress"] < N
    if not mode:
        assert runs["later"]["progress"] == 0


def _start(project: pytest.Pytester) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "--evals", "evals", "--evals-cache", "off",
         "--evals-json", "out.json", "-p", "no:cacheprovider"],
        cwd=project.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_run_leaves_a_cancelled_report(
    project: pytest.Pytester, server: FakeOpenAI, signum: int
) -> None:
    server.latency_s = 0.5
    project.makefile(
        ".eval.yaml", **{"evals/later": "cases:\n  - {id: a, output: x, expected: x}\n"}
    )
    process = _start(project)
    deadline = time.monotonic() + 20
    while server.request_count < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    process.send_signal(signum)
    stopped = time.monotonic()
    output, _ = process.communicate(timeout=20)
    assert time.monotonic() - stopped < 5, output
    assert process.returncode == pytest.ExitCode.INTERRUPTED, output
    assert "Traceback" not in output.split("KeyboardInterrupt")[0]
    runs = {r["name"]: r for r in load_json(project.path / "out.json")["runs"]}
    run = runs["echo"]
    assert run["status"] == "cancelled"
    assert 0 < run["progress"] < N
    assert all(r["status"] == "completed" for r in run["result_items"])
    # The eval the interrupt came before is there, with nothing done.
    assert (runs["later"]["status"], runs["later"]["progress"]) == ("cancelled", 0)


def test_a_quarter_of_429_and_500_and_malformed_bodies_are_absorbed(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    def outputs(fault_rates: dict[str, float]) -> dict[str, object]:
        # Seed 14: 4 x 429, 4 x 500 and 3 malformed bodies among the first requests.
        with FakeOpenAI(fault_rates=fault_rates, seed=14, retry_after_s=0.02) as server:
            pytester.makepyprojecttoml(
                pyproject(server.base_url).replace("retries = 0", "retries = 8")
            )
            pytester.makefile(".eval.yaml", **{"evals/echo": SPEC})
            result = pytester.runpytest(
                "--evals", "evals", "--evals-cache", "off", "--evals-json", "out.json", *mode
            )
            result.assert_outcomes(passed=N)
            served = list(server.faults_served)
        run = load_json(pytester.path / "out.json")["runs"][0]
        if fault_rates:
            assert {kind: served.count(kind) for kind in fault_rates} == {
                "429": 4,
                "500": 4,
                "malformed": 3,
            }
        return {
            r["datapoint_id"]: (r["output"], r["passed"], r["tokens"]) for r in run["result_items"]
        }

    clean = outputs({})
    faulty = outputs({"429": 0.125, "500": 0.125, "malformed": 0.05})
    assert faulty == clean


@pytest.mark.distributed
def test_a_budget_over_a_model_without_prices_is_refused_before_any_call(
    pytester: pytest.Pytester, server: FakeOpenAI, mode: list[str]
) -> None:
    pytester.makepyprojecttoml(pyproject(server.base_url).replace("prices = ", "# prices = "))
    pytester.makefile(".eval.yaml", **{"evals/echo": SPEC})
    result = pytester.runpytest("--evals", "evals", "--evals-max-cost", "1", *mode)
    assert result.ret != pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["*echo.eval.yaml: --evals-max-cost 1 can't be held: no prices are known for local/m*"]
    )
    assert server.request_count == 0


def test_a_budget_stop_with_every_call_in_flight_cancels_and_exits_2(
    pytester: pytest.Pytester, server: FakeOpenAI
) -> None:
    # Twelve datapoints, all started at once (six calls in flight, six waiting for a slot):
    # the budget is reached by the first answers, and the calls still in flight or waiting
    # are not the datapoints' errors but the stop's.
    pytester.makepyprojecttoml(
        pyproject(server.base_url).replace("max_concurrency = 4", "max_concurrency = 6")
    )
    few = (
        SPEC.split("cases:")[0]
        + "cases:\n"
        + "".join(
            f"  - {{id: q{i}, input: question {i}, expected: question {i}}}\n" for i in range(12)
        )
    )
    pytester.makefile(".eval.yaml", **{"evals/echo": few})
    result = pytester.runpytest(
        "--evals", "evals", "--evals-cache", "off", "--evals-max-cost", "0.004",
        "--evals-json", "out.json",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    result.stdout.fnmatch_lines(["*Interrupted: --evals-max-cost 0.004 reached*"])
    run = load_json(pytester.path / "out.json")["runs"][0]
    assert run["status"] == "cancelled"
    assert all(r["status"] == "completed" for r in run["result_items"])


def test_a_budget_stop_between_repeats_keeps_the_answered_ones(
    pytester: pytest.Pytester, server: FakeOpenAI
) -> None:
    # Two of four repeats in flight at once; their answers ($0.002 each: one token in, one
    # out) reach the budget, and the repeats not sent by then are refused. Those answered
    # were paid for: the datapoint is an unscored error that keeps them, not a skip that
    # loses their cost.
    pytester.makepyprojecttoml(
        pyproject(server.base_url).replace("max_concurrency = 4", "max_concurrency = 2")
    )
    spec = SPEC.split("cases:")[0] + "repeat: 4\ncases:\n  - {id: q0, input: q, expected: q}\n"
    pytester.makefile(".eval.yaml", **{"evals/echo": spec})
    result = pytester.runpytest(
        "--evals", "evals", "--evals-cache", "off", "--evals-max-cost", "0.003",
        "--evals-json", "out.json",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    sent = server.request_count
    assert sent in (2, 3)  # the third goes out if a slot frees before the budget is reached
    [run] = load_json(pytester.path / "out.json")["runs"]
    [record] = run["result_items"]
    assert run["status"] == "cancelled"
    assert record["status"] == "error"
    assert record["error"].startswith("not scored: --evals-max-cost 0.003 reached")
    assert record["stopped"] is True
    assert record["tokens"] == {"prompt": sent, "completion": sent, "total": 2 * sent}
    assert record["cost"] == pytest.approx(0.002 * sent)


@pytest.mark.distributed
def test_a_budget_stop_still_stops_when_an_item_started_ahead_is_skipped(
    project: pytest.Pytester, server: FakeOpenAI, mode: list[str]
) -> None:
    # An item the window started but a conftest skips never runs: the stop must not wait
    # for it, or the session would go on to the end and exit 0.
    project.makeconftest(
        """
        import pytest

        def pytest_collection_modifyitems(items):
            for item in items:
                if item.name.endswith("[q3]"):
                    item.add_marker(pytest.mark.skip(reason="skipped by the conftest"))
        """
    )
    result = project.runpytest(
        "--evals", "evals", "--evals-cache", "off", "--evals-max-cost", "0.02",
        "--evals-json", "out.json", *mode,
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    result.stdout.fnmatch_lines(["*Interrupted: --evals-max-cost 0.02 reached*"])
    assert load_json(project.path / "out.json")["runs"][0]["status"] == "cancelled"

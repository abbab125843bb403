"""CPU per datapoint of pytest-evals grading given outputs, against plain pytest running the
same number of trivial parametrized tests: the overhead our plugin adds per test item.

    python -m benchmarks.grade_only            # 5,000 datapoints, best of 3
    python -m benchmarks.grade_only -n 20000 --rounds 5
    python -m benchmarks.grade_only --fail-every 0   # every datapoint passes
    python -m benchmarks.grade_only --against ../old/venv/bin/python   # before/after

Prints both CPU figures per item and their ratio (target: at most 1.5x). ``--against
PYTHON`` also runs the evals with another interpreter (a virtualenv with another checkout
installed), round by round in turn with this one, and prints this / against.
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

CASES = [(f"q{{i}}", f"a{{i}}", "wrong" if {fail_every} and i % {fail_every} == 0 else f"a{{i}}")
         for i in range({n})]


# The same datapoints fail as in the eval (every fifth), so both sides report as much.
@pytest.mark.parametrize("case_id,expected,output", CASES)
def test_case(case_id, expected, output):
    assert output.strip() == expected
"""


def write_eval_project(folder: Path, count: int, fail_every: int) -> None:
    (folder / "evals").mkdir(parents=True)
    (folder / "evals" / "graded.eval.yaml").write_text(SPEC, encoding="utf-8")
    with (folder / "evals" / "data.jsonl").open("w", encoding="utf-8") as out:
        for i in range(count):
            output = "wrong" if fail_every and i % fail_every == 0 else f"a{i}"
            row = {"id": f"q{i}", "input": f"question {i}", "expected": f"a{i}", "output": output}
            out.write(json.dumps(row) + "\n")


def write_plain_project(folder: Path, count: int, fail_every: int) -> None:
    folder.mkdir(parents=True)
    source = PLAIN_TESTS.format(n=count, fail_every=fail_every)
    (folder / "test_plain.py").write_text(source, encoding="utf-8")


def child_cpu_seconds(command: list[str], cwd: Path) -> float:
    """User + system CPU of one child process run to completion."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        command,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--datapoints", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--fail-every",
        type=int,
        default=5,
        help="every Nth datapoint fails, on both sides (0: all pass; default 5)",
    )
    parser.add_argument(
        "--against", type=Path, metavar="PYTHON",
        help="another interpreter whose pytest-evals to run in turn, and compare",
    )  # fmt: skip
    args = parser.parse_args()
    # pytest's cache stays on for both, as in a user's session (--lf's state, stored results).
    common = [sys.executable, "-m", "pytest", "-q", "--no-header"]
    with tempfile.TemporaryDirectory() as tmp:
        evals_dir, plain_dir = Path(tmp) / "evals_project", Path(tmp) / "plain_project"
        write_eval_project(evals_dir, args.datapoints, args.fail_every)
        write_plain_project(plain_dir, args.datapoints, args.fail_every)
        this, other = [], []
        for _ in range(args.rounds):
            this.append(child_cpu_seconds([*common, "--evals", "evals"], evals_dir))
            if args.against is not None:
                command = [str(args.against), *common[1:], "--evals", "evals"]
                other.append(child_cpu_seconds(command, evals_dir))
        evals_cpu = min(this)
        plain_cpu = min(child_cpu_seconds(common, plain_dir) for _ in range(args.rounds))
    n = args.datapoints
    failing = f"every {args.fail_every}th fails" if args.fail_every else "all pass"
    print(f"datapoints: {n}, {failing} (best of {args.rounds} rounds, CPU = user + system)")
    print(f"pytest-evals grade-only: {evals_cpu:.2f} s CPU, {evals_cpu / n * 1e6:.0f} us/datapoint")
    print(f"plain pytest parametrized: {plain_cpu:.2f} s CPU, {plain_cpu / n * 1e6:.0f} us/test")
    print(f"ratio: {evals_cpu / plain_cpu:.2f}x (target <= 1.5x)")
    if other:
        print(f"against {args.against}: {min(other):.2f} s CPU")
        print(f"this / against: {evals_cpu / min(other):.2f}x (1.00x: no change)")


if __name__ == "__main__":
    main()

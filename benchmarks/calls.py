"""Model-backed evals against a fake OpenAI-compatible server with fixed latency: wall time,
CPU and peak RSS of ``pytest --evals``, and the ratio to the ideal.

    python -m benchmarks.calls                        # N=1000, 100 ms, concurrency 32
    python -m benchmarks.calls --xdist 2              # the same under pytest-xdist -n 2
    python -m benchmarks.calls --grade-only 100000    # peak RSS of 100,000 given outputs

ideal = start-up + N x latency / concurrency, where start-up is the wall time of the same
command with ``--collect-only`` (interpreter, plugins, collection of N datapoints).

The server is ``../shared/bench/fake_openai.py`` when present (``--server`` names another
copy); otherwise the test suite's ``tests/fakeserver.py``, which is slower.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = ROOT.parent / "shared" / "bench" / "fake_openai.py"

SPEC = """\
name: bench
model: {connection: bench, name: fake, temperature: 0, max_tokens: 16}
prompt: "{{ item.question }}"
pass_rate: 0.0
dataset: data.jsonl
"""
GRADED_SPEC = """\
name: graded
pass_rate: 0.0
dataset: data.jsonl
"""
PYPROJECT = """\
[tool.pytest-evals.connections.bench]
provider = "openai"
base_url = "{base_url}"
max_concurrency = {concurrency}
retries = 2
timeout_s = 30
"""


def write_project(folder: Path, count: int, *, graded: bool) -> Path:
    evals = folder / "evals"
    evals.mkdir(parents=True)
    answers = folder / "answers.jsonl"
    with (evals / "data.jsonl").open("w") as data, answers.open("w") as table:
        for i in range(count):
            question, expected = f"What is the capital of country-{i}?", f"city-{i}"
            row = {"id": f"q{i:06d}", "question": question, "expected": expected}
            if graded:
                # Every output right: pytest's own failure summary is quadratic in the number
                # of reports (each failure scans them all), which would time pytest, not us.
                row["output"] = expected
            data.write(json.dumps(row) + "\n")
            table.write(json.dumps({"prompt": question, "answer": expected}) + "\n")
    (evals / "bench.eval.yaml").write_text(GRADED_SPEC if graded else SPEC)
    return answers


def start_server(script: Path, answers: Path, latency_ms: float, folder: Path) -> tuple:
    port_file = folder / "port"
    if script.name == "fake_openai.py":
        command = [
            sys.executable, str(script), "--port", "0", "--port-file", str(port_file),
            "--answers", str(answers), "--latency-ms", str(latency_ms),
        ]  # fmt: skip
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline:
                raise RuntimeError("the fake server did not start")
            time.sleep(0.05)
        return process, f"http://127.0.0.1:{port_file.read_text().strip()}/v1"
    port = 18000 + os.getpid() % 1000
    command = [
        sys.executable, str(script), "--port", str(port), "--answers", str(answers),
        "--latency", str(latency_ms / 1000),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    time.sleep(1.0)
    return process, f"http://127.0.0.1:{port}/v1"


def run(command: list[str], cwd: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (KiB) of one child run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0, 1):
        raise RuntimeError(f"pytest exited {result.returncode}:\n{result.stdout[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--datapoints", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--xdist", type=int, default=0, help="run with -n N")
    parser.add_argument("--grade-only", type=int, default=0, metavar="N")
    parser.add_argument("--server", type=Path, default=DEFAULT_SERVER)
    args = parser.parse_args()
    graded = args.grade_only > 0
    count = args.grade_only if graded else args.datapoints
    script = args.server if args.server.exists() else ROOT / "tests" / "fakeserver.py"
    pytest_command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    pytest_command += ["--no-header", "--evals", "evals", "--evals-cache", "off"]
    if args.xdist:
        pytest_command += ["-n", str(args.xdist)]
    folder = Path(tempfile.mkdtemp(prefix="evals-bench-"))
    server = None
    try:
        answers = write_project(folder, count, graded=graded)
        base_url = "http://127.0.0.1:9/v1"
        if not graded:
            server, base_url = start_server(script, answers, args.latency_ms, folder)
        (folder / "pyproject.toml").write_text(
            PYPROJECT.format(base_url=base_url, concurrency=args.concurrency)
        )
        startup, _, _ = run([*pytest_command, "--collect-only"], folder)
        wall, cpu, rss_kib = run(pytest_command, folder)
    finally:
        if server is not None:
            server.terminate()
            server.wait(5)
        shutil.rmtree(folder, ignore_errors=True)
    mode = f"-n {args.xdist}" if args.xdist else "no xdist"
    print(f"server: {script}")
    if graded:
        print(f"grade-only datapoints: {count} ({mode})")
    else:
        print(
            f"datapoints: {count}, latency {args.latency_ms:g} ms, "
            f"concurrency {args.concurrency} ({mode})"
        )
    print(f"wall: {wall:.2f} s   CPU: {cpu:.2f} s   peak RSS: {rss_kib / 1024:.0f} MiB")
    if not graded:
        ideal = startup + count * args.latency_ms / 1000 / args.concurrency
        print(f"start-up (--collect-only): {startup:.2f} s   ideal: {ideal:.2f} s")
        print(f"ratio to ideal: {wall / ideal:.2f}x (target <= 1.3x)")


if __name__ == "__main__":
    main()

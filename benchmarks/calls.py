"""Model-backed evals against a fake OpenAI-compatible server with fixed latency: wall time,
CPU and peak RSS of ``pytest --evals``, and the ratio to the ideal.

    python -m benchmarks.calls                        # N=1000, 100 ms, concurrency 32
    python -m benchmarks.calls --xdist 2              # and under pytest-xdist -n 2: compared
    python -m benchmarks.calls --grade-only 100000    # peak RSS of 100,000 given outputs
    python -m benchmarks.calls --judge                # and an llm_judge call per datapoint
    python -m benchmarks.calls --against ../old/venv/bin/python   # before/after a change

Each command runs ``--repeat`` times (3) and shows medians; with ``--xdist`` the serial and
the xdist runs alternate, so both see the same machine. ``--against PYTHON`` names a second
interpreter (a virtualenv with another checkout installed, say today's main): its runs
alternate with this one's, and the ratio this / against is printed.

ideal = start-up + N x latency / concurrency, where start-up is the wall time of the same
command with ``--collect-only`` (interpreter, plugins, collection of N datapoints). With
``--judge`` each datapoint also has a judge call at the same latency on the same connection:
ideal = start-up + N x (model + judge latency) / concurrency, reached only when judges
overlap with samples.

The server is ``../shared/bench/fake_openai.py`` when present (``--server`` names another
copy); otherwise the test suite's ``tests/fakeserver.py``, which is slower.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
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
JUDGE_SCORERS = """\
scorers:
  - exact_match
  - type: llm_judge
    model: {connection: bench, name: judge}
    prompt: "{{ sample.output_text }}"
    choices: [A, B]
    choice_scores: {A: 1, B: 0}
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


def write_project(folder: Path, count: int, *, graded: bool, judge: bool = False) -> Path:
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
            if judge:
                # The judge is shown the model's answer and gives its verdict.
                verdict = json.dumps({"reasoning": "it names the city", "choice": "A"})
                table.write(json.dumps({"prompt": expected, "answer": verdict}) + "\n")
    spec = GRADED_SPEC if graded else SPEC
    (evals / "bench.eval.yaml").write_text(spec + (JUDGE_SCORERS if judge else ""))
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
    """Wall seconds, CPU seconds (user + system) and peak RSS (KiB) of one child run, its
    xdist workers included."""
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
        # wait4 gives this child's own usage (with the workers it waited for), where
        # RUSAGE_CHILDREN would add up every run so far.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in (0, 1):
            output.seek(0)
            tail = output.read()[-3000:].decode(errors="replace")
            raise RuntimeError(f"pytest exited {process.returncode}:\n{tail}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def median_wall(runs: list[tuple[float, float, int]]) -> float:
    return statistics.median(w for w, _, _ in runs)


def describe(label: str, runs: list[tuple[float, float, int]]) -> str:
    walls = sorted(w for w, _, _ in runs)
    cpu = statistics.median(c for _, c, _ in runs)
    spread = f" (min {walls[0]:.2f}, max {walls[-1]:.2f})" if len(walls) > 1 else ""
    return (
        f"{label:<10} wall {median_wall(runs):.2f} s{spread}   CPU {cpu:.2f} s   "
        f"peak RSS {max(r for _, _, r in runs) / 1024:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--datapoints", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--xdist", type=int, default=0, metavar="N",
        help="also run with -n N, alternating with the serial runs, and compare",
    )  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; medians shown")
    parser.add_argument("--grade-only", type=int, default=0, metavar="N")
    parser.add_argument(
        "--judge", action="store_true",
        help="an llm_judge call per datapoint besides the model's, at the same latency",
    )  # fmt: skip
    parser.add_argument("--server", type=Path, default=DEFAULT_SERVER)
    parser.add_argument(
        "--against", type=Path, metavar="PYTHON",
        help="another interpreter whose pytest-evals to run alternately, and compare",
    )  # fmt: skip
    args = parser.parse_args()
    graded = args.grade_only > 0
    count = args.grade_only if graded else args.datapoints
    repeat = 1 if graded else max(args.repeat, 1)
    script = args.server if args.server.exists() else ROOT / "tests" / "fakeserver.py"
    # pytest's cache stays on, as in a user's session: the plugin stores results there.
    pytest_command = [sys.executable, "-m", "pytest", "-q"]
    pytest_command += ["--no-header", "--evals", "evals", "--evals-cache", "off"]
    modes = {"no xdist": pytest_command}
    if args.xdist:
        modes[f"-n {args.xdist}"] = [*pytest_command, "-n", str(args.xdist)]
    if args.against is not None:
        modes["against"] = [str(args.against), *pytest_command[1:]]
    folder = Path(tempfile.mkdtemp(prefix="evals-bench-"))
    server = None
    results: dict[str, list[tuple[float, float, int]]] = {mode: [] for mode in modes}
    try:
        answers = write_project(folder, count, graded=graded, judge=args.judge)
        base_url = "http://127.0.0.1:9/v1"
        if not graded:
            server, base_url = start_server(script, answers, args.latency_ms, folder)
        (folder / "pyproject.toml").write_text(
            PYPROJECT.format(base_url=base_url, concurrency=args.concurrency)
        )
        startup, _, _ = run([*pytest_command, "--collect-only"], folder)
        for _ in range(repeat):
            for mode, command in modes.items():
                results[mode].append(run(command, folder))
    finally:
        if server is not None:
            server.terminate()
            server.wait(5)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"server: {script}")
    if graded:
        print(f"grade-only datapoints: {count}")
        for mode in modes:
            print(describe(mode, results[mode]))
        if args.against is not None:
            ratio = max(r for *_, r in results["no xdist"]) / max(r for *_, r in results["against"])
            print(f"this / against: peak RSS {ratio:.2f}x (1.00x: no change)")
        return
    print(
        f"datapoints: {count}, latency {args.latency_ms:g} ms, concurrency {args.concurrency} "
        f"per process, {repeat} run(s) of each"
    )
    calls_per_datapoint = 2 if args.judge else 1
    ideal = startup + count * calls_per_datapoint * args.latency_ms / 1000 / args.concurrency
    print(f"start-up (--collect-only): {startup:.2f} s   ideal: {ideal:.2f} s")
    serial = median_wall(results["no xdist"])
    for mode in modes:
        print(describe(mode, results[mode]))
    target = 1.3 if args.judge else 1.2
    print(f"ratio to ideal (no xdist): {serial / ideal:.2f}x (target <= {target}x)")
    if args.judge:
        print("(a judge call per datapoint: the ideal counts both calls at the latency)")
    if args.xdist:
        xdist = median_wall(results[f"-n {args.xdist}"])
        print(f"-n {args.xdist} / no xdist: {xdist / serial:.2f}x (target <= 1.0x: no slower)")
    if args.against is not None:
        other = median_wall(results["against"])
        print(f"against {args.against}: ratio to ideal {other / ideal:.2f}x")
        print(f"this / against (no xdist): {serial / other:.2f}x (1.00x: no change)")


if __name__ == "__main__":
    main()

from __future__ import annotations

from typing import Any

from pytest_evals.reporting import summary_lines

from .helpers import errored, judged, make_run, record

RUN_ID = "capitals[local/gpt-4o-mini]"


def capitals(cached: int = 3) -> list[dict[str, Any]]:
    return (
        [
            record(f"p{i}", latency_ms=float(100 + i), cost=0.001, cached=i < cached)
            for i in range(18)
        ]
        + [record(f"f{i}", passed=False) for i in range(5)]
        + [errored("tokyo", "ProviderError: 429 Too Many Requests\nretried 4 times"), errored("x")]
    )


def lines_for(records: list[dict[str, Any]]) -> list[str]:
    run = make_run(records, pass_rate=0.9)
    summaries, verdicts = judged([run])
    return summary_lines([run], summaries, verdicts, width=80)


def test_run_header_numbers_and_failed_gate_line() -> None:
    lines = lines_for(capitals())
    text = "\n".join(lines)
    assert lines[0].startswith(RUN_ID)
    assert lines[0].endswith("gate FAIL 72.0% < 90.0%")
    for cell in (
        "datapoints",
        "passed",
        "failed",
        "errored",
        "pass rate",
        "mean score",
        "latency p50",
        "latency p95",
        "tokens",
        "cost",
        "cache hits",
    ):
        assert cell in text, cell
    # Spend paid now, apart from the recorded cost of the 3 responses the cache replayed.
    assert "72.0%" in text and "$0.0200" in text and "cache hits 3 ($0.0030)" in text
    assert (
        "GATE FAILED capitals[local/gpt-4o-mini]: pass rate 72.0% < required 90.0% "
        "(18/25 passed, 5 failed, 2 errored)"
    ) in lines
    assert not any("tolerated" in line for line in lines)


def test_every_line_fits_the_width_except_the_gate_verdict() -> None:
    for line in lines_for(capitals()):
        if not line.startswith("GATE"):
            assert len(line) <= 80, line


def test_cells_align_in_columns() -> None:
    lines = lines_for(capitals(cached=0))[1:4]
    assert [line.split()[0] for line in lines] == ["datapoints", "pass", "latency"]
    # the second cell starts at the same column on every row
    starts = {
        line.index(label)
        for line, label in zip(lines, ("passed", "mean score", "latency p95"), strict=True)
    }
    assert len(starts) == 1


def test_narrow_terminal_wraps_cells_but_keeps_them() -> None:
    run = make_run(capitals(), pass_rate=0.9)
    summaries, verdicts = judged([run])
    narrow = summary_lines([run], summaries, verdicts, width=40)
    wide = summary_lines([run], summaries, verdicts, width=200)
    assert len(narrow) > len(wide)
    assert "cache hits" in "\n".join(narrow)


def test_scorer_means_under_the_run() -> None:
    lines = lines_for(capitals())
    (scorer,) = [line for line in lines if "exact_match" in line and "GATE" not in line]
    assert scorer.startswith("  scorers  exact_match")
    assert "mean 0.783" in scorer and "18/23 passed" in scorer


def test_errored_datapoints_listed_apart_with_first_line() -> None:
    lines = lines_for(capitals())
    at = lines.index(f"errored datapoints in {RUN_ID} (2):")
    assert lines[at + 1] == "  tokyo: ProviderError: 429 Too Many Requests"
    assert lines[at + 2] == "  x: ProviderError: 500 boom"


def test_errored_datapoints_capped_per_run() -> None:
    lines = lines_for([errored(f"e{i}") for i in range(13)] + [record("ok")])
    assert "  … and 3 more" in lines
    assert sum(1 for line in lines if line.startswith("  e")) == 10


def test_long_error_lines_are_cut_to_the_width() -> None:
    lines = lines_for([errored("long", "E" * 300), record("ok")])
    (line,) = [line for line in lines if line.startswith("  long:")]
    assert len(line) == 80 and line.endswith("…")


def test_holding_gate_with_failures_says_tolerated() -> None:
    records = [record(f"p{i}") for i in range(9)] + [record("f", passed=False)]
    lines = lines_for(records)
    assert lines[0].endswith("gate PASS ≥ 90.0%")
    assert lines[-1] == "1 datapoint failure tolerated: the eval gate holds"
    assert not any(line.startswith("GATE FAILED") for line in lines)


def test_unknown_cost_and_latency_read_n_a() -> None:
    lines = lines_for([record("a", cost=None, latency_ms=None, tokens=(None, None))])
    words = " ".join(" ".join(lines).split())
    assert "cost n/a" in words
    assert "latency p50 n/a latency p95 n/a tokens n/a" in words


def test_partial_cost_is_a_lower_bound() -> None:
    lines = lines_for([record("a", cost=0.5), record("b", cost=None)])
    assert "≥$0.5000" in "\n".join(lines)


def test_cancelled_run_says_how_far_it_got() -> None:
    run = make_run([record("a"), record("b")], total=5, interrupted=True)
    summaries, verdicts = judged([run])
    lines = summary_lines([run], summaries, verdicts)
    assert lines[0].startswith("capitals[local/gpt-4o-mini]  (cancelled at 2/5)")
    assert lines[1].split()[:2] == ["datapoints", "2/5"]


def test_several_runs_each_get_a_block_in_order() -> None:
    first = make_run([record("a")], run_id="alpha")
    second = make_run([record("a", passed=False)], run_id="beta[m]")
    summaries, verdicts = judged([first, second])
    lines = summary_lines([first, second], summaries, verdicts)
    headers = [line for line in lines if not line.startswith(" ") and "gate" in line]
    assert [h.split()[0] for h in headers] == ["alpha", "beta[m]"]
    assert lines[-1].startswith("GATE FAILED beta[m]: pass rate 0.0% < required 100.0%")

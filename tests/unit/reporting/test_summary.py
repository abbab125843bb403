from __future__ import annotations

import time

import pytest

from pytest_evals.reporting import percentile, summarize

from .helpers import errored, record


def test_counts_and_pass_rate_treat_errors_as_not_passed() -> None:
    records = [record("a"), record("b"), record("c", passed=False), errored("d")]
    summary = summarize(records)
    assert (summary["datapoints"], summary["passed"], summary["failed"], summary["errored"]) == (
        4,
        2,
        1,
        1,
    )
    assert summary["pass_rate"] == pytest.approx(0.5)


def test_empty_run_has_no_rates() -> None:
    summary = summarize([])
    assert summary["datapoints"] == 0
    assert summary["pass_rate"] is None
    assert summary["mean_score"] is None
    assert summary["latency_ms"] == {"p50": None, "p95": None}
    assert summary["cost"] is None
    assert summary["tokens"] == {"prompt": None, "completion": None, "total": None}


def test_mean_score_skips_records_without_a_score() -> None:
    records = [record("a", score=1.0), record("b", passed=False, score=0.5), errored("c")]
    assert summarize(records)["mean_score"] == pytest.approx(0.75)


def test_per_scorer_means_and_pass_counts() -> None:
    def scored(name: str, value: float, passed: bool) -> dict[str, object]:
        return {"name": name, "score": value, "passed": passed, "reason": "", "weight": 1.0}

    records = [
        record("a", scores=[scored("exact", 1.0, True), scored("judge", 0.8, True)]),
        record("b", scores=[scored("exact", 0.0, False), scored("judge", 0.4, False)]),
        record("c", scores=[scored("judge", 0.6, True)]),
    ]
    scorers = summarize(records)["scorers"]
    assert list(scorers) == ["exact", "judge"]
    assert scorers["exact"] == {"mean": pytest.approx(0.5), "passed": 1, "total": 2}
    assert scorers["judge"] == {"mean": pytest.approx(0.6), "passed": 2, "total": 3}


def test_latency_percentiles_are_nearest_rank() -> None:
    records = [record(str(i), latency_ms=float(ms)) for i, ms in enumerate(range(100, 0, -1))]
    records.append(errored("no-latency"))
    latency = summarize(records)["latency_ms"]
    assert latency == {"p50": 50.0, "p95": 95.0}


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([7.0], 50, 7.0),
        ([7.0], 95, 7.0),
        ([1.0, 2.0], 50, 1.0),
        ([1.0, 2.0], 95, 2.0),
        ([1.0, 2.0, 3.0, 4.0], 0, 1.0),
        ([1.0, 2.0, 3.0, 4.0], 100, 4.0),
        ([], 50, None),
        ([1.0, 2.0, 3.0, 4.0, 5.0], 50, 3.0),
        ([float(v) for v in range(1, 11)], 95, 10.0),
    ],
)
def test_percentile(values: list[float], p: float, expected: float | None) -> None:
    assert percentile(values, p) == expected


def test_tokens_sum_known_values() -> None:
    records = [record("a", tokens=(10, 5)), record("b", tokens=(None, 7)), errored("c")]
    assert summarize(records)["tokens"] == {"prompt": 10, "completion": 12, "total": 22}


def test_cost_sums_known_and_flags_unknown() -> None:
    known = summarize([record("a", cost=0.25), record("b", cost=0.5)])
    assert known["cost"] == pytest.approx(0.75)
    assert known["cost_incomplete"] is False

    partial = summarize([record("a", cost=0.25), record("b", cost=None)])
    assert partial["cost"] == pytest.approx(0.25)
    assert partial["cost_incomplete"] is True

    unknown = summarize([record("a", cost=None), record("b", cost=None)])
    assert unknown["cost"] is None
    assert unknown["cost_incomplete"] is False


def test_an_errored_call_without_cost_does_not_make_cost_incomplete() -> None:
    summary = summarize([record("a", cost=0.25), errored("b")])
    assert summary["cost"] == pytest.approx(0.25)
    assert summary["cost_incomplete"] is False


def test_cache_hits_count_cached_records() -> None:
    records = [record("a", cached=True), record("b"), record("c", cached=True)]
    assert summarize(records)["cache_hits"] == 2


def test_summarize_100k_records_benchmark() -> None:
    """Not a timed assertion (CI machines vary): prints the figure for `-s` runs."""
    records = [
        record(str(i), passed=i % 7 != 0, latency_ms=float(i % 997), cached=i % 3 == 0)
        for i in range(100_000)
    ]
    start = time.perf_counter()
    summary = summarize(records)
    elapsed = time.perf_counter() - start
    print(f"summarize(100,000 records): {elapsed * 1000:.0f} ms")
    assert summary["datapoints"] == 100_000


def test_a_kept_record_costs_this_session_nothing() -> None:
    kept = {**record("a", cost=0.5, cached=True), "kept": True}
    summary = summarize([kept, record("b", cost=0.25)])
    assert summary["cost"] == 0.75
    assert summary["cost_incurred"] == 0.25 and summary["cost_kept"] == 0.5
    assert summary["cache_hits"] == 0 and summary["cost_replayed"] is None


def test_the_pass_rate_interval_is_wilsons() -> None:
    from pytest_evals.reporting.summary import wilson_interval

    low, high = wilson_interval(8, 10)
    assert (round(low, 3), round(high, 3)) == (0.49, 0.943)
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 0) is None
    wide, narrow = wilson_interval(4, 5), wilson_interval(400, 500)
    assert wide and narrow and wide[1] - wide[0] > 5 * (narrow[1] - narrow[0])
    summary = summarize([record("a"), record("b", passed=False)])
    assert summary["pass_rate_ci"] == wilson_interval(1, 2)


def test_flaky_datapoints_are_those_whose_repeats_disagree() -> None:
    agree = {**record("a"), "repeats": [{"passed": True}, {"passed": True}], "flaky": False}
    disagree = {**record("b"), "repeats": [{"passed": True}, {"passed": False}], "flaky": True}
    summary = summarize([agree, disagree, record("c")])
    assert (summary["flaky"], summary["flaky_datapoints"]) == (1, ["b"])


def test_judge_cost_adds_to_the_total() -> None:
    assert summarize([record("a", cost=0.5)])["judge_cost"] is None
    judged = {**record("a", cost=0.5), "judge_cost": 0.25}
    summary = summarize([judged])
    assert (summary["judge_cost"], summary["total_cost"]) == (0.25, 0.75)
    assert summarize([record("a", cost=None)])["total_cost"] is None

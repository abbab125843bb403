"""The numbers of a run: counts, pass rate, scores, latency, tokens, cost, cache hits.

One pass over the records, so a run of 100,000 datapoints summarizes in a fraction of a second.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any


def summarize(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Summarizes result records (``ResultRecord.to_dict()`` shape).

    Errored records count as not passed in ``pass_rate`` and are counted apart from quality
    failures. Cost: the sum of known costs; ``None`` when no record knows its cost;
    ``cost_incomplete`` when some completed record's cost is unknown. An errored record with
    no cost is left out of that flag: a failed call is not billed as far as we can tell.
    ``flaky``: datapoints whose repeats disagreed (some passed, some did not);
    ``judge_cost``: what the judge calls of its scorers cost, ``total_cost`` samples and
    judges together; ``judge_cost_incurred`` and ``total_cost_incurred`` leave out what
    answers from the cache and kept records had recorded, as ``cost_incurred`` does. A
    record kept from an earlier session (``"kept": true``, under ``--lf``) counts in
    ``cost`` but not in ``cost_incurred``; a kept cache hit is not a hit of this session.
    """
    passed = failed = errored = cache_hits = 0
    score_sum = 0.0
    score_count = 0
    latencies: list[float] = []
    tokens: dict[str, int | None] = {"prompt": None, "completion": None, "total": None}
    cost: float | None = None
    cost_replayed: float | None = None
    cost_kept: float | None = None
    cost_unknown = 0
    scorers: dict[str, list[float]] = {}  # name -> [score sum, scored, passed]
    flaky: list[str] = []
    judge_cost: float | None = None
    judge_replayed = judge_kept = 0.0
    judge_tokens: dict[str, int | None] = {"prompt": None, "completion": None, "total": None}
    earned_points = possible_points = 0.0
    rubric_entries = 0

    for record in records:
        is_error = record.get("status") == "error"
        if is_error:
            errored += 1
        elif record.get("passed"):
            passed += 1
        else:
            failed += 1
        if record.get("cached") and not record.get("kept"):
            cache_hits += 1

        score = record.get("score")
        if score is not None:
            score_sum += score
            score_count += 1
        latency = record.get("latency_ms")
        if latency is not None:
            latencies.append(latency)
        _add_tokens(tokens, record.get("tokens"))
        record_cost = record.get("cost")
        if record_cost is not None:
            cost = (cost or 0.0) + record_cost
            if record.get("kept"):
                cost_kept = (cost_kept or 0.0) + record_cost
            elif record.get("cached"):
                cost_replayed = (cost_replayed or 0.0) + record_cost
        elif not is_error:
            cost_unknown += 1

        if record.get("flaky"):
            flaky.append(str(record.get("datapoint_id")))
        if record.get("judge_cost") is not None:
            judge_cost = (judge_cost or 0.0) + record["judge_cost"]
            if record.get("kept"):
                judge_kept += record["judge_cost"]
            else:
                judge_replayed += record.get("judge_cost_replayed") or 0.0
        _add_tokens(judge_tokens, record.get("judge_tokens"))

        for entry in record.get("scores") or ():
            stats = scorers.setdefault(str(entry.get("name")), [0.0, 0, 0])
            stats[0] += entry.get("score") or 0.0
            stats[1] += 1
            stats[2] += 1 if entry.get("passed") else 0
            details = entry.get("details") or {}
            if "earned_points" in details and "possible_points" in details:
                earned_points += details["earned_points"]
                possible_points += details["possible_points"]
                rubric_entries += 1

    datapoints = passed + failed + errored
    latencies.sort()
    # Spend this session paid for; the recorded cost of responses served from the cache,
    # and of results kept from earlier sessions (--lf), it did not pay.
    cost_incurred = None if cost is None else cost - (cost_replayed or 0.0) - (cost_kept or 0.0)
    judge_incurred = None if judge_cost is None else judge_cost - judge_replayed - judge_kept
    return {
        "datapoints": datapoints,
        "passed": passed,
        "failed": failed,
        "errored": errored,
        "pass_rate": passed / datapoints if datapoints else None,
        "pass_rate_ci": wilson_interval(passed, datapoints),
        "mean_score": score_sum / score_count if score_count else None,
        "scorers": {
            name: {"mean": s / n if n else None, "passed": int(p), "total": int(n)}
            for name, (s, n, p) in scorers.items()
        },
        "latency_ms": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95)},
        "tokens": tokens,
        "cost": cost,
        "cost_incomplete": cost is not None and cost_unknown > 0,
        "cost_incurred": cost_incurred,
        "cost_replayed": cost_replayed,
        "cost_kept": cost_kept,
        "judge_cost": judge_cost,
        "judge_cost_incurred": judge_incurred,
        "judge_cost_replayed": None if judge_cost is None else judge_replayed,
        "judge_tokens": judge_tokens,
        "total_earned_points": earned_points if rubric_entries else None,
        "total_possible_points": possible_points if rubric_entries else None,
        "overall_percentage": round(100 * earned_points / possible_points, 2)
        if rubric_entries and possible_points
        else None,
        "total_cost": None
        if cost is None and judge_cost is None
        else (cost or 0) + (judge_cost or 0),
        "total_cost_incurred": None
        if cost_incurred is None and judge_incurred is None
        else (cost_incurred or 0.0) + (judge_incurred or 0.0),
        "cache_hits": cache_hits,
        "flaky": len(flaky),
        "flaky_datapoints": flaky,
    }


def _add_tokens(totals: dict[str, int | None], usage: Mapping[str, Any] | None) -> None:
    for key in ("prompt", "completion", "total"):
        value = (usage or {}).get(key)
        if value is not None:
            totals[key] = (totals[key] or 0) + value


def wilson_interval(passed: int, total: int, z: float = 1.959964) -> list[float] | None:
    """The 95% Wilson score interval of a pass rate: how far the rate measured on this many
    datapoints may be from the rate a bigger sample would show (``[low, high]``). Unlike
    the normal approximation it stays inside [0, 1] and means something at 0/10 or 10/10."""
    if total <= 0:
        return None
    rate = passed / total
    spread = z * z / total
    centre = (rate + spread / 2) / (1 + spread)
    half = z * math.sqrt(rate * (1 - rate) / total + spread / (4 * total)) / (1 + spread)
    low = 0.0 if passed == 0 else max(0.0, centre - half)
    high = 1.0 if passed == total else min(1.0, centre + half)
    return [low, high]


def percentile(ordered: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile of an already sorted sequence: always a value that was
    measured, never an interpolation between two calls."""
    if not ordered:
        return None
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]

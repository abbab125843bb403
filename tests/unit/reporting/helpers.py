"""Hand-made result records and run metadata in the shapes the plugin hands to reporting."""

from __future__ import annotations

from typing import Any

from pytest_evals.reporting import GateVerdict, Run, RunBook, evaluate_gate, summarize


def record(
    datapoint_id: str,
    *,
    passed: bool = True,
    status: str = "completed",
    score: float | None = None,
    latency_ms: float | None = 100.0,
    tokens: tuple[int | None, int | None] = (10, 5),
    cost: float | None = 0.001,
    cached: bool = False,
    error: str | None = None,
    scores: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    if score is None and status == "completed":
        score = 1.0 if passed else 0.0
    prompt, completion = tokens
    total = None if prompt is None and completion is None else (prompt or 0) + (completion or 0)
    return {
        "datapoint_id": datapoint_id,
        "eval": "capitals",
        "model": "local/gpt-4o-mini",
        "input": f"input of {datapoint_id}",
        "expected": "Paris",
        "output": "Paris" if passed else "Lyon",
        "score": score,
        "passed": passed and status == "completed",
        "scores": scores
        if scores is not None
        else [
            {
                "name": "exact_match",
                "score": score or 0.0,
                "passed": passed,
                "reason": "",
                "weight": 1.0,
            }
        ],
        "latency_ms": latency_ms,
        "tokens": {"prompt": prompt, "completion": completion, "total": total},
        "cost": cost,
        "cached": cached,
        "status": status,
        "error": error,
    }


def errored(datapoint_id: str, error: str = "ProviderError: 500 boom") -> dict[str, Any]:
    return record(
        datapoint_id,
        passed=False,
        status="error",
        score=None,
        latency_ms=None,
        tokens=(None, None),
        cost=None,
        error=error,
        scores=[],
    )


def run_meta(
    run_id: str = "capitals[local/gpt-4o-mini]",
    *,
    name: str = "capitals",
    model: str | None = "local/gpt-4o-mini",
    total: int = 3,
    pass_rate: float = 1.0,
) -> dict[str, Any]:
    return {
        "id": run_id,
        "name": name,
        "eval": name,
        "spec_path": f"evals/{name}.eval.yaml",
        "model": model,
        "total": total,
        "pass_rate_required": pass_rate,
        "config": {"threshold": None},
        "scorers": [{"type": "exact_match", "name": "exact_match", "weight": 1.0}],
    }


def make_run(
    records: list[dict[str, Any]],
    *,
    pass_rate: float = 1.0,
    total: int | None = None,
    run_id: str = "capitals[local/gpt-4o-mini]",
    interrupted: bool = False,
) -> Run:
    book = RunBook()
    meta = run_meta(run_id, total=len(records) if total is None else total, pass_rate=pass_rate)
    book.plan(meta, now="2025-01-01T00:00:00.000+00:00")
    for item in records:
        book.add_record(meta, item, now="2025-01-01T00:00:00.000+00:00")
    book.finish(interrupted=interrupted, now="2025-01-01T00:01:00.000+00:00")
    (run,) = book.runs
    return run


def judged(
    runs: list[Run], *, fail_under: float | None = None, strict: bool = False
) -> tuple[dict[str, dict[str, Any]], list[GateVerdict]]:
    """Summaries and verdicts for runs, as the controller computes them."""
    summaries = {run.id: summarize(run.records) for run in runs}
    verdicts = [
        evaluate_gate(run, summaries[run.id], fail_under=fail_under, strict=strict) for run in runs
    ]
    return summaries, verdicts

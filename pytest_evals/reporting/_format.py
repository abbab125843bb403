"""Number and verdict formatting shared by the terminal and Markdown summaries, so both say
the same thing the same way."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .gate import GateVerdict, percent
from .runs import Run

NA = "n/a"


def rate(value: float | None) -> str:
    return NA if value is None else percent(value)


def interval(bounds: Sequence[float] | None) -> str:
    """``49-94%``: the pass rate's 95% Wilson interval (``pass_rate_ci``)."""
    if not bounds:
        return NA
    low, high = bounds
    return f"{low * 100:.0f}-{high * 100:.0f}%"


def score(value: float | None) -> str:
    return NA if value is None else f"{value:.3f}"


def count(value: int | None) -> str:
    return NA if value is None else f"{value:,}"


def ms(value: float | None) -> str:
    if value is None:
        return NA
    # Sub-10 ms latencies (cache hits, local targets) keep a decimal so they don't all read 0.
    return f"{value:.1f} ms" if value < 10 else f"{round(value):,} ms"


def usd(value: float) -> str:
    # Four decimals show the cents of cheap models; big sums don't need them.
    return f"${value:,.4f}" if value < 100 else f"${value:,.2f}"


def cost(summary: Mapping[str, Any]) -> str:
    """What this run paid: cache hits cost nothing now (their recorded cost shows beside the
    hit count, ``cache_hits``)."""
    return _paid(summary, "cost")


def _paid(summary: Mapping[str, Any], key: str, *, samples: bool = True) -> str:
    """``key``'s ``_incurred`` part (what was paid now), ``≥`` when some samples' costs are
    unknown and ``samples`` count in it."""
    value = summary.get(key)
    if value is None:
        return NA
    incurred = summary.get(f"{key}_incurred")
    text = usd(value if incurred is None else incurred)
    return f"≥{text}" if samples and summary.get("cost_incomplete") else text


def judge_cost(summary: Mapping[str, Any]) -> str | None:
    """What the judge calls of the run's scorers paid, as ``cost`` shows the samples' (cache
    hits cost nothing now); None when no scorer called a model."""
    judged = (summary.get("judge_tokens") or {}).get("total") is not None
    if summary.get("judge_cost") is None:
        return NA if judged else None
    text = _paid(summary, "judge_cost", samples=False)
    # What cached judge answers had cost, as ``cache_hits`` shows the samples'.
    replayed = summary.get("judge_cost_replayed")
    return f"{text} ({usd(replayed)} replayed)" if replayed else text


def total_cost(summary: Mapping[str, Any]) -> str:
    """Samples and judges together, paid now."""
    return _paid(summary, "total_cost")


def cost_with_judges(summary: Mapping[str, Any]) -> str:
    """The sample spend, and the judges' beside it when there were judge calls."""
    judges = judge_cost(summary)
    return cost(summary) if judges is None else f"{cost(summary)} + judges {judges}"


def cache_hits(summary: Mapping[str, Any]) -> str:
    """The hit count, and the recorded cost of the replayed responses."""
    hits = count(summary.get("cache_hits"))
    replayed = summary.get("cost_replayed")
    return f"{hits} ({usd(replayed)})" if replayed else hits


def datapoints(run: Run, summary: Mapping[str, Any]) -> str:
    done = int(summary.get("datapoints") or 0)
    return f"{done:,}" if done >= run.total else f"{done:,}/{run.total:,}"


def gate(verdict: GateVerdict | None) -> str:
    """``PASS ≥ 90.0%`` / ``FAIL 72.0% < 90.0%``, with ``(strict)`` under --evals-strict."""
    if verdict is None:
        return NA
    strict = " (strict)" if verdict.strict else ""
    if verdict.run_failure is not None:
        return "FAIL (the run failed)"
    if verdict.not_run is not None:
        return "FAIL (not run)"
    if verdict.measured is None:
        return f"PASS (no datapoints){strict}"
    if verdict.holds:
        return f"PASS ≥ {percent(verdict.required)}{strict}"
    return f"FAIL {percent(verdict.measured)} < {percent(verdict.required)}{strict}"


def status_note(run: Run) -> str:
    """Empty for a completed run of this session's results alone; otherwise why its numbers
    may be partial, or where some of them come from."""
    notes = []
    if run.failure is not None:
        notes.append(f"failed: {run.failure}")
        if run.progress < run.total:
            notes.append(f"{run.progress:,}/{run.total:,} reported")
    elif run.status != "completed":
        notes.append(f"{run.status} at {run.progress:,}/{run.total:,}")
    if run.kept:
        notes.append(f"{run.kept:,} kept from earlier sessions")
    return "; ".join(notes)


def by_run_id(verdicts: Iterable[GateVerdict]) -> dict[str, GateVerdict]:
    return {v.run_id: v for v in verdicts}


def first_line(text: object) -> str:
    lines = str(text or "").strip().splitlines()
    return lines[0].strip() if lines else "(no message)"


def errored_records(run: Run) -> list[dict[str, Any]]:
    return [r for r in run.records if r.get("status") == "error"]

"""The evals summary as GitHub-flavoured Markdown, fit for ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from . import _format as fmt
from .gate import GateVerdict, tolerance_line
from .runs import Run

MAX_ERRORS_PER_RUN = 10

# Backslash-escaping every character Markdown could read as syntax renders it literally;
# `|` would otherwise end a table cell.
_SPECIAL = frozenset("\\`*_[]<>|~#")

_RUN_COLUMNS = (
    ("Eval", ":---"),
    ("Model", ":---"),
    ("Datapoints", "---:"),
    ("Passed", "---:"),
    ("Failed", "---:"),
    ("Errored", "---:"),
    ("Pass rate", "---:"),
    ("95% CI", "---:"),
    ("Mean score", "---:"),
    ("Latency p50 / p95", "---:"),
    ("Tokens", "---:"),
    ("Cost", "---:"),
    ("Cache hits", "---:"),
    ("Flaky", "---:"),
    ("Gate", ":---"),
)


def escape(value: object) -> str:
    """Text safe inside a table cell: Markdown syntax escaped, newlines folded to spaces."""
    text = " ".join(str(value).split())
    return "".join(f"\\{ch}" if ch in _SPECIAL else ch for ch in text)


def summary_markdown(
    runs: Sequence[Run],
    summaries: Mapping[str, Mapping[str, Any]],
    verdicts: Sequence[GateVerdict],
    *,
    notes: Sequence[str] = (),
) -> str:
    """``notes``: what the session says beyond its runs (a collection error, a failed
    ordinary test, results kept by --lf), each a paragraph at the end."""
    verdict_of = fmt.by_run_id(verdicts)
    lines = ["## Evals summary", ""]
    if not runs:
        lines.append("No eval ran.")
        lines += [line for note in notes for line in ("", escape(note))]
        return "\n".join(lines) + "\n"

    lines += _table(
        [name for name, _ in _RUN_COLUMNS],
        [align for _, align in _RUN_COLUMNS],
        (_run_row(run, summaries.get(run.id) or {}, verdict_of.get(run.id)) for run in runs),
    )
    scorer_rows = [
        [
            run.id,
            name,
            fmt.score(stats.get("mean")),
            f"{stats.get('passed', 0):,}/{stats.get('total', 0):,}",
        ]
        for run in runs
        for name, stats in ((summaries.get(run.id) or {}).get("scorers") or {}).items()
    ]
    if scorer_rows:
        lines += ["", "### Scorers", ""]
        lines += _table(
            ["Run", "Scorer", "Mean", "Passed"], [":---", ":---", "---:", "---:"], scorer_rows
        )
    lines += _error_section(runs)

    failed = [v for v in verdicts if not v.holds]
    if failed:
        lines += ["", "### Failed gates", ""]
        lines += [f"- ❌ {escape(v.line())}" for v in failed]
    tolerated = tolerance_line(verdicts)
    if tolerated:
        lines += ["", escape(tolerated)]
    lines += [line for note in notes for line in ("", escape(note))]
    return "\n".join(lines) + "\n"


def _run_row(run: Run, summary: Mapping[str, Any], verdict: GateVerdict | None) -> list[str]:
    note = fmt.status_note(run)
    latency = summary.get("latency_ms") or {}
    gate = fmt.gate(verdict)
    mark = "" if verdict is None else ("✅ " if verdict.holds else "❌ ")
    return [
        f"{run.eval} ({note})" if note else run.eval,
        run.model or "",
        fmt.datapoints(run, summary),
        fmt.count(summary.get("passed")),
        fmt.count(summary.get("failed")),
        fmt.count(summary.get("errored")),
        fmt.rate(summary.get("pass_rate")),
        fmt.interval(summary.get("pass_rate_ci")),
        fmt.score(summary.get("mean_score")),
        f"{fmt.ms(latency.get('p50'))} / {fmt.ms(latency.get('p95'))}",
        fmt.count((summary.get("tokens") or {}).get("total")),
        fmt.cost_with_judges(summary),
        fmt.cache_hits(summary),
        fmt.count(summary.get("flaky")),
        mark + gate,
    ]


def _table(header: list[str], aligns: list[str], rows: Iterable[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(aligns) + " |"]
    lines += ["| " + " | ".join(escape(cell) for cell in row) + " |" for row in rows]
    return lines


def _error_section(runs: Sequence[Run]) -> list[str]:
    lines: list[str] = []
    for run in runs:
        errored = fmt.errored_records(run)
        if not errored:
            continue
        if not lines:
            lines += ["", "### Errored datapoints"]
        lines += ["", f"**{escape(run.id)}** ({len(errored):,})", ""]
        lines += [
            f"- {escape(r.get('datapoint_id'))}: {escape(fmt.first_line(r.get('error')))}"
            for r in errored[:MAX_ERRORS_PER_RUN]
        ]
        if len(errored) > MAX_ERRORS_PER_RUN:
            lines.append(f"- … and {len(errored) - MAX_ERRORS_PER_RUN:,} more")
    return lines

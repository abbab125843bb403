"""The evals summary as terminal lines. Pure: the plugin writes the lines under
``write_sep("=", "evals summary")``.

Per run: a header (run id, status when not completed, gate verdict), its numbers in label/value
cells aligned in columns across every run, and its per-scorer means. Then errored datapoints
apart, one line per failed gate and the tolerance sentence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import _format as fmt
from .gate import GateVerdict, tolerance_line
from .runs import Run

INDENT = "  "
GAP = "  "
MAX_ERRORS_PER_RUN = 10

Cell = tuple[str, str]  # (label, value)


def summary_lines(
    runs: Sequence[Run],
    summaries: Mapping[str, Mapping[str, Any]],
    verdicts: Sequence[GateVerdict],
    *,
    width: int = 80,
) -> list[str]:
    verdict_of = fmt.by_run_id(verdicts)
    groups = {run.id: _cell_groups(run, summaries.get(run.id) or {}) for run in runs}
    widths = _column_widths([g for run_groups in groups.values() for g in run_groups], width)
    table_width = _grid_width(widths)
    name_width = max(
        (len(name) for s in summaries.values() for name in s.get("scorers") or {}), default=0
    )

    lines: list[str] = []
    for run in runs:
        summary = summaries.get(run.id) or {}
        lines.append(_header(run, verdict_of.get(run.id), table_width))
        for group in groups[run.id]:
            for start in range(0, len(group), len(widths)):
                lines.append(_row(group[start : start + len(widths)], widths))
        lines.extend(_scorer_lines(summary, name_width))

    for run in runs:
        lines.extend(_error_lines(run, width))
    lines.extend(v.line() for v in verdicts if not v.holds)
    tolerated = tolerance_line(verdicts)
    if tolerated:
        lines.append(tolerated)
    return lines


def _cell_groups(run: Run, summary: Mapping[str, Any]) -> list[list[Cell]]:
    """Cells in three groups, one line each when the width allows: counts, quality, spend
    (and the pass rate's 95% interval)."""
    latency = summary.get("latency_ms") or {}
    tokens = (summary.get("tokens") or {}).get("total")
    return [
        [
            ("datapoints", fmt.datapoints(run, summary)),
            ("passed", fmt.count(summary.get("passed"))),
            ("failed", fmt.count(summary.get("failed"))),
            ("errored", fmt.count(summary.get("errored"))),
        ],
        [
            ("pass rate", fmt.rate(summary.get("pass_rate"))),
            ("mean score", fmt.score(summary.get("mean_score"))),
            ("cache hits", fmt.cache_hits(summary)),
            ("cost", fmt.cost(summary)),
            *_judge_cells(summary),
        ],
        [
            ("latency p50", fmt.ms(latency.get("p50"))),
            ("latency p95", fmt.ms(latency.get("p95"))),
            ("tokens", fmt.count(tokens)),
            ("95% CI", fmt.interval(summary.get("pass_rate_ci"))),
            # Only repeats can disagree: a run without them has no flaky datapoints to count.
            *([("flaky", fmt.count(summary.get("flaky")))] if _repeats(run) else []),
        ],
    ]


def _judge_cells(summary: Mapping[str, Any]) -> list[Cell]:
    """Judge spend beside the samples', for runs whose scorers called a model."""
    judges = fmt.judge_cost(summary)
    if judges is None:
        return []
    return [("judge cost", judges), ("total cost", fmt.total_cost(summary))]


def _repeats(run: Run) -> bool:
    repeat = run.config.get("repeat")
    return isinstance(repeat, int) and repeat > 1


def _column_widths(groups: list[list[Cell]], width: int) -> list[tuple[int, int]]:
    """(label width, value width) per column: the most columns (up to a group's size) whose
    rows still fit ``width``; one column if nothing fits."""
    most = max((len(g) for g in groups), default=1)
    for columns in range(most, 0, -1):
        widths = [(0, 0)] * columns
        for group in groups:
            for index, (label, value) in enumerate(group):
                column = index % columns
                lw, vw = widths[column]
                widths[column] = (max(lw, len(label)), max(vw, len(value)))
        if _grid_width(widths) <= width or columns == 1:
            return widths
    return [(0, 0)]


def _grid_width(widths: list[tuple[int, int]]) -> int:
    return len(INDENT) + sum(lw + 1 + vw for lw, vw in widths) + len(GAP) * (len(widths) - 1)


def _row(cells: list[Cell], widths: list[tuple[int, int]]) -> str:
    # A short last row of a wrapped group uses only the first columns.
    parts = [
        f"{label:<{lw}} {value:>{vw}}"
        for (label, value), (lw, vw) in zip(cells, widths[: len(cells)], strict=True)
    ]
    return (INDENT + GAP.join(parts)).rstrip()


def _header(run: Run, verdict: GateVerdict | None, table_width: int) -> str:
    note = fmt.status_note(run)
    left = f"{run.id}  ({note})" if note else run.id
    right = f"gate {fmt.gate(verdict)}"
    pad = max(2, table_width - len(left) - len(right))
    return f"{left}{' ' * pad}{right}"


def _scorer_lines(summary: Mapping[str, Any], name_width: int) -> list[str]:
    lines = []
    for index, (name, stats) in enumerate((summary.get("scorers") or {}).items()):
        label = "scorers" if index == 0 else ""
        lines.append(
            f"{INDENT}{label:<7}  {name:<{name_width}}  mean {fmt.score(stats.get('mean'))}"
            f"  {stats.get('passed', 0):,}/{stats.get('total', 0):,} passed"
        )
    return lines


def _error_lines(run: Run, width: int) -> list[str]:
    errored = fmt.errored_records(run)
    if not errored:
        return []
    lines = [f"errored datapoints in {run.id} ({len(errored):,}):"]
    for record in errored[:MAX_ERRORS_PER_RUN]:
        text = f"{INDENT}{record.get('datapoint_id')}: {fmt.first_line(record.get('error'))}"
        lines.append(text if len(text) <= width else text[: max(width - 1, 0)] + "…")
    if len(errored) > MAX_ERRORS_PER_RUN:
        lines.append(f"{INDENT}… and {len(errored) - MAX_ERRORS_PER_RUN:,} more")
    return lines

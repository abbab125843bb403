"""The JSON report: ``{"runs": [run, …], "session": {…}}`` (SPEC §5), written atomically so a
reader never sees half a file, not even after Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .gate import GateVerdict
from .runs import Run

_COUNTS = ("datapoints", "passed", "failed", "errored", "cache_hits")


def build_report(
    runs: Sequence[Run],
    summaries: Mapping[str, Mapping[str, Any]],
    verdicts: Sequence[GateVerdict],
    *,
    session: Mapping[str, Any],
) -> dict[str, Any]:
    """The whole session as plain data. ``session`` is what the plugin knows (timestamps, exit
    status, arguments…); ``session["totals"]`` adds the sums over every run."""
    verdict_of = {v.run_id: v for v in verdicts}
    run_dicts = [
        _run_dict(run, summaries.get(run.id) or {}, verdict_of.get(run.id)) for run in runs
    ]
    return {
        "runs": run_dicts,
        "session": {**session, "totals": _totals(runs, summaries, verdicts)},
    }


def _run_dict(run: Run, summary: Mapping[str, Any], verdict: GateVerdict | None) -> dict[str, Any]:
    gate = None
    if verdict is not None:
        gate = {
            "required": verdict.required,
            "measured": verdict.measured,
            "holds": verdict.holds,
            "strict": verdict.strict,
        }
    return {
        "id": run.id,
        "name": run.name,
        "eval": run.eval,
        "spec_path": run.spec_path,
        "model": run.model,
        "status": run.status,
        "progress": run.progress,
        "total": run.total,
        "kept": run.kept,
        "crashed": run.crashed,
        "config": run.config,
        "scorers": run.scorers,
        "result_items": run.records,
        "summary": {**summary, "gate": gate},
        "created_at": run.created_at,
        "finished_at": run.finished_at,
    }


def _totals(
    runs: Sequence[Run],
    summaries: Mapping[str, Mapping[str, Any]],
    verdicts: Sequence[GateVerdict],
) -> dict[str, Any]:
    totals: dict[str, Any] = {"runs": len(runs), **dict.fromkeys(_COUNTS, 0)}
    cost: float | None = None
    replayed = 0.0
    kept = 0.0
    incomplete = False
    tokens: dict[str, int | None] = {"prompt": None, "completion": None, "total": None}
    judged: dict[str, float | None] = dict.fromkeys(_JUDGE_SUMS)
    for run in runs:
        summary = summaries.get(run.id) or {}
        for key in _JUDGE_SUMS:
            if summary.get(key) is not None:
                judged[key] = (judged[key] or 0.0) + summary[key]
        for key in _COUNTS:
            totals[key] += int(summary.get(key) or 0)
        if summary.get("cost") is not None:
            cost = (cost or 0.0) + summary["cost"]
            replayed += summary.get("cost_replayed") or 0.0
            kept += summary.get("cost_kept") or 0.0
            incomplete = incomplete or bool(summary.get("cost_incomplete"))
        elif int(summary.get("datapoints") or 0) > int(summary.get("errored") or 0):
            # A run whose cost is wholly unknown leaves a hole in the session's sum.
            incomplete = True
        for key, value in (summary.get("tokens") or {}).items():
            if key in tokens and value is not None:
                tokens[key] = (tokens[key] or 0) + value
    datapoints = totals["datapoints"]
    totals.update(
        pass_rate=totals["passed"] / datapoints if datapoints else None,
        tokens=tokens,
        cost=cost,
        cost_incurred=None if cost is None else cost - replayed - kept,
        cost_replayed=replayed if cost is not None else None,
        cost_kept=kept if cost is not None else None,
        cost_incomplete=cost is not None and incomplete,
        gates_failed=sum(1 for v in verdicts if not v.holds),
        **judged,
    )
    return totals


_JUDGE_SUMS = ("judge_cost", "judge_cost_incurred", "total_cost", "total_cost_incurred")
"""Judge spend, and samples' and judges' together, summed over the runs as they are."""


def write_json_atomic(path: Path, data: Mapping[str, Any], *, indent: int | None = 2) -> None:
    """Writes ``data`` as JSON to ``path`` whole or not at all: a temp file in the same
    directory (so the rename stays on one filesystem), then ``os.replace``.

    Values JSON lacks (dates parsed from YAML datasets, paths) are written as strings rather
    than failing the report at the end of a long run. ``indent=None``: one compact line, for
    files only the plugin reads back.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            # dumps, not dump: only a one-shot encode without indent gets json's C encoder
            # (dump always walks the data in Python: a tenth of a second per 1,000 records).
            handle.write(json.dumps(data, indent=indent, ensure_ascii=False, default=str))
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates 0600; a report is for reading by others (CI artifacts), like any file.
        os.chmod(tmp_name, _mode_for(path))
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o644

"""Runs: one eval x one model in one session, and the book that gathers their records.

The controller feeds every datapoint's record (plain dicts, as they arrive from pytest reports,
possibly from several xdist workers) into a :class:`RunBook`; at session end ``finish`` fixes
each run's status. Nothing here imports pytest.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

RunStatus = Literal["pending", "running", "completed", "failed", "cancelled"]


@dataclass
class Run:
    """One eval x one model in one session (the ``run`` object of the JSON report)."""

    id: str
    name: str
    eval: str
    spec_path: str
    model: str | None
    total: int
    pass_rate_required: float
    config: dict[str, Any]
    scorers: list[dict[str, Any]]
    created_at: str
    records: list[dict[str, Any]] = field(default_factory=list)
    finished_at: str | None = None
    status: RunStatus = "pending"

    @property
    def progress(self) -> int:
        return len(self.records)

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any], *, created_at: str) -> Run:
        model = meta.get("model")
        return cls(
            id=str(meta["id"]),
            name=str(meta["name"]),
            eval=str(meta.get("eval", meta["name"])),
            spec_path=str(meta.get("spec_path", "")),
            model=None if model is None else str(model),
            total=int(meta.get("total", 0)),
            pass_rate_required=float(meta.get("pass_rate_required", 1.0)),
            config=dict(meta.get("config") or {}),
            scorers=[dict(s) for s in meta.get("scorers") or []],
            created_at=created_at,
        )


class RunBook:
    """Every run of the session, in first-seen order, each with its records in arrival order.

    A second record for a datapoint already in its run replaces the first in place (a rerun
    plugin or a doubled report must not push progress past total).
    """

    def __init__(self) -> None:
        self._runs: dict[str, Run] = {}
        self._positions: dict[str, dict[str, int]] = {}

    @property
    def runs(self) -> list[Run]:
        return list(self._runs.values())

    def __iter__(self) -> Iterator[Run]:
        return iter(self._runs.values())

    def __len__(self) -> int:
        return len(self._runs)

    def get(self, run_id: str) -> Run | None:
        return self._runs.get(run_id)

    def add_record(
        self, run_meta: Mapping[str, Any], record: Mapping[str, Any], *, now: str = ""
    ) -> Run:
        """Files ``record`` under the run ``run_meta`` describes, creating the run on first
        sight; ``now`` (ISO-8601) becomes its ``created_at`` then."""
        run_id = str(run_meta["id"])
        run = self._runs.get(run_id)
        if run is None:
            run = Run.from_meta(run_meta, created_at=now or _utc_now())
            self._runs[run_id] = run
            self._positions[run_id] = {}
        run.status = "running"
        positions = self._positions[run_id]
        key = str(record.get("datapoint_id"))
        # The report's dict is ours to keep: copying it would double the memory of a run.
        data = record if isinstance(record, dict) else dict(record)
        if key in positions:
            run.records[positions[key]] = data
        else:
            positions[key] = len(run.records)
            run.records.append(data)
        return run

    def finish(self, *, interrupted: bool, now: str) -> None:
        """Fixes every run's final status.

        ``cancelled``: the session was interrupted before the run got all its datapoints
        (its records are kept). ``failed``: the run could not produce a single scored sample
        (every record errored). ``completed`` otherwise — whether its gate holds is a separate
        verdict, not a run status.
        """
        for run in self._runs.values():
            run.finished_at = now
            if interrupted and run.progress < run.total:
                run.status = "cancelled"
            elif run.records and all(r.get("status") == "error" for r in run.records):
                run.status = "failed"
            else:
                run.status = "completed"


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")

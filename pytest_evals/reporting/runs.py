"""Runs: one eval x one model in one session, and the book that gathers their records.

The controller feeds every datapoint's record (plain dicts, as they arrive from pytest reports,
possibly from several xdist workers) into a :class:`RunBook`; at session end ``finish`` fixes
each run's status. ``RunBook.from_report`` reads a JSON report back into the same runs.
Nothing here imports pytest.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from ..wire import RecordData, RunMeta, RunRef

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
    records: list[RecordData] = field(default_factory=list)
    finished_at: str | None = None
    status: RunStatus = "pending"
    kept: int = 0
    """Records kept from an earlier session (``--lf``/``--sw`` re-ran only the others)."""
    crashed: int = 0
    """Datapoints whose process died while running them (an xdist worker crash)."""

    @property
    def progress(self) -> int:
        return len(self.records)

    @property
    def failure(self) -> str | None:
        """Why the run ``failed``: its results can't be trusted whatever its pass rate."""
        if self.status != "failed":
            return None
        if self.crashed:
            lost = "a datapoint" if self.crashed == 1 else f"{self.crashed:,} datapoints"
            return f"a worker crashed while running {lost}"
        return "every datapoint errored"

    @classmethod
    def from_meta(cls, meta: RunMeta, *, created_at: str) -> Run:
        return cls(
            id=meta["id"],
            name=meta["name"],
            eval=meta["eval"],
            spec_path=meta["spec_path"],
            model=meta["model"],
            total=meta["total"],
            pass_rate_required=meta["pass_rate_required"],
            config=dict(meta["config"]),
            scorers=[dict(s) for s in meta["scorers"]],
            created_at=created_at,
        )

    @classmethod
    def from_report_entry(cls, entry: Mapping[str, Any]) -> Run:
        """A run as the JSON report wrote it (``reporting.json_report``)."""
        gate = (entry.get("summary") or {}).get("gate") or {}
        config = dict(entry.get("config") or {})
        required = config.get("pass_rate", gate.get("required", 1.0))
        return cls(
            id=str(entry["id"]),
            name=str(entry["name"]),
            eval=str(entry.get("eval", entry["name"])),
            spec_path=str(entry.get("spec_path", "")),
            model=entry.get("model"),
            total=int(entry.get("total", 0)),
            pass_rate_required=float(required),
            config=config,
            scorers=[dict(s) for s in entry.get("scorers") or []],
            created_at=str(entry.get("created_at", "")),
            records=[dict(r) for r in entry.get("result_items") or []],
            finished_at=entry.get("finished_at"),
            status=entry.get("status", "completed"),
            kept=int(entry.get("kept") or 0),
            crashed=int(entry.get("crashed") or 0),
        )


class RunBook:
    """Every run of the session, in first-seen order, each with its records in arrival order.

    A second record for a datapoint already in its run replaces the first in place (a rerun
    plugin or a doubled report must not push progress past total).
    """

    def __init__(self) -> None:
        self._runs: dict[str, Run] = {}
        self._positions: dict[str, dict[str, int]] = {}
        self._order: dict[str, dict[str, int]] = {}
        """Per run, each datapoint's place in its spec (``wire``): the order reports keep."""

    @classmethod
    def from_report(cls, report: Mapping[str, Any]) -> RunBook:
        """The runs of a JSON report (``--evals-json``), statuses and records as written."""
        book = cls()
        for entry in report.get("runs") or ():
            run = Run.from_report_entry(entry)
            book._runs[run.id] = run
            book._positions[run.id] = {
                str(r.get("datapoint_id")): i for i, r in enumerate(run.records)
            }
        return book

    @property
    def runs(self) -> list[Run]:
        return list(self._runs.values())

    def __iter__(self) -> Iterator[Run]:
        return iter(self._runs.values())

    def __len__(self) -> int:
        return len(self._runs)

    def get(self, run_id: str) -> Run | None:
        return self._runs.get(run_id)

    def plan(self, run_meta: RunMeta, *, now: str = "") -> Run:
        """The run ``run_meta`` describes, created (``pending``, no records) if this is its
        first sight: collected runs are reported even if none of their datapoints ran."""
        run = self._runs.get(run_meta["id"])
        if run is None:
            run = Run.from_meta(run_meta, created_at=now or _utc_now())
            self._runs[run.id] = run
            self._positions[run.id] = {}
            self._order[run.id] = {}
        return run

    def add_record(
        self,
        run_meta: RunMeta | RunRef,
        record: RecordData,
        *,
        position: int | None = None,
        now: str = "",
        crashed: bool = False,
    ) -> Run:
        """Files ``record`` under the run ``run_meta`` describes, creating the run on first
        sight; ``now`` (ISO-8601) becomes its ``created_at`` then. ``position`` is the
        datapoint's place in its spec: ``finish`` orders each run's records by it.
        ``crashed``: the record stands for a datapoint whose process died; the run fails."""
        run_id = run_meta["id"]
        run = self._runs.get(run_id)
        if run is None:
            if "name" not in run_meta:
                raise ValueError(f"run {run_id!r} was named before it was described")
            run = self.plan(run_meta, now=now)  # type: ignore[arg-type]
        run.status = "running"
        run.crashed += crashed
        self._file(run, record, position)
        return run

    def keep(self, run_meta: RunMeta, record: RecordData, *, position: int) -> Run:
        """Adds a datapoint's record from an earlier session, one this session did not
        re-run: it counts towards the run's total and its gate like any other."""
        run = self.plan(run_meta)
        run.kept += 1
        run.total += 1
        # Marked: what it cost was paid by the session that made it, not by this one.
        self._file(run, {**record, "kept": True}, position)
        return run

    def _file(self, run: Run, record: RecordData, position: int | None) -> None:
        positions = self._positions[run.id]
        key = str(record.get("datapoint_id"))
        if position is not None:
            self._order[run.id][key] = position
        # The report's dict is ours to keep: copying it would double the memory of a run.
        if key in positions:
            run.records[positions[key]] = record
        else:
            positions[key] = len(run.records)
            run.records.append(record)

    def finish(self, *, interrupted: bool, now: str, tests_ran: bool = True) -> None:
        """Fixes every run's final status.

        ``failed``: a datapoint's process crashed, or the run could not produce a single
        scored sample (every record errored). ``cancelled``: the session was cut short after
        tests began to run, before the run got all its datapoints, or with some stopped
        half-way by the budget (its records are kept).
        ``pending``: the same, but the session ended before any test ran (a collection error
        interrupted it). ``completed`` otherwise — whether its gate holds is a separate
        verdict, not a run status.

        Runs are then in spec-path order (then model), and each run's records in its
        datapoints' order, whatever order xdist workers sent them in: reports diff cleanly.
        """
        self._runs = dict(
            sorted(self._runs.items(), key=lambda i: (i[1].spec_path, i[1].model or ""))
        )
        for run in self._runs.values():
            order = self._order.get(run.id) or {}
            if order:
                last = len(order) + len(run.records)
                run.records.sort(key=lambda r: order.get(str(r.get("datapoint_id")), last))
                self._positions[run.id] = {
                    str(r.get("datapoint_id")): i for i, r in enumerate(run.records)
                }
            run.finished_at = now
            if run.crashed:
                run.status = "failed"
            elif interrupted and (
                run.progress < run.total or any(r.get("stopped") for r in run.records)
            ):
                run.status = "cancelled" if tests_ran else "pending"
            elif run.records and all(r.get("status") == "error" for r in run.records):
                run.status = "failed"
            else:
                run.status = "completed"


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")

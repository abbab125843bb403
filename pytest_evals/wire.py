"""What travels with a datapoint's pytest report, from the process that ran it (an xdist
worker, or the controller itself) to the controller that aggregates: the datapoint's record
and its run. This module alone writes and reads those report attributes.

Everything is plain builtins: pytest-xdist serializes report attributes as they are. The run
is described in full with the first record a process sends for it, and named by its id
after that, so a run of 100,000 datapoints does not send its configuration 100,000 times.
"""

from __future__ import annotations

from typing import Any, NamedTuple, TypedDict

from .records import ResultRecord

_RECORD = "eval_record"
_RUN = "eval_run"
_POSITION = "eval_position"

RecordData = dict[str, Any]
"""``ResultRecord.to_dict()``: the shape of SPEC §5, as reports and summaries read it."""


class ScorerMeta(TypedDict):
    type: str
    name: str
    weight: float
    threshold: float
    options: dict[str, Any]


class RunMeta(TypedDict):
    """A run's description: one spec file for one model (``model`` None without one)."""

    id: str
    name: str
    eval: str
    spec_path: str
    model: str | None
    total: int
    pass_rate_required: float
    config: dict[str, Any]
    scorers: list[ScorerMeta]


class RunRef(TypedDict):
    """A run already described by an earlier record from the same process."""

    id: str


def attach(report: object, record: ResultRecord, run: RunMeta | str, position: int) -> None:
    """Put ``record``, its run (the description, or just the run's id) and the datapoint's
    place in its spec on ``report``."""
    setattr(report, _RECORD, record.to_dict())
    setattr(report, _RUN, run if isinstance(run, dict) else RunRef(id=run))
    setattr(report, _POSITION, position)


class Carried(NamedTuple):
    run: RunMeta | RunRef
    record: RecordData
    position: int | None


def carried(report: object) -> Carried | None:
    """The run, record and position a report carries, or None for a report of anything
    else."""
    record = getattr(report, _RECORD, None)
    run = getattr(report, _RUN, None)
    if not isinstance(record, dict) or not isinstance(run, dict) or "id" not in run:
        return None
    position = getattr(report, _POSITION, None)
    return Carried(run, record, position if isinstance(position, int) else None)  # type: ignore[arg-type]

"""Pass-rate gates: each run's verdict, the session's exit verdict, and the sentence that says
datapoint failures were tolerated."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .runs import Run

# 9 passes out of 10 is 0.9 in exact arithmetic but may not be in floats; a gate must not
# fail on rounding.
EPSILON = 1e-9


@dataclass(frozen=True)
class GateVerdict:
    run_id: str
    required: float
    measured: float | None
    holds: bool
    failed_datapoints: int
    errored_datapoints: int
    datapoints: int = 0
    strict: bool = False
    run_failure: str | None = None
    """Why the run ``failed`` (every datapoint errored, a worker crashed): the gate fails
    whatever its rate."""
    not_run: str | None = None
    """The run's status (``pending``, ``cancelled``) when not one of its datapoints ran:
    nothing was measured, and an eval that never ran is no eval that held."""

    @property
    def passed_datapoints(self) -> int:
        return self.datapoints - self.failed_datapoints - self.errored_datapoints

    def line(self) -> str:
        """One line saying required vs measured, e.g. ``GATE FAILED capitals[local/gpt-4o-mini]:
        pass rate 72.0% < required 90.0% (18/25 passed, 5 failed, 2 errored)``."""
        counts = (
            f"({self.passed_datapoints}/{self.datapoints} passed, "
            f"{self.failed_datapoints} failed, {self.errored_datapoints} errored)"
        )
        mode = " under --evals-strict" if self.strict else ""
        if self.run_failure is not None:
            return f"GATE FAILED {self.run_id}: {self.run_failure}, the run failed {counts}"
        if self.not_run is not None:
            return f"GATE FAILED {self.run_id}: the run is {self.not_run}, no datapoint ran"
        if self.measured is None:
            return f"GATE PASSED {self.run_id}: no datapoints to measure{mode}"
        verb, op = ("PASSED", "≥") if self.holds else ("FAILED", "<")
        measured, required = percent_pair(self.measured, self.required)
        return (
            f"GATE {verb} {self.run_id}: pass rate {measured} {op} "
            f"required {required}{mode} {counts}"
        )


def evaluate_gate(
    run: Run, summary: Mapping[str, Any], *, fail_under: float | None, strict: bool
) -> GateVerdict:
    """The run's gate: pass rate ≥ max(the spec's ``pass_rate``, ``--evals-fail-under``).

    Under ``strict`` every datapoint must pass (required 100%). A run without datapoints holds
    vacuously (measured ``None``): there is nothing that failed to report. A run whose every
    datapoint errored (status ``failed``) fails, whatever its ``pass_rate``: nothing was
    measured, and ``pass_rate: 0`` must not turn a dead server green; nor does a run that lost
    a datapoint to a crashed worker hold, nor one none of whose datapoints ran (``pending``,
    ``cancelled``).
    """
    required = 1.0 if strict else max(run.pass_rate_required, fail_under or 0.0)
    datapoints = int(summary.get("datapoints") or 0)
    failed = int(summary.get("failed") or 0)
    errored = int(summary.get("errored") or 0)
    measured: float | None = summary.get("pass_rate")
    never_ran = datapoints == 0 and run.total > 0 and run.status in ("pending", "cancelled")
    not_run = run.status if never_ran else None
    if measured is None or datapoints == 0:
        holds = True
        measured = None
    elif strict:
        # Counted, not compared: no epsilon may let one failure in a million through.
        holds = failed == 0 and errored == 0
    else:
        holds = measured >= required - EPSILON
    return GateVerdict(
        run_id=run.id,
        required=required,
        measured=measured,
        holds=holds and run.failure is None and not_run is None,
        failed_datapoints=failed,
        errored_datapoints=errored,
        datapoints=datapoints,
        strict=strict,
        run_failure=run.failure,
        not_run=not_run,
    )


def session_exit_ok(verdicts: Iterable[GateVerdict], *, non_eval_failures: int) -> bool:
    """Exit status 0 is deserved when every gate holds and no ordinary test failed."""
    return non_eval_failures == 0 and all(v.holds for v in verdicts)


def tolerance_line(verdicts: Iterable[GateVerdict]) -> str | None:
    """The sentence saying datapoint failures were tolerated, when every gate holds yet some
    datapoints failed or errored; ``None`` otherwise."""
    verdicts = list(verdicts)
    if not verdicts or not all(v.holds for v in verdicts):
        return None
    failed = sum(v.failed_datapoints for v in verdicts)
    errored = sum(v.errored_datapoints for v in verdicts)
    total = failed + errored
    if total == 0:
        return None
    gates = "the eval gate holds" if len(verdicts) == 1 else "every eval gate holds"
    if failed and errored:
        return f"{total} datapoint failures ({failed} failed, {errored} errored) tolerated: {gates}"
    if errored:
        # An error is something that broke, not a miss: called what it is.
        noun = "errored datapoint" if errored == 1 else "errored datapoints"
        return f"{errored} {noun} tolerated: {gates}"
    noun = "failure" if failed == 1 else "failures"
    return f"{failed} datapoint {noun} tolerated: {gates}"


def percent(rate: float, digits: int = 1) -> str:
    return f"{rate * 100:.{digits}f}%"


def percent_pair(measured: float, required: float) -> tuple[str, str]:
    """Both rates with one decimal, or more when one decimal would print a failing 89.99% as
    "90.0% < 90.0%"."""
    for digits in (1, 2, 3, 4):
        pair = percent(measured, digits), percent(required, digits)
        if pair[0] != pair[1] or abs(measured - required) <= EPSILON:
            return pair
    return pair

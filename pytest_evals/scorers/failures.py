"""The text pytest shows for a failed or errored datapoint: what went in, what was
expected, what came out and why it missed. No pytest import."""

from __future__ import annotations

import json
from typing import Any

from ..records import ResultRecord

_VALUE_LIMIT = 2000


def _show(value: Any) -> str:
    # Data from YAML/JSON reads best as JSON, as the user wrote it.
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > _VALUE_LIMIT:
        text = text[:_VALUE_LIMIT] + f"… ({len(text) - _VALUE_LIMIT} more characters)"
    # Indent continuation lines so multi-line outputs stay readable under their label.
    return text.replace("\n", "\n          ")


def _header(record: ResultRecord, location: str) -> list[str]:
    model = f" with {record.model}" if record.model else ""
    return [
        f"eval '{record.eval}' datapoint '{record.datapoint_id}'{model} ({location})",
        f"input:    {_show(record.input)}",
        f"expected: {_show(record.expected)}",
    ]


def quality_failure_text(record: ResultRecord, location: str, threshold: float | None) -> str:
    """A datapoint that was scored and did not pass."""
    lines = _header(record, location)
    lines.append(f"output:   {_show(record.output)}")
    rule = (
        f"needs a weighted score of at least {threshold:g}"
        if threshold is not None
        else "needs every scorer to pass"
    )
    lines.append(f"score:    {record.score:.3f} ({rule})")
    failing = [s for s in record.scores if not s.passed]
    if failing:
        lines.append("failing scorers:")
        lines.extend(
            f"  {s.name}: score {s.score:.3f}" + (f" — {s.reason}" if s.reason else "")
            for s in failing
        )
    if record.repeats:
        passed = sum(1 for r in record.repeats if r["passed"])
        lines.append(f"repeats:  {passed} of {len(record.repeats)} passed")
    return "\n".join(lines)


def error_text(record: ResultRecord, location: str) -> str:
    """A datapoint whose sample could not be produced or whose scorer raised."""
    lines = _header(record, location)
    if record.output is not None:
        lines.append(f"output:   {_show(record.output)}")
    lines.append(f"error:    {record.error}")
    return "\n".join(lines)

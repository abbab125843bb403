"""The text pytest shows for a failed or errored datapoint: what went in, what was
expected, what came out and why it missed. No pytest import."""

from __future__ import annotations

import json
from typing import Any

from ..records import ResultRecord
from ..values import as_text

_VALUE_LIMIT = 2000


def _show(value: Any) -> str:
    # Data from YAML/JSON reads best as JSON, as the user wrote it.
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > _VALUE_LIMIT:
        text = text[:_VALUE_LIMIT] + f"… ({len(text) - _VALUE_LIMIT} more characters)"
    # Indent continuation lines so multi-line outputs stay readable under their label.
    return text.replace("\n", "\n          ")


Chat = list[dict[str, str]]


def _chat_text(messages: Chat) -> str:
    if len(messages) == 1 and messages[0]["role"] == "user":
        return messages[0]["content"]
    return "\n".join(f"{m['role']}: {m['content']}" for m in messages)


def _header(record: ResultRecord, location: str, sent: Chat | None) -> list[str]:
    """Title, what went in and what was expected. ``sent``: the messages the model or
    target was given, when the eval renders a prompt (``{{ item.question }}`` leaves
    ``input`` empty, and the prompt is what the reader needs to see)."""
    model = f" with {record.model}" if record.model else ""
    lines = [f"eval '{record.eval}' datapoint '{record.datapoint_id}'{model} ({location})"]
    if record.input is not None or not sent:
        lines.append(f"input:    {_show(record.input)}")
    if sent and _chat_text(sent) != as_text(record.input):
        lines.append(f"prompt:   {_show(_chat_text(sent))}")
    lines.append(f"expected: {_show(record.expected)}")
    return lines


def quality_failure_text(
    record: ResultRecord, location: str, threshold: float | None, sent: Chat | None = None
) -> str:
    """A datapoint that was scored and did not pass."""
    lines = _header(record, location, sent)
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


def error_text(record: ResultRecord, location: str, sent: Chat | None = None) -> str:
    """A datapoint whose sample could not be produced or whose scorer raised."""
    lines = _header(record, location, sent)
    if record.output is not None:
        lines.append(f"output:   {_show(record.output)}")
    lines.append(f"error:    {record.error}")
    return "\n".join(lines)

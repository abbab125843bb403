"""What a judge is asked to answer and how its answer is read: JSON schemas for each verdict
form and strict parsing of the text that comes back. Pure functions, no I/O.

A verdict that can't be read is a ``ScorerFailure`` that quotes the judge: never a pass,
never a silent 0.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...values import not_text
from ..base import ScorerConfigError, ScorerFailure

_FENCED = re.compile(r"^```[A-Za-z]*\s*(.*?)\s*```$", re.DOTALL)
_SHOWN_RAW = 600


def shown(raw: str) -> str:
    """A judge's answer as an error quotes it: whole when short, else its start."""
    text = raw.strip()
    return repr(text if len(text) <= _SHOWN_RAW else text[:_SHOWN_RAW] + "…")


def unreadable(why: str, raw: str) -> ScorerFailure:
    return ScorerFailure(
        f"the judge's verdict can't be read: {why}; the judge answered {shown(raw)}"
    )


def answer_object(raw: str) -> Mapping[str, Any]:
    """The JSON object a judge answered: the whole text, a fenced block, or, failing those,
    the one object the text holds (weak models wrap it in prose)."""
    text = raw.strip()
    fenced = _FENCED.match(text)
    if fenced:
        text = fenced.group(1)
    candidates = [text]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, Mapping):
            return data
    raise unreadable("it is not a JSON object", raw)


def reasoning_of(data: Mapping[str, Any], raw: str) -> str:
    """The judge's reasoning: required by every verdict's schema, so a verdict without it (or
    with something else) did not answer what was asked, however its label reads."""
    value = data.get("reasoning")
    if not isinstance(value, str):
        raise unreadable("it has no 'reasoning' text", raw)
    return value


def _object_schema(properties: Mapping[str, Any]) -> dict[str, Any]:
    # Strict structured outputs want every property required and no others.
    return {
        "type": "object",
        "properties": dict(properties),
        "required": list(properties),
        "additionalProperties": False,
    }


@dataclass(frozen=True)
class ChoiceVerdict:
    """The judge picks one of ``labels`` (a field named ``field``)."""

    labels: tuple[str, ...]
    field: str = "choice"

    def schema(self) -> dict[str, Any]:
        return _object_schema(
            {
                "reasoning": {"type": "string"},
                self.field: {"type": "string", "enum": list(self.labels)},
            }
        )

    def instruction(self) -> str:
        options = ", ".join(json.dumps(label) for label in self.labels)
        return (
            'Answer with one JSON object and nothing else: {"reasoning": "<your reasoning, '
            f'in a few sentences>", "{self.field}": <one of {options}>}}. Give the reasoning '
            "first, then the verdict."
        )

    def read(self, raw: str) -> tuple[str, str]:
        """The label the judge picked, and its reasoning."""
        data = answer_object(raw)
        label = data.get(self.field)
        if not isinstance(label, str):
            raise unreadable(f"it has no '{self.field}' text", raw)
        label = label.strip()
        if label not in self.labels:
            allowed = ", ".join(self.labels)
            raise unreadable(f"'{label}' is not one of the allowed labels ({allowed})", raw)
        return label, reasoning_of(data, raw)


@dataclass(frozen=True)
class RangeVerdict:
    """The judge gives a number in ``[low, high]`` (a field named ``field``)."""

    low: float
    high: float
    field: str = "score"

    def schema(self) -> dict[str, Any]:
        return _object_schema(
            {
                "reasoning": {"type": "string"},
                self.field: {"type": "number", "minimum": self.low, "maximum": self.high},
            }
        )

    def instruction(self) -> str:
        return (
            'Answer with one JSON object and nothing else: {"reasoning": "<your reasoning, '
            f'in a few sentences>", "{self.field}": <a number from {self.low:g} to '
            f"{self.high:g}>}}. Give the reasoning first, then the score."
        )

    def read(self, raw: str) -> tuple[float, str]:
        """The number the judge gave, and its reasoning."""
        data = answer_object(raw)
        value = data.get(self.field)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise unreadable(f"it has no '{self.field}' number", raw)
        if not self.low <= value <= self.high:
            raise unreadable(
                f"{self.field} {value:g} is outside the range [{self.low:g}, {self.high:g}]", raw
            )
        return float(value), reasoning_of(data, raw)

    def normalised(self, value: float) -> float:
        return (value - self.low) / (self.high - self.low)


@dataclass(frozen=True)
class Criterion:
    name: str
    points: float
    description: str


@dataclass(frozen=True)
class Award:
    name: str
    points: float
    possible: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "points": self.points,
            "possible_points": self.possible,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class RubricVerdict:
    """The judge awards points per criterion, each bounded by the criterion's points."""

    criteria: tuple[Criterion, ...]

    def schema(self) -> dict[str, Any]:
        awards = {
            criterion.name: _object_schema(
                {
                    "reason": {"type": "string"},
                    "points": {"type": "number", "minimum": 0, "maximum": criterion.points},
                }
            )
            for criterion in self.criteria
        }
        return _object_schema({"reasoning": {"type": "string"}, "criteria": _object_schema(awards)})

    def instruction(self) -> str:
        shape = ", ".join(
            f'"{c.name}": {{"reason": "...", "points": <0 to {c.points:g}>}}' for c in self.criteria
        )
        return (
            'Answer with one JSON object and nothing else: {"reasoning": "<your overall '
            f'reasoning>", "criteria": {{{shape}}}}}. Award each criterion from 0 up to its '
            "points, with a short reason."
        )

    def read(self, raw: str) -> tuple[list[Award], str]:
        """Each criterion's award, in the rubric's order, and the overall reasoning."""
        data = answer_object(raw)
        given = data.get("criteria")
        if not isinstance(given, Mapping):
            raise unreadable("it has no 'criteria' object", raw)
        names = [c.name for c in self.criteria]
        stray = [str(name) for name in given if name not in names]
        if stray:
            # A criterion the rubric lacks: the judge graded against another rubric.
            raise unreadable(
                f"it awards criterion '{stray[0]}', which the rubric does not have "
                f"(its criteria: {', '.join(names)})",
                raw,
            )
        awards: list[Award] = []
        for criterion in self.criteria:
            entry = given.get(criterion.name)
            if not isinstance(entry, Mapping):
                raise unreadable(f"it awards nothing for criterion '{criterion.name}'", raw)
            points = entry.get("points")
            if isinstance(points, bool) or not isinstance(points, (int, float)):
                raise unreadable(f"criterion '{criterion.name}' has no 'points' number", raw)
            if not math.isfinite(points) or not 0 <= points <= criterion.points:
                raise unreadable(
                    f"criterion '{criterion.name}' is awarded {points:g} points of "
                    f"{criterion.points:g}",
                    raw,
                )
            reason = entry.get("reason")
            if not isinstance(reason, str):
                raise unreadable(f"criterion '{criterion.name}' has no 'reason' text", raw)
            awards.append(Award(criterion.name, float(points), criterion.points, reason))
        return awards, reasoning_of(data, raw)


def label_option(subject: str, value: object, *, key: str) -> str:
    """A label (a choice, a criterion's name): non-blank text, stripped; ScorerConfigError
    otherwise, naming what YAML read (an unquoted ``yes`` is True) and how to quote it."""
    if not isinstance(value, str):
        raise ScorerConfigError(
            f"{subject} must be text, got {not_text(value, quote=True)}", key=key
        )
    if not value.strip():
        raise ScorerConfigError(f"{subject} must not be empty", key=key)
    return value.strip()


def labels_option(value: object, key: str) -> tuple[str, ...]:
    """A non-empty list of distinct, non-empty labels; ScorerConfigError otherwise."""
    if value is None:
        raise ScorerConfigError(f"needs '{key}': a non-empty list of labels", key=key)
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        raise ScorerConfigError(
            f"'{key}' must be a non-empty list of labels, got {not_text(value)}", key=key
        )
    labels = tuple(
        label_option(f"'{key}[{position}]'", label, key=key) for position, label in enumerate(value)
    )
    if len(set(labels)) != len(labels):
        raise ScorerConfigError(f"'{key}' lists a label twice", key=key)
    return labels
